// Package ingest holds the plain types that describe an ingest pipeline from outside: the
// Summary of a finished run, the live Stats of a running one, the Gaps of log data it
// passed over, and the Events it notifies (for metrics). The pipeline (package actors)
// produces them; the HTTP API, the metrics and the command line read them without
// depending on the pipeline.
//
// Invariants: every type here is plain data or a struct of callbacks; nothing refers to a
// running pipeline.
package ingest
