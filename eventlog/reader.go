package eventlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
)

// DefaultPollInterval is how often a following Reader looks for growth and new files when
// Options.PollInterval is not set.
const DefaultPollInterval = 200 * time.Millisecond

// MaxLineLength is the longest line, its "\n" included, that a Reader returns (256 KiB).
// A longer line is skipped and reported as a *LineTooLongError. (A valid record is at most
// a few tens of KiB long.)
const MaxLineLength = 256 << 10

// bufferSize is the size of a Reader's buffer: a line of MaxLineLength fits.
const bufferSize = MaxLineLength

// Options control a Reader.
type Options struct {
	// Follow keeps reading at the end of the log: Next waits for the newest file to grow
	// or for a new file. Without it, Next returns io.EOF at the end of the last file.
	Follow bool
	// PollInterval is how often a following Reader checks for growth and new files;
	// DefaultPollInterval when zero.
	PollInterval time.Duration
	// SkipMissing makes a pointer to a missing file, or past the end of its file, start
	// reading at the beginning of the next newer file instead of failing. The condition is
	// kept in Skipped.
	SkipMissing bool
	// Grace is how long a Reader keeps an hour's file open after a newer file appeared and
	// the file was last seen growing, for writers that append to an older hour without
	// this package's protocol (see Reader). DefaultGrace when zero; negative for none.
	Grace time.Duration
	// NoWait makes Next return ErrWouldWait where a following Reader would wait, so that
	// the caller can poll without blocking (an actor, say).
	NoWait bool
	// Now is the Reader's clock for the grace window; time.Now when nil.
	Now func() time.Time
}

// DefaultGrace is the grace window of Options.Grace (docs/log-format.md).
const DefaultGrace = 10 * time.Second

// ErrWouldWait is returned by Next with Options.NoWait where it would otherwise wait for
// the log to grow or for a grace window to pass. Call Next again after a poll interval.
var ErrWouldWait = errors.New("eventlog: no complete line yet")

// Line is one complete line of the log.
type Line struct {
	// Raw is the line without its "\n". It is valid only until the next call to Next.
	Raw []byte
	// Ptr is the position just past the line's "\n". It carries no Check: Reader.Pointer
	// gives the full pointer to resume from.
	Ptr messages.Pointer
}

// Reader reads complete lines of a log, in order, from a pointer on. It is not safe for
// concurrent use.
//
// Next returns io.EOF at the end of the log in batch mode, and can be called again later
// to go on if the log has grown. An incomplete last line is left unread until its "\n" is
// written.
//
// Leaving an hour (docs/log-format.md). A Reader leaves a file for the next newer one only when the
// file has no unread complete line and a newer file exists, checked last while holding a
// shared flock of the file, so that no Writer is in the middle of an append to it; a
// Writer in turn appends to the newest file once a newer one exists. Between the two no
// line of a Writer is lost. For other writers the Reader moreover keeps the file open
// for a grace window: it leaves only once the file has been seen quiet for Grace since
// the newer file appeared. That wait is capped at Grace after the start of the newer
// file's hour (by the Reader's clock): a writer whose clock is within Grace of it has
// moved to the newer hour by then. Files of past hours are therefore left at once, and
// reading settled files is never delayed; within a grace window Next waits (or returns
// ErrWouldWait) in batch mode as in follow mode.
//
// Lines that still arrive in a file after the Reader left it, and files of an older hour
// that appear after the Reader passed it, are not read: Late reports them.
type Reader struct {
	base string
	opts Options

	f    *os.File         // the current file; nil before the first file or after a skipped pointer
	hour int64            // the hour of f; with f nil, reading goes on at the first file newer than hour
	ptr  messages.Pointer // just past the last consumed line

	buf        []byte
	start, end int // buf[start:end] holds read, unconsumed bytes of f

	longN      int64  // > 0 while skipping an over-long line: its bytes dropped from buf so far
	longPrefix []byte // the start of that line

	last []byte // the line just before ptr while its Check is still to be computed, else nil

	known   []int64 // the hours of the last listing of the log's files
	listed  bool    // known holds a listing
	skipped []error
	closed  bool

	grewAt  time.Time // when the current file last yielded bytes
	newerAt time.Time // when a file newer than the current one was first seen; zero before
	passed  []passedFile
	late    []LateData
}

