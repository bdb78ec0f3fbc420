// Package metrics holds Manhattan's Prometheus metrics: what the ingest pipeline did
// (records read and committed, dead letters, epochs, commit latency, restarts, histories
// loaded) and how the query API behaves (latency by endpoint, errors), plus the Go
// runtime and process collectors.
//
// A Metrics value owns its own registry, so several can live in one process (tests) and
// nothing is registered globally. PipelineEvents hooks a pipeline's notifications;
// TrackPipeline exposes the live state of the running pipeline, read at scrape time: its
// read counter, whether it has caught up, and each partition's lag behind the end of the
// log (manhattan_ingest_partition_lag_bytes or _messages); Instrument wraps
// an HTTP handler to time it; Handler serves everything in the Prometheus text format.
//
// Invariants: counters only grow, also across pipelines started one after another in the
// same process; the hooks never block the pipeline (they only update atomic metric
// values); label values come from a fixed set chosen by the program, never from request
// input, so the number of series stays bounded.
package metrics
