package logsource

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
)

// Log is a partitioned event log. Its methods are safe for concurrent use.
type Log interface {
	// String names the log for messages and status, e.g. "files /var/log/app" or
	// "nats://host:4222 stream EVENTS".
	String() string
	// Partitions returns the number of partitions, numbered from 0 (1 for the files).
	Partitions(ctx context.Context) (int, error)
	// Open returns a Reader of the partitions named by from, each resuming just past its
	// pointer (a zero position is the start of the partition). from holds at most one
	// pointer per partition.
	Open(ctx context.Context, from []messages.Pointer, opts Options) (Reader, error)
	// Lag reports, for each pointer of at (one per partition), how much of its partition
	// lies after it, as the log stands now.
	Lag(ctx context.Context, at []messages.Pointer) ([]Lag, error)
}

// Reader reads lines of some partitions of a Log. It is used by one goroutine at a time.
type Reader interface {
	// Next returns the next complete line of one of the Reader's partitions (see the
	// package contract): io.EOF when none is available now, a *BadLineError for a part
	// that is not a readable line, or another error when reading failed.
	Next(ctx context.Context) (Line, error)
	// Pointer returns the pointer just past the last line (or bad part) Next returned of
	// partition, complete with whatever identity the log keeps in pointers (the files'
	// Check of the line before it), fit to be committed and resumed at; the pointer the
	// Reader was opened at while Next returned nothing of the partition yet.
	Pointer(partition int) messages.Pointer
	// Skipped returns what the Reader had to skip to go on (Options.SkipMissing, data
	// that arrived behind its pointer), for logs, metrics and status; nil when nothing.
	// The list only grows; its entries are *GapError where the Reader knows the details.
	Skipped() []error
	// Close releases the Reader's resources. Next returns an error after Close.
	Close() error
}

// Options control a Reader.
type Options struct {
	// Follow tells the Reader that the log is followed as it grows: io.EOF from Next is
	// not the end of the input and the caller will call Next again. Without it the caller
	// ends at the first io.EOF.
	Follow bool
	// PollInterval is how often a following caller calls Next again after io.EOF; a
	// Reader may use it to pace its own checks (0: the implementation's default).
	PollInterval time.Duration
	// SkipMissing makes a pointer the log cannot resume at continue at the next position
	// the Reader can read instead of failing with ErrPointerNotInLog.
	SkipMissing bool
}

// Line is one complete line of a partition.
type Line struct {
	// Raw is the line without its line end. It is valid only until the next call to Next.
	Raw []byte
	// Ptr is the pointer just past the line, in its partition.
	Ptr messages.Pointer
}

// Lag is how far a pointer stands behind the end of its partition.
type Lag struct {
	Partition int
	// Behind is the amount of the partition after the pointer, in Unit.
	Behind int64
	// Unit is what Behind counts: UnitBytes for the files, UnitMessages for a stream.
	Unit string
}

// Units of Lag.Behind. The pipeline exports lag as the Prometheus gauge
// manhattan_ingest_partition_lag_<unit>{partition="p"}.
const (
	UnitBytes    = "bytes"
	UnitMessages = "messages"
)

// ErrNotYet is returned by Next when no line can be read now although more of the log is
// due (the files: an hour's file within its rollover grace window, or a writer holding its
// lock). Unlike io.EOF it does not end a batch caller's input: call Next again after the
// poll interval.
var ErrNotYet = errors.New("logsource: no line now, but more is due")

// Reasons of a GapError.
const (
	GapLateAppend = "late_append" // lines appended to a file after the Reader left it
	GapLateFile   = "late_file"   // a file of an hour the Reader had passed
	GapSkipped    = "skipped"     // what Options.SkipMissing skipped
)

// GapError is data a Reader passed over and will not read, as Reader.Skipped returns it.
type GapError struct {
	Reason string // GapLateAppend, GapLateFile or GapSkipped
	Where  string // the file (or partition) that holds it
	Bytes  int64  // how much; 0 when not known
	Err    error  // what happened
}

func (e *GapError) Error() string { return e.Err.Error() }
func (e *GapError) Unwrap() error { return e.Err }

// ErrNotLog is wrapped by the errors of Open or Next for something in the log's place
// that cannot be read as a log (among the files: a FIFO or a device). Reading again cannot
// help.
var ErrNotLog = errors.New("not a readable log")

// ErrPointerNotInLog is wrapped by the errors of Open (or Next) for a pointer the log
// cannot resume at: reading again cannot help, the operator has to choose (docs/log-format.md).
var ErrPointerNotInLog = errors.New("pointer does not fit the log")

// BadLineError reports a part of a partition that is not a readable line. Reading goes on
// after it; DeadLetter (raw bytes, the pointer just past the part, the reason) is what the
// pipeline records.
type BadLineError struct {
	DeadLetter messages.DeadLetter
}

func (e *BadLineError) Error() string {
	return fmt.Sprintf("bad line ending at %s: %s", e.DeadLetter.Ptr, e.DeadLetter.Reason)
}

// AsBadLine reports whether err is (or wraps) a *BadLineError and returns its dead letter.
func AsBadLine(err error) (messages.DeadLetter, bool) {
	var b *BadLineError
	if errors.As(err, &b) {
		return b.DeadLetter, true
	}
	return messages.DeadLetter{}, false
}
