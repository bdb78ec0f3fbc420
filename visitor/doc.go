// Package visitor holds a visitor's history and the counting rules of docs/semantics.md: the
// function that applies one record of the event log to its visitor's history and adds
// the resulting counter deltas (conversions, values, impressions, variant conversions and
// values, complex goals, and for per-visitor rollups the squares of each visitor's
// running value totals) and test and goal metadata to a messages.Deltas. For many
// records (a pipeline epoch), ApplyCounts adds to a Counts, which keys its counters by
// small numbers instead of strings and turns into the same Deltas on Flush.
//
// It is plain Go: no actors, no I/O and no package state (but a pool of scratch buffers). A Rules value is immutable
// after NewRules and may be shared by any number of goroutines; a History belongs to one
// goroutine at a time (in the pipeline, the shard that owns its visitor).
//
// Invariants:
//   - Applying a visitor's records in log order gives the same deltas however the
//     visitors are partitioned and however the records are grouped into calls: deltas
//     of different visitors only ever add up, and goal metadata is decided by the
//     record's log pointer, not by processing order.
//   - A visitor is counted at most once per goal (or variant) and rollup bucket and site;
//     every conversion's non-zero value is added.
//   - In the counters of per-visitor rollups (rollups.PerVisitor: all time, cohorts),
//     Squares is the sum over visitors of x², x the visitor's running total of the
//     goal's values on the site (credited to the variant), which the history keeps; a
//     conversion adding v adds (x+v)² − x². The first record on the human path fixes
//     the visitor's first human timestamp, which cohort rollups bucket by.
//   - A history encodes (MarshalBinary) to a versioned, self-contained byte string that
//     decodes (UnmarshalBinary) to an equivalent history; decoding bad input returns an
//     error and never panics. Older versions still decode (see EncodingVersion).
package visitor
