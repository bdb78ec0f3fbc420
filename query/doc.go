// Package query answers Manhattan's queries (docs/semantics.md: count, goal value, tests, goals,
// results, series; the analysis of a test, also over time; dead letters and the store's
// status) and reads and changes tests' configurations, for every front end: the HTTP
// API, the command line and the dashboard. It reads through Store, which
// *persistence.Store implements and querytest.Store fakes in memory.
//
// A query is answered in two steps. Parse checks a query's raw parameters against the
// rules below and returns a Request, without touching the store, so a front end can
// reject bad input before it connects anywhere. A Service then answers the Request from
// its store with the JSON documents of this package, which the API serves and
// `manhattan query --json` prints. NewCached adds a cache of answers per commit mark
// of the store (cache.go states its invariants and its freshness bound).
//
// Rules, written here only:
//   - A query of counters names a goal, a variant (test and population), or both; a
//     variant needs both its test and its population; a value names a goal; a results
//     query names a test; a series has every bucket of its rollup, so it takes no bucket.
//   - A site is an integer site id; "" or "all" means the sum over every site.
//   - Every parameter value is valid UTF-8 of at most messages.MaxFieldLength
//     characters, like a log field; goal lists are checked per goal and bounded in
//     number; unknown or repeated parameters are rejected rather than ignored, so a typo
//     never silently widens a query.
//   - Messages name parameters the way the front end does (Naming): "goal" in the API,
//     "--goal" on the command line. Client text in messages is cut by Clip.
//   - Errors of the request are ErrInvalid; a test the store has never seen is
//     ErrNotFound and the message lists the tests that exist. Anything else is the
//     store's failure.
//   - Decimal values are exact strings in every answer.
package query
