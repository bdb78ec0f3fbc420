// Package logsource is the seam between the ingest pipeline and the event log it reads
// (docs/architecture.md, "The log"). A Log is split into partitions; the pipeline's source opens a Reader
// on the partitions its process owns, each from its committed pointer, and turns the lines
// into records. Two kinds of log implement it:
//
//   - the hourly files BASE.<H> of package eventlog (Files): one partition, 0, whose
//     positions are (hour, byte offset);
//   - a JetStream stream with one subject per partition, whose positions are (stream
//     sequence, byte offset inside the message's batch of lines), implemented beside the
//     stream's codec.
//
// Contract of every implementation (the pipeline's exactness rests on it):
//
//   - A Reader returns every complete line of each of its partitions exactly once, in the
//     partition's log order, each with the Pointer just past it. Lines of different
//     partitions may interleave in any order.
//   - Opening a Reader at a pointer a Reader handed out resumes with the next line: no line
//     is lost or read twice across restarts.
//   - Next never waits for the log to grow: when no complete line is available now it
//     returns io.EOF, and the caller may call it again later for what arrived since. It
//     may wait for data already on its way (a fetch from a broker), never beyond its
//     context. Where more is due but may not be read yet it returns ErrNotYet instead,
//     which a batch caller does not take for the end of its input.
//   - Data that arrives behind a Reader's pointer is never dropped silently: Skipped
//     reports it.
//   - A part of a partition that is not a readable line (an over-long line, a line cut off
//     by a writer that died, an undecodable message, a line of another partition) is
//     returned as a *BadLineError: the caller dead-letters it and reading goes on after it.
//     It never ends reading and never hides a neighbouring line.
//   - A pointer the log cannot resume at (its file is gone, it lies beyond the end of its
//     file, its message has expired from the stream) is an error wrapping
//     ErrPointerNotInLog, unless Options.SkipMissing lets the Reader go on at the next
//     position it can read (and report what it skipped).
//   - Lines, pointers and dead letters are plain data (package messages).
package logsource
