// Package stream defines Manhattan's partitioned event log on a NATS JetStream stream
// (docs/scale-out.md): how the stream is created and recognised, how lines are assigned to
// partitions, and how a batch of lines becomes a message.
//
// Invariants kept here:
//
//   - A stream holds P partitions, subjects "<prefix>.<p>" for p in [0, P). P, the prefix
//     and the format version are fixed when the stream is created and recorded in the
//     stream's metadata; Open refuses a stream that lacks them or whose P differs from the
//     caller's, so that no shipper or ingest process with another P can use it.
//   - A line's partition is Partition(visitor id, P): xxHash64 of the decoded visitor id
//     modulo P, independent of the FNV-1a hash that picks an in-process shard. All lines of
//     a visitor go to one partition.
//   - A message's body is one or more version-1 log lines, each terminated by "\n", in the
//     order they were read. Its Nats-Msg-Id names the shipper's source, the pointer at which
//     the batch starts in the source's files and the partition, so publishing the same
//     batch again is dropped by the stream's duplicate window.
//   - The stream's sequence is the global log order; a position in it is a partition, a
//     stream sequence and a byte offset inside that message's body.
package stream
