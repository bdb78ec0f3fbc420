package logsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
)

// Files is the log of hourly files BASE.<H> (package eventlog): one partition, 0, whose
// pointers are (hour, byte offset).
type Files struct {
	Base string
	// Grace is the rollover grace window of the readers (eventlog.Options.Grace):
	// eventlog.DefaultGrace when zero, none when negative.
	Grace time.Duration
	// Now is the readers' clock for the grace window; time.Now when nil.
	Now func() time.Time
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
	r, err := eventlog.OpenReader(f.Base, at, eventlog.Options{
		Follow: opts.Follow, NoWait: true, SkipMissing: opts.SkipMissing, PollInterval: opts.PollInterval,
		Grace: f.Grace, Now: f.Now,
	})
	if errors.Is(err, eventlog.ErrPointerFileMissing) || errors.Is(err, eventlog.ErrPointerBeyondEnd) ||
		errors.Is(err, eventlog.ErrPointerRewritten) {
		return nil, fmt.Errorf("%w: %w", ErrPointerNotInLog, err)
	}
	if errors.Is(err, eventlog.ErrNotRegular) {
		return nil, fmt.Errorf("%w: %w", ErrNotLog, err)
	}
	if err != nil {
		return nil, err
	}
	return &fileReader{r: r, follow: opts.Follow}, nil
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

// fileReader adapts an eventlog.Reader to Reader. The eventlog reader never waits
// (NoWait): where it would, Next returns io.EOF (following, at the end of the files) or
// ErrNotYet (a grace window or a writer's lock, in batch mode).
type fileReader struct {
	r       *eventlog.Reader
	follow  bool
	gaps    []error
	skipped int // the eventlog reader's Skipped already in gaps
}

func (fr *fileReader) Next(ctx context.Context) (Line, error) {
	l, err := fr.r.Next(ctx)
	if err != nil {
		if errors.Is(err, eventlog.ErrWouldWait) {
			if fr.follow {
				return Line{}, io.EOF
			}
			return Line{}, ErrNotYet
		}
		if dl, ok := eventlog.AsDeadLetter(err); ok {
			return Line{}, &BadLineError{DeadLetter: dl}
		}
		if errors.Is(err, eventlog.ErrNotRegular) {
			return Line{}, fmt.Errorf("%w: %w", ErrNotLog, err)
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

// Skipped returns the late data and the skips of the eventlog reader as *GapError.
func (fr *fileReader) Skipped() []error {
	for _, d := range fr.r.Late() {
		reason := GapLateAppend
		if d.WholeFile {
			reason = GapLateFile
		}
		fr.gaps = append(fr.gaps, &GapError{Reason: reason, Where: d.Path, Bytes: d.Bytes, Err: errors.New(d.String())})
	}
	skipped := fr.r.Skipped()
	for _, err := range skipped[fr.skipped:] {
		g := &GapError{Reason: GapSkipped, Err: err}
		var se *eventlog.SkipError
		if errors.As(err, &se) {
			g.Where, g.Bytes = se.Path, se.Bytes
		}
		fr.gaps = append(fr.gaps, g)
	}
	fr.skipped = len(skipped)
	return fr.gaps
}

func (fr *fileReader) Close() error { return fr.r.Close() }
