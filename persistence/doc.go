// Package persistence is Manhattan's PostgreSQL store: the schema and its migrations, the
// atomic commit of an epoch, the loading of visitor histories and pointers, the ownership
// of partitions (claims, leases and fencing tokens on the pointer rows, by the rules of
// package ownership), the queries of docs/semantics.md (count, goal value, tests,
// results, per-bucket series), and the counts and moments that the analysis of a test
// needs (TestCounts, ConversionMoments, TestMoments, Exposures: counts, value sums and
// value squares per goal and population).
//
// Invariants:
//   - Everything lives in one schema (default "manhattan"), created and upgraded by the
//     versioned SQL migrations embedded in the binary. Migrate is idempotent and safe to
//     run from several processes at once (a transaction-scoped advisory lock per schema).
//   - CommitEpoch writes an epoch in exactly one transaction: histories, test and goal
//     metadata, counter increments, dead letters, and the source's pointers of the
//     partitions it advances with the epoch number. It refuses an epoch whose number is
//     not above a partition's stored one (ErrStaleEpoch), so retrying a commit whose
//     outcome is unknown can never count twice, and one that lacks the current claim of
//     an owned partition (ErrNotOwner), checked under the pointer rows' locks, so two
//     processes never both advance one pointer. Bulk writes use COPY into temporary tables and one INSERT … ON CONFLICT per
//     table; no statement is issued per row.
//   - Counters are additive: count = count + delta, value = value + delta, deltas may be
//     negative. Values are numeric end to end (shopspring/decimal in Go), never floats.
//   - value_squares (conversions and variant conversions) is NULL where the squares are
//     not known: counters of rollups that keep none, and counters written before the
//     column existed. NULL + delta stays NULL, and a sum of moments over counters with
//     one NULL among them is not valid, so unknown squares never read as a number.
//   - Queries read committed state only, and every answer comes from one snapshot: a
//     single statement, or a read-only REPEATABLE READ transaction.
//   - SQL carries values as bound parameters only; identifiers (the schema) are validated
//     and quoted.
package persistence
