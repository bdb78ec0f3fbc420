// Package messages holds the plain data that flows through Manhattan: the records of the
// event log (format version 1), the log-line codec, pointers into the log, the counter
// deltas that shards emit, and the messages the pipeline's actors exchange.
//
// Invariants: every type here is plain data. No value holds a pointer into another
// actor's state, a channel or a function, so a message keeps its meaning if it is later
// sent across a process boundary. Within a process a message is passed by pointer, so its
// slices and maps belong to the receiver once it is sent: the sender does not touch them
// again. Parsing a line never panics; every malformed line is
// reported as a *ParseError with a reason.
package messages
