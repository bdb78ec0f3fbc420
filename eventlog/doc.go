// Package eventlog reads and writes Manhattan's event log: a series of hourly files
// BASE.<H>, where <H> is the Unix time of the start of the hour in which the lines were
// written, holding one record per line (see package messages for the line format).
//
// Invariants kept here:
//
//   - Files are ordered by the integer <H>, never by name.
//   - Files are only appended to. A Writer appends one or more complete lines per call,
//     in one write under an exclusive flock, so concurrent writers (goroutines or processes)
//     never interleave within a line.
//   - A Reader never returns a line that lacks its terminating "\n". Each line comes with
//     the Pointer just past it, from which a new Reader resumes with the next line.
//   - A Writer never appends to an hour once a newer file exists: under the file's lock
//     it looks for the next hour's file and writes to the newest file instead.
//   - A Reader leaves a file for the next one only when the file has no unread complete
//     line and a newer file exists, checked under a shared lock of the file, and (for
//     other writers) once the file has been quiet for a grace window. Data that arrives
//     behind the Reader anyway is reported by Late, never dropped silently.
//   - If a file left behind ends in an incomplete line while no writer holds its lock, a
//     writer died mid-write: the bytes are reported once as a *TruncatedLineError (fit for
//     a dead letter) and reading goes on with the newer file.
//   - Reader.Pointer carries a Check of the line before it. Resuming at a pointer whose
//     file no longer holds that line there (truncated and written again) fails with
//     ErrPointerRewritten; a file that shrinks under a Reader fails with ErrFileTruncated.
//     Neither is ever read from the middle.
//   - Only regular files are log files: a FIFO, a device or a socket in a log file's place
//     is refused (ErrNotRegular) without being opened for a blocking read.
//   - Reading does not allocate per line: lines are slices of one 256 KiB buffer.
package eventlog
