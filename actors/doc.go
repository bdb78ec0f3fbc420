// Package actors is Manhattan's ingest pipeline on protoactor-go (docs/architecture.md):
//
//	source ──► router ──hash(vid)──► shard 1..N ──deltas──► aggregator ──► committer ──► PostgreSQL
//
// The source reads complete lines of the partitions of the log this pipeline covers
// (a logsource.Log: the hourly files are one partition, a JetStream stream many), each
// from its committed pointer, parses them (on several goroutines) and sends them on in
// batches already split by a stable hash of the visitor id, one part per shard in log
// order; the hash is computed once per record and travels with it. The router hands every
// shard its part and injects barriers (epoch, pointer) into every shard's stream. Shards
// own the visitor histories (an LRU over the stored histories, loaded in bulk), apply the
// counting rules of package visitor and, at each barrier, hand the aggregator their deltas
// and the snapshots of every history the epoch changed. The aggregator merges an epoch once
// every shard has reached its barrier and the committer writes it, with the pointer, in one
// transaction.
//
// Invariants:
//   - An epoch is committed whole or not at all, in epoch order, together with the pointer
//     just past its last record in every partition it covers; nothing after those
//     pointers is in it.
//   - A history changed in an uncommitted epoch is pinned in its shard's cache: it is never
//     evicted, so a reload from PostgreSQL never reads a state older than the shard's.
//   - A record that panics in a shard is dead-lettered and ingest goes on; one that panics
//     inside the counting rules (which may have changed counts already) first rewinds the
//     pipeline, and every later generation dead-letters it unapplied. Any other failure
//     (a shard, the aggregator, the committer, PostgreSQL) rewinds the whole pipeline: the
//     supervisor stops every actor, waits until all have stopped (so no commit of the old
//     generation can land later), reads the committed pointer back and starts a new
//     generation from it. Messages carry their generation; stale ones are ignored.
//   - The number of batches read ahead of the slowest shard and of sealed epochs waiting
//     for the committer is bounded, which bounds memory.
//
// # Messages
//
// Actors talk only by messages (package messages, plus a few private ones in this package
// for the supervisor's own protocol). The source reports reaching the end of the log with
// CaughtUp (to the router, which then cuts epochs at FlushEvery records instead of the
// larger CatchUpFlushEvery of a backlog, to the aggregator, which then also cuts epochs at
// every flush interval, and to the supervisor, which tells later generations in their
// wiring). Pipeline.Stop and
// Pipeline.Kill send the supervisor a shutdown message; the supervisor never blocks
// between messages (it retries an unreachable store by a message to itself), so a stop
// request is always seen.
//
// Ownership: a value handed over in a message belongs to the receiver from the moment it
// is sent. The sender neither reads nor writes it, nor anything it points to (record
// slices, deltas, dead letters, history snapshots), afterwards. A batch's part of one shard
// (a ShardBatch: its records and their visitor ids' hashes) is filled by the source, sent
// inside the RecordBatch to the router, and sent on by the router, untouched but for its
// generation and sequence number, to that shard alone: no record is copied or shared
// between shards on the way. The shard gives the part back to the run's partPool once it
// has applied it. A part given back is never used again by the one who gave it.
//
// # Partitions
//
// A pipeline reads the partitions of cfg.Log it owns. When the Store also implements
// Leases, the supervisor claims them before each generation (Config.Partitions, every
// partition, or with Config.Share a fair share), renews the leases on a timer message
// while it runs and releases them when it ends; the aggregator puts the claims into every
// epoch, and the store refuses a commit whose claims are no longer current (package
// ownership, docs/ownership.md).
//
// # Shared state
//
// Besides messages the actors of one pipeline share only env, created by Start:
//   - cfg, events: read-only. events' funcs are called by the supervisor (Committed,
//     Restarted) and by the shards (Loaded), so they must be safe for concurrent use.
//   - ctx: cancelled by Kill; every store call takes it, so Kill aborts them.
//   - parts: the pool of batches' parts (sync.Pool, safe for concurrent use), see Ownership.
//   - poison: the records that panicked inside the counting rules; the supervisor adds to
//     it between generations, the shards read it (under its own mutex, behind an atomic
//     count).
//   - stats.startedAt: read-only once Start returns.
//   - stats.read: lines read, an atomic counter written by the source only.
//   - stats.mu guards stats.summary, stats.caughtUp, stats.lastCommit and stats.storeDown. The supervisor
//     alone writes them (on its messages); Pipeline.Stats reads them from outside.
//   - stats.gapMu guards stats.gaps, which the source alone writes.
//
// Nothing else is shared: every actor's own fields are touched only by its Receive (and,
// for the supervisor, by HandleFailure, which the actor system calls between messages).
package actors