// passedFile is a file the Reader has left, with its size then, watched for late appends.
type passedFile struct {
	hour, size int64
}

// watchedPassed bounds the files left behind that are watched for late appends.
const watchedPassed = 4

// LateData is data the Reader will not read because it arrived behind its position.
type LateData struct {
	// Path is the file's name; Hour its hour.
	Path string
	Hour int64
	// Bytes is how much arrived late: the whole file, or what was appended after the
	// Reader left it.
	Bytes int64
	// WholeFile is set for a file of an older hour that appeared after the Reader passed
	// that hour.
	WholeFile bool
}

func (d LateData) String() string {
	if d.WholeFile {
		return fmt.Sprintf("%s (%d bytes) appeared after the reader had passed its hour; it is not read", d.Path, d.Bytes)
	}
	return fmt.Sprintf("%d bytes were appended to %s after the reader had left it; they are not read", d.Bytes, d.Path)
}

// OpenReader opens the log base for reading just past from. The zero Pointer means the
// start of the oldest file. A pointer whose file is missing, whose offset lies beyond
// its file's end, or whose Check shows that the file was truncated and written again is an
// error wrapping ErrPointerFileMissing, ErrPointerBeyondEnd or ErrPointerRewritten, unless
// opts.SkipMissing is set: then reading starts at the next newer file. A pointer inside its
// file that does not follow a "\n" is an error wrapping ErrPointerMisaligned.
func OpenReader(base string, from messages.Pointer, opts Options) (*Reader, error) {
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Grace == 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Reader{base: base, opts: opts, hour: math.MinInt64, ptr: from, buf: make([]byte, bufferSize)}
	if from.IsZero() {
		return r, nil
	}
	path := Path(base, from.File)
	if from.Offset < 0 {
		return nil, fmt.Errorf("eventlog: pointer %s: negative offset", from)
	}
	f, err := openRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r.skip(from, path, 0, fmt.Errorf("eventlog: pointer %s: %w: %s", from, ErrPointerFileMissing, path))
	}
	if err != nil {
		return nil, fmt.Errorf("eventlog: pointer %s: %w", from, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("eventlog: pointer %s: %w", from, err)
	}
	if size := fi.Size(); from.Offset > size {
		_ = f.Close()
		return r.skip(from, path, size, fmt.Errorf("eventlog: pointer %s: %w: %s has %d bytes, the pointer is at offset %d",
			from, ErrPointerBeyondEnd, path, size, from.Offset))
	} else if from.Offset > 0 && (from.Offset < size || from.Check != 0) {
		if err := verifyPointer(f, path, from); err != nil {
			_ = f.Close()
			if errors.Is(err, ErrPointerRewritten) {
				return r.skip(from, path, fi.Size(), err)
			}
			return nil, err
		}
	}
	if _, err := f.Seek(from.Offset, io.SeekStart); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("eventlog: pointer %s: %w", from, err)
	}
	r.f, r.hour = f, from.File
	return r, nil
}

