// Package rollups maps a record's time and its visitor to the bucket of each rollup the
// counters are kept under (docs/semantics.md): all time, local day, local week (from Sunday) and
// local month in any IANA time zone, and the visitor's browser.
//
// A Rollup has a key (the name stored with every counter, e.g. "pst_day") and a Bucket
// function. Buckets are strings: "0" for all time; the Unix seconds of the local
// midnight that starts the day, week or month; a browser family name.
//
// Invariants:
//   - Bucket is a pure function of its arguments and the time zone database: the same
//     timestamp and visitor give the same bucket in every process, whatever was cached.
//   - The periods of a calendar rollup are half-open intervals [start, next start) that
//     tile the time line, so every timestamp falls into exactly one of them, also across
//     daylight-saving changes (a local day is then 23 or 25 hours long). (Timestamps
//     beyond ±2^62 seconds, where calendar arithmetic overflows, still get a
//     deterministic bucket, but not a meaningful one.)
//   - Rollups are safe for concurrent use by any number of goroutines.
package rollups
