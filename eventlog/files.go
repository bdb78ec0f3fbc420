package eventlog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Path returns the name of the file of log base for the hour starting at Unix time hour.
func Path(base string, hour int64) string {
	return base + "." + strconv.FormatInt(hour, 10)
}

// Hour returns the Unix time of the start of the hour that holds t.
func Hour(t time.Time) int64 {
	u := t.Unix()
	h := u - u%3600
	if u%3600 < 0 {
		h -= 3600
	}
	return h
}

// openRegular opens path for reading, refusing anything but a regular file (after
// symlinks) with an error wrapping ErrNotRegular. It opens without waiting, since opening a
// FIFO for reading would wait for a writer.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("eventlog: %s is %s, %w; only regular files are log files", path, kindOf(fi.Mode()), ErrNotRegular)
	}
	return f, nil
}

// kindOf names the kind of file of a mode that is not a regular file.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// Files returns the hours of the files of log base, in ascending numeric order. Names
// whose suffix after "BASE." is not an integer written in its canonical form (no sign,
// no leading zeros) are ignored, as are directories. A missing directory holds no files.
func Files(base string) ([]int64, error) {
	dir, name := filepath.Split(base)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("eventlog: list files of %s: %w", base, err)
	}
	prefix := name + "."
	var hours []int64
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || e.IsDir() {
			continue
		}
		h, err := strconv.ParseInt(suffix, 10, 64)
		if err != nil || strconv.FormatInt(h, 10) != suffix || h < 0 {
			continue
		}
		hours = append(hours, h)
	}
	slices.Sort(hours)
	return hours, nil
}