// verifyPointer checks that from, with an offset inside or at the end of the file f (at
// path), follows a "\n" and, when it carries a Check, that the line before it is the one
// the pointer was taken on.
func verifyPointer(f *os.File, path string, from messages.Pointer) error {
	window := int64(1)
	if from.Check != 0 {
		window = min(from.Offset, MaxLineLength)
	}
	b := make([]byte, window)
	if _, err := f.ReadAt(b, from.Offset-window); err != nil {
		return fmt.Errorf("eventlog: pointer %s: %w", from, err)
	}
	if b[len(b)-1] != '\n' {
		if from.Check != 0 {
			return fmt.Errorf("eventlog: pointer %s: %w: byte %d of %s is no longer a line end",
				from, ErrPointerRewritten, from.Offset-1, path)
		}
		return fmt.Errorf("eventlog: pointer %s: %w: byte %d of %s is not a line end",
			from, ErrPointerMisaligned, from.Offset-1, path)
	}
	if from.Check == 0 {
		return nil
	}
	line := b[:len(b)-1]
	i := bytes.LastIndexByte(line, '\n')
	if i < 0 && from.Offset > window {
		// The line before the pointer is longer than any line a check is taken of.
		return fmt.Errorf("eventlog: pointer %s: %w: the line before offset %d of %s is not the one the pointer was taken after",
			from, ErrPointerRewritten, from.Offset, path)
	}
	if LineCheck(line[i+1:]) != from.Check {
		return fmt.Errorf("eventlog: pointer %s: %w: the line before offset %d of %s is not the one the pointer was taken after",
			from, ErrPointerRewritten, from.Offset, path)
	}
	return nil
}

// skip handles a pointer that cannot be resumed at: an error, or with SkipMissing a Reader
// that goes on at the first file newer than the pointer's.
func (r *Reader) skip(from messages.Pointer, path string, size int64, err error) (*Reader, error) {
	if !r.opts.SkipMissing {
		return nil, err
	}
	r.skipped = append(r.skipped, &SkipError{Path: path, Bytes: size, Err: err})
	r.hour = from.File
	return r, nil
}

// Skipped returns what the Reader went past, each a *SkipError: with SkipMissing a missing
// pointer file, a pointer beyond its file's end, a rewritten or truncated file (wrapping
// ErrPointerFileMissing, ErrPointerBeyondEnd, ErrPointerRewritten or ErrFileTruncated),
// and files removed after they were listed but before they were read.
func (r *Reader) Skipped() []error { return r.skipped }

// Pointer returns the position just past the last line returned (or skipped as bad);
// before any line it is the pointer the Reader was opened at, or the start of the file
// it has moved to. Unlike Line.Ptr it carries the Check of the line before it, which is
// what a pointer to resume from must hold.
func (r *Reader) Pointer() messages.Pointer {
	r.settleCheck()
	return r.ptr
}

// settleCheck computes the Check of the pointer while the line before it is still in the
// buffer. Computing it only when asked, or before the buffer is reused, keeps the
// checksum off the per-line path.
func (r *Reader) settleCheck() {
	if r.last != nil {
		r.ptr.Check, r.last = LineCheck(r.last), nil
	}
}

// Next returns the next complete line. At the end of the log it returns io.EOF in batch
// mode, and waits in follow mode until there is a line or ctx is done (then it returns
// ctx.Err()). A *TruncatedLineError or *LineTooLongError stands for one bad line that
// was skipped (see AsDeadLetter); calling Next again goes on after it. Other errors are
// I/O errors.
func (r *Reader) Next(ctx context.Context) (Line, error) {
	if r.closed {
		return Line{}, ErrClosed
	}
	for {
		if r.f != nil {
			if i := bytes.IndexByte(r.buf[r.start:r.end], '\n'); i >= 0 {
				raw := r.buf[r.start : r.start+i]
				r.start += i + 1
				r.ptr.Check, r.last = 0, nil
				if r.longN > 0 {
					length := r.longN + int64(i)
					r.ptr.Offset += length + 1
					err := &LineTooLongError{Prefix: r.longPrefix, Length: length, Ptr: r.ptr}
					r.longN, r.longPrefix = 0, nil
					return Line{}, err
				}
				r.ptr.Offset += int64(i) + 1
				r.last = raw
				return Line{Raw: raw, Ptr: r.ptr}, nil
			}
			if err := ctx.Err(); err != nil {
				return Line{}, err
			}
			n, err := r.fill()
			if err != nil {
				return Line{}, err
			}
			if n > 0 {
				r.grewAt = r.opts.Now()
				continue
			}
		}
		if err := r.atEnd(ctx); err != nil {
			return Line{}, err
		}
	}
}

