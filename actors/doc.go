// Package actors is Manhattan's ingest pipeline on protoactor-go (DESIGN §4):
//
//	source ──► router ──hash(vid)──► shard 1..N ──deltas──► aggregator ──► committer ──► PostgreSQL
//
// The source reads complete lines from the committed log pointer and sends them on in
// batches. The router splits each batch by a stable hash of the visitor id, keeping log
// order per shard, and injects barriers (epoch, pointer) into every shard's stream. Shards
// own the visitor histories (an LRU over the stored histories, loaded in bulk), apply the
// counting rules of package visitor and, at each barrier, hand the aggregator their deltas
// and the snapshots of every history the epoch changed. The aggregator merges an epoch once
// every shard has reached its barrier and the committer writes it, with the pointer, in one
// transaction.
//
// Invariants:
//   - An epoch is committed whole or not at all, in epoch order, together with the pointer
//     just past its last record; nothing after that pointer is in it.
//   - A history changed in an uncommitted epoch is pinned in its shard's cache: it is never
//     evicted, so a reload from PostgreSQL never reads a state older than the shard's.
//   - A record that panics in a shard is dead-lettered and ingest goes on. Any other failure
//     (a shard, the aggregator, the committer, PostgreSQL) rewinds the whole pipeline: the
//     supervisor stops every actor, waits until all have stopped (so no commit of the old
//     generation can land later), reads the committed pointer back and starts a new
//     generation from it. Messages carry their generation; stale ones are ignored.
//   - The number of batches read ahead of the slowest shard and of sealed epochs waiting
//     for the committer is bounded, which bounds memory.
package actors
