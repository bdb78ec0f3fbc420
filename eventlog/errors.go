package eventlog

import (
	"errors"
	"fmt"

	"github.com/manhattan-analytics/manhattan/messages"
)

var (
	// ErrPointerFileMissing: the pointer a Reader was opened at names a file that does not
	// exist (it was removed, or the pointer belongs to another log).
	ErrPointerFileMissing = errors.New("pointer file does not exist")
	// ErrPointerBeyondEnd: the pointer's offset lies beyond the end of its file (the file
	// was truncated or replaced).
	ErrPointerBeyondEnd = errors.New("pointer offset beyond end of file")
	// ErrPointerRewritten: the pointer's file no longer holds, just before the pointer's
	// offset, the line the pointer was taken after (its Check differs): the file was
	// truncated and written again. Reading it from the offset would start in the middle of
	// other data.
	ErrPointerRewritten = errors.New("pointer file was truncated and written again since the pointer was taken")
	// ErrFileTruncated: a file being read became shorter than the part already read: it
	// was truncated under the Reader (and may be written again). Its new content is not
	// read from the middle.
	ErrFileTruncated = errors.New("log file was truncated while it was read")
	// ErrPointerMisaligned: the pointer's offset is inside the file but not just past a
	// "\n", so it cannot be a position this package handed out for this file.
	ErrPointerMisaligned = errors.New("pointer offset is not at the start of a line")
	// ErrNotRegular: a log file is not a regular file (a FIFO, a device, a socket, a
	// directory). It is never read: a FIFO could block and a device never end.
	ErrNotRegular = errors.New("not a regular file")
	// ErrClosed is returned by a Reader used after Close.
	ErrClosed = errors.New("eventlog: reader is closed")
)

// SkipError is data a Reader went past without reading it (see Reader.Skipped).
type SkipError struct {
	Path  string // the file
	Bytes int64  // bytes of it not read; 0 when not known
	Err   error
}

func (e *SkipError) Error() string { return e.Err.Error() }
func (e *SkipError) Unwrap() error { return e.Err }

// maxPrefix bounds the bytes of a bad line that an error keeps.
const maxPrefix = 4096

// TruncatedLineError reports that a file ended in an incomplete line although a newer file
// exists and no writer holds the file's lock: a writer died in the middle of a write. The
// Reader returns it once, then goes on with the newer file; the bytes are never returned
// as a Line.
type TruncatedLineError struct {
	// Raw is the incomplete line (at most its first 4096 bytes).
	Raw []byte
	// Length is the full length of the incomplete line in bytes.
	Length int64
	// Ptr is the position just past the incomplete line: the end of its file.
	Ptr messages.Pointer
}

func (e *TruncatedLineError) Error() string {
	return fmt.Sprintf("eventlog: file %d ends with an incomplete line of %d bytes (a writer died mid-write); skipped up to %s",
		e.Ptr.File, e.Length, e.Ptr)
}

// LineTooLongError reports a line longer than MaxLineLength bytes. No valid record is
// nearly that long; the Reader skips the line and returns this error once.
type LineTooLongError struct {
	// Prefix is the start of the line (at most 4096 bytes).
	Prefix []byte
	// Length is the length of the line in bytes, without its "\n".
	Length int64
	// Ptr is the position just past the line's "\n".
	Ptr messages.Pointer
}

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("eventlog: line of %d bytes ending at %s is too long: with its line end it has %d bytes, more than the limit of %d; skipped",
		e.Length, e.Ptr, e.Length+1, MaxLineLength)
}

// AsDeadLetter converts the errors of a Reader that stand for one bad line and that
// reading continues after (*TruncatedLineError, *LineTooLongError) into a dead letter. It
// reports false for any other error.
func AsDeadLetter(err error) (messages.DeadLetter, bool) {
	var te *TruncatedLineError
	if errors.As(err, &te) {
		return messages.DeadLetter{Raw: string(te.Raw), Ptr: te.Ptr, Reason: te.Error()}, true
	}
	var le *LineTooLongError
	if errors.As(err, &le) {
		return messages.DeadLetter{Raw: string(le.Prefix), Ptr: le.Ptr, Reason: le.Error()}, true
	}
	return messages.DeadLetter{}, false
}