// fill reads more of the current file into the buffer; n == 0 means its end was reached.
func (r *Reader) fill() (int, error) {
	r.settleCheck()
	if r.start > 0 {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	if r.end == len(r.buf) {
		// The buffer holds the start of a line longer than MaxLineLength: drop it, keeping
		// its prefix for the error.
		if r.longN == 0 {
			r.longPrefix = bytes.Clone(r.buf[:maxPrefix])
		}
		r.longN += int64(r.end)
		r.end = 0
	}
	n, err := r.f.Read(r.buf[r.end:])
	r.end += n
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("eventlog: read %s: %w", Path(r.base, r.hour), err)
	}
	return n, nil
}

// atEnd handles the end of the current file (or having none): it moves on to a newer
// file, waits, or reports io.EOF, the context's error or a truncated line. A nil error
// means: try reading again.
func (r *Reader) atEnd(ctx context.Context) error {
	if r.f != nil {
		if size, err := r.checkShrunk(); err != nil {
			if !r.opts.SkipMissing {
				return err
			}
			r.skipped = append(r.skipped, &SkipError{Path: Path(r.base, r.hour), Bytes: size, Err: err})
			return r.closeFile() // go on at the next newer file
		}
	}
	next, ok, err := r.newerFile()
	if err != nil {
		return err
	}
	if !ok {
		r.newerAt = time.Time{}
		if !r.opts.Follow {
			return io.EOF
		}
		return r.wait(ctx)
	}
	if r.f == nil {
		return r.open(next)
	}
	now := r.opts.Now()
	if r.newerAt.IsZero() {
		r.newerAt = now
	}
	if r.inGrace(next, now) {
		return r.wait(ctx)
	}
	// Check once more for growth, holding the lock writers append under.
	locked, err := tryLockShared(r.f)
	if err != nil {
		return fmt.Errorf("eventlog: lock %s: %w", Path(r.base, r.hour), err)
	}
	if !locked {
		return r.wait(ctx)
	}
	n, err := r.fill()
	if uerr := unlock(r.f); uerr != nil && err == nil {
		err = fmt.Errorf("eventlog: unlock %s: %w", Path(r.base, r.hour), uerr)
	}
	if err != nil {
		return err
	}
	if n > 0 {
		r.grewAt = now
		return nil
	}
	r.leave()
	var truncated error
	if length := r.longN + int64(r.end-r.start); length > 0 {
		raw := r.longPrefix
		if r.longN == 0 {
			raw = bytes.Clone(r.buf[r.start:min(r.end, r.start+maxPrefix)])
		}
		truncated = &TruncatedLineError{Raw: raw, Length: length,
			Ptr: messages.Pointer{File: r.hour, Offset: r.ptr.Offset + length}}
	}
	if err := r.open(next); err != nil {
		return err
	}
	return truncated
}

// inGrace reports whether the current file, exhausted, is still within its grace window
// with next the newer file (see Reader).
func (r *Reader) inGrace(next int64, now time.Time) bool {
	if r.opts.Grace < 0 {
		return false
	}
	quiet := r.newerAt
	if r.grewAt.After(quiet) {
		quiet = r.grewAt
	}
	if limit := time.Unix(next, 0).Add(r.opts.Grace); quiet.After(limit) {
		quiet = limit
	}
	return now.Before(quiet.Add(r.opts.Grace))
}

// leave records the current file, read to its end, among the files watched for late
// appends.
func (r *Reader) leave() {
	size := r.ptr.Offset + r.longN + int64(r.end-r.start)
	if len(r.passed) == watchedPassed {
		r.passed = append(r.passed[:0], r.passed[1:]...)
	}
	r.passed = append(r.passed, passedFile{hour: r.hour, size: size})
}

// checkShrunk reports a current file that is now shorter than the part of it already
// read: it was truncated (and maybe written again) under the Reader.
func (r *Reader) checkShrunk() (size int64, err error) {
	fi, err := r.f.Stat()
	if err != nil {
		return 0, fmt.Errorf("eventlog: stat %s: %w", Path(r.base, r.hour), err)
	}
	if read := r.ptr.Offset + r.longN + int64(r.end-r.start); fi.Size() < read {
		return fi.Size(), fmt.Errorf("eventlog: %s: %w: it has %d bytes, %d had been read",
			Path(r.base, r.hour), ErrFileTruncated, fi.Size(), read)
	}
	return fi.Size(), nil
}

