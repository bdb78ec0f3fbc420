package eventlog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrIncompleteLine is returned by Writer.Append for data that is empty or does not end
// with "\n".
var ErrIncompleteLine = errors.New("eventlog: data to append must be one or more lines, each ending in \"\\n\"")

// Writer appends lines to the hourly files of a log. It is safe for concurrent use by many
// goroutines, and several writers (in one process or many) may append to the same log:
// every Append is one write(2) of whole lines to a file opened with O_APPEND, made under
// an exclusive flock(2).
//
// A Writer keeps the file of the current hour open. It never goes back to an older hour:
// if the clock steps back, lines go on into the newest file this Writer has opened, so that
// a reader that has moved on to that file does not miss them. Nor does it append to an
// hour once a newer file exists, whoever created it (another writer whose clock is
// ahead): holding the lock of its file it checks for the next hour's file and, if there
// is one, writes to the newest file instead. A Reader leaves a file only after it saw a
// newer one and then took the file's lock, so no line of a Writer is lost at the
// rollover (docs/log-format.md). The check covers clocks less than an hour apart: the newest file
// is looked up when a Writer opens a file, and the next hour's file at every Append.
type Writer struct {
	base string

	mu     sync.Mutex
	f      *os.File // the file of hour, or nil
	hour   int64    // the newest hour this Writer has written to
	opened bool     // hour is set
}

// NewWriter returns a Writer for log base (the files are base.<H>). The directory of base
// is created when the first line is written.
func NewWriter(base string) *Writer {
	return &Writer{base: base}
}

// Append writes lines, one or more complete lines each ending in "\n", to the file of the
// hour holding now. The caller is responsible for the lines' content (see
// messages.AppendLine); Append checks only that the data ends with "\n".
func (w *Writer) Append(now time.Time, lines []byte) error {
	if len(lines) == 0 || lines[len(lines)-1] != '\n' {
		return ErrIncompleteLine
	}
	hour := Hour(now)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.opened && hour < w.hour {
		hour = w.hour
	}
	if w.f == nil || hour != w.hour {
		if err := w.openNewest(hour); err != nil {
			return err
		}
	}
	return w.write(lines)
}

// openNewest opens the file of hour, or the newest file of the log if that is newer.
func (w *Writer) openNewest(hour int64) error {
	hours, err := Files(w.base)
	if err != nil {
		return err
	}
	if n := len(hours); n > 0 && hours[n-1] > hour {
		hour = hours[n-1]
	}
	return w.open(hour)
}

// open makes the file of hour the current one, closing the previous one.
func (w *Writer) open(hour int64) error {
	if w.f != nil {
		err := w.f.Close()
		w.f = nil
		if err != nil {
			return fmt.Errorf("eventlog: close %s: %w", Path(w.base, w.hour), err)
		}
	}
	path := Path(w.base, hour)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("eventlog: create directory of %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("eventlog: open %s: %w", path, err)
	}
	w.f, w.hour, w.opened = f, hour, true
	return nil
}

// write appends p to the current file under an exclusive lock, or to the newest file
// once the next hour's file exists.
func (w *Writer) write(p []byte) error {
	for {
		moved, err := w.writeLocked(p)
		if err != nil || !moved {
			return err
		}
		if err := w.openNewest(w.hour + 3600); err != nil {
			return err
		}
	}
}

// writeLocked takes the current file's lock and appends p, unless a file of the next hour
// exists: then it writes nothing and reports moved.
func (w *Writer) writeLocked(p []byte) (moved bool, err error) {
	path := Path(w.base, w.hour)
	if err := flock(w.f, unix.LOCK_EX); err != nil {
		return false, fmt.Errorf("eventlog: lock %s: %w", path, err)
	}
	defer func() {
		if uerr := unlock(w.f); uerr != nil && err == nil {
			err = fmt.Errorf("eventlog: unlock %s: %w", path, uerr)
		}
	}()
	_, err = os.Lstat(Path(w.base, w.hour+3600))
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("eventlog: look for the file after %s: %w", path, err)
	}
	if _, err := w.f.Write(p); err != nil {
		return false, fmt.Errorf("eventlog: append to %s: %w", path, err)
	}
	return false, nil
}

// Close closes the file the Writer holds open. The Writer stays usable: a later Append
// opens the file it needs again.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("eventlog: close %s: %w", Path(w.base, w.hour), err)
	}
	return nil
}
