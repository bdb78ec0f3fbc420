// Package ship forwards a local hourly event log into Manhattan's JetStream stream
// (docs/scale-out.md): it follows the log's files, splits the lines by partition, and publishes
// batches with dedupe ids and a bound on the data in flight.
//
// Invariants kept here:
//
//   - A batch ("chunk") is a run of consecutive lines of the log, from the pointer where
//     the previous chunk ended. Its end is written to the progress file (atomically,
//     fsynced) before any of its messages is published, and the acknowledged pointer
//     moves past it only when every message of it was acknowledged by the stream.
//   - After a restart or a kill -9, the chunks the progress file names as pending are cut
//     again at exactly the same line boundaries and published again under the same
//     dedupe ids, so that the stream's duplicate window drops what it already stored:
//     no line is lost, none is stored twice. (A shipper that stays down longer than the
//     stream's duplicate window with pending chunks may store those chunks twice; it
//     says so when it starts.)
//   - Any publish failure ends the session: outstanding acknowledgements are awaited,
//     and the next session starts again from the acknowledged pointer, replaying the
//     pending chunks. While the broker is away the backlog simply stays in the files.
//   - Within one shipper, the chunks of a partition are published in log order.
package ship