// newerFile returns the oldest file newer than the current hour. It lists the directory
// only when the files known from the last listing hold none, so that reading a log of
// many files lists it about once, not once per file.
func (r *Reader) newerFile() (int64, bool, error) {
	if h, ok := r.firstAfter(r.hour); ok {
		return h, true, nil
	}
	hours, err := Files(r.base)
	if err != nil {
		return 0, false, err
	}
	if r.listed {
		r.findLate(hours)
	}
	r.known, r.listed = hours, true
	h, ok := r.firstAfter(r.hour)
	return h, ok, nil
}

// findLate compares a new listing with the last one and the watched files left behind:
// older-hour files that appeared since, and growth of files already left, are late data.
func (r *Reader) findLate(hours []int64) {
	for _, h := range hours {
		if h >= r.hour {
			break
		}
		if _, found := slices.BinarySearch(r.known, h); found {
			continue
		}
		path := Path(r.base, h)
		fi, err := os.Stat(path)
		if err != nil {
			continue // gone again
		}
		if fi.Size() > 0 { // an empty file holds nothing to lose; it stays watched
			r.reportLate(LateData{Path: path, Hour: h, Bytes: fi.Size(), WholeFile: true})
		}
		if len(r.passed) == watchedPassed {
			r.passed = append(r.passed[:0], r.passed[1:]...)
		}
		r.passed = append(r.passed, passedFile{hour: h, size: fi.Size()})
	}
	for i := range r.passed {
		p := &r.passed[i]
		path := Path(r.base, p.hour)
		fi, err := os.Stat(path)
		if err != nil || fi.Size() <= p.size {
			continue
		}
		r.reportLate(LateData{Path: path, Hour: p.hour, Bytes: fi.Size() - p.size})
		p.size = fi.Size()
	}
}

func (r *Reader) reportLate(d LateData) { r.late = append(r.late, d) }

// Late returns the late data found since the last call (see Reader) and forgets it.
// The Reader finds it when it lists the log's files: in follow mode at every poll at the
// end of the log, in batch mode at the end of the log.
func (r *Reader) Late() []LateData {
	late := r.late
	r.late = nil
	return late
}

// firstAfter returns the first known hour after hour.
func (r *Reader) firstAfter(hour int64) (int64, bool) {
	i := sort.Search(len(r.known), func(i int) bool { return r.known[i] > hour })
	if i == len(r.known) {
		return 0, false
	}
	return r.known[i], true
}

// open makes the file of hour the current one.
func (r *Reader) open(hour int64) error {
	if err := r.closeFile(); err != nil {
		return err
	}
	r.hour = hour
	r.start, r.end, r.longN, r.longPrefix, r.last = 0, 0, 0, nil, nil
	r.grewAt, r.newerAt = time.Time{}, time.Time{}
	path := Path(r.base, hour)
	f, err := openRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		r.skipped = append(r.skipped, &SkipError{Path: path, Err: fmt.Errorf("eventlog: %s was removed before it was read", path)})
		return nil
	}
	if errors.Is(err, ErrNotRegular) {
		return err
	}
	if err != nil {
		return fmt.Errorf("eventlog: open %s: %w", path, err)
	}
	r.f = f
	r.ptr = messages.Pointer{File: hour}
	return nil
}

func (r *Reader) closeFile() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	if err != nil {
		return fmt.Errorf("eventlog: close %s: %w", Path(r.base, r.hour), err)
	}
	return nil
}

// wait sleeps one poll interval, or until ctx is done; with NoWait it returns ErrWouldWait.
func (r *Reader) wait(ctx context.Context) error {
	if r.opts.NoWait {
		return ErrWouldWait
	}
	t := time.NewTimer(r.opts.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Close releases the Reader's file. Next fails with ErrClosed afterwards.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.closeFile()
}
