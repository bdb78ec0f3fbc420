package logsource

import (
	"context"
	"errors"
	"fmt"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
)

// Files is the log of hourly files BASE.<H> (package eventlog): one partition, 0, whose
// pointers are (hour, byte offset).
type Files struct {
	Base string
}

// NewFiles returns the log of the hourly files base.<H>.
func NewFiles(base string) *Files { return &Files{Base: base} }

func (f *Files) String() string { return "files " + f.Base }

// Partitions returns 1: the files are one partition.
func (f *Files) Partitions(context.Context) (int, error) { return 1, nil }

// Open returns a Reader of partition 0 from its pointer (no pointer: the start of the
// log). Following, the Reader keeps its place between calls that end in io.EOF.
func (f *Files) Open(_ context.Context, from []messages.Pointer, opts Options) (Reader, error) {
	var at messages.Pointer
	switch {
	case len(from) > 1:
		return nil, fmt.Errorf("%s: %d partitions asked for; the files are one partition", f, len(from))
	case len(from) == 1:
		if at = from[0]; at.Partition != 0 {
			return nil, fmt.Errorf("%s: no partition %d (the files are partition 0)", f, at.Partition)
		}
	}
	r, err := eventlog.OpenReader(f.Base, at, eventlog.Options{SkipMissing: opts.SkipMissing, PollInterval: opts.PollInterval})
	if errors.Is(err, eventlog.ErrPointerFileMissing) || errors.Is(err, eventlog.ErrPointerBeyondEnd) ||
		errors.Is(err, eventlog.ErrPointerRewritten) {
		return nil, fmt.Errorf("%w: %w", ErrPointerNotInLog, err)
	}
	if err != nil {
		return nil, err
	}
	return &fileReader{r: r}, nil
}

// Lag returns the bytes of the files after each pointer (partition 0 only).
func (f *Files) Lag(_ context.Context, at []messages.Pointer) ([]Lag, error) {
	lags := make([]Lag, 0, len(at))
	for _, p := range at {
		if p.Partition != 0 {
			return nil, fmt.Errorf("%s: no partition %d (the files are partition 0)", f, p.Partition)
		}
		lags = append(lags, Lag{Partition: 0, Behind: eventlog.BytesAfter(f.Base, p), Unit: UnitBytes})
	}
	return lags, nil
}

// fileReader adapts an eventlog.Reader to Reader. The eventlog reader is opened in batch
// mode: at the end of the files it returns io.EOF and goes on when called again.
type fileReader struct {
	r *eventlog.Reader
}

func (fr *fileReader) Next(ctx context.Context) (Line, error) {
	l, err := fr.r.Next(ctx)
	if err != nil {
		if dl, ok := eventlog.AsDeadLetter(err); ok {
			return Line{}, &BadLineError{DeadLetter: dl}
		}
		if errors.Is(err, eventlog.ErrFileTruncated) {
			return Line{}, fmt.Errorf("%w: %w", ErrPointerNotInLog, err)
		}
		return Line{}, err
	}
	return Line{Raw: l.Raw, Ptr: l.Ptr}, nil
}

// Pointer returns the reader's pointer, with the check of the line before it.
func (fr *fileReader) Pointer(int) messages.Pointer { return fr.r.Pointer() }

func (fr *fileReader) Skipped() []error { return fr.r.Skipped() }

func (fr *fileReader) Close() error { return fr.r.Close() }
