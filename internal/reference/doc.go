// Package reference is a test oracle, not a product feature: the simplest faithful
// implementation of docs/semantics.md that tests compare the real system against.
//
// It reads an event log, applies every record with the visitor rules (package visitor)
// into in-memory deltas (an Accumulator, one history per visitor, sequentially or with
// the visitors split into independent partitions), and answers the queries of
// docs/semantics.md (count, goal value, tests, results) from those deltas. It also loads the fixtures'
// configuration and expected answers (integration/testdata/*/config.json and
// expected.json) and checks any Answerer — these in-memory answers, the PostgreSQL
// store, the HTTP API — against every assertion with CheckAssertions.
//
// Invariants: answers are exact decimals (a quotient is rounded to QuotientPlaces
// decimal places); comparisons are numeric and honour an assertion's quantize. Nothing
// here is tuned for speed, and nothing outside tests should import it.
package reference
