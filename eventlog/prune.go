package eventlog

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// PrunedFile is one log file that Prune removed (or, in a dry run, would remove).
type PrunedFile struct {
	Hour  int64
	Path  string
	Bytes int64
}

// PruneResult says what Prune did.
type PruneResult struct {
	Files []PrunedFile
	Bytes int64
	// Busy lists files that qualified but were locked by a writer at the time: they are
	// kept and can be pruned by a later run.
	Busy []string
}

// Prune removes the files of log base that every reader has finished with and that are
// old: a file of hour H goes when H is before keepFrom (the hour of the file of the
// oldest committed pointer of any source reading this log, so a reader never loses a file
// it still has to read) and the hour ended before cutoff. A file that a writer holds
// locked is kept. With apply false nothing is removed and the result lists what would be.
func Prune(base string, keepFrom int64, cutoff time.Time, apply bool) (PruneResult, error) {
	var res PruneResult
	hours, err := Files(base)
	if err != nil {
		return res, err
	}
	for _, h := range hours {
		if h >= keepFrom || h+3600 > cutoff.Unix() {
			continue
		}
		p := Path(base, h)
		fi, err := os.Lstat(p)
		if err != nil {
			return res, fmt.Errorf("eventlog: prune %s: %w", p, err)
		}
		if !fi.Mode().IsRegular() {
			continue // not a log file; never removed
		}
		if apply {
			removed, err := removeUnlocked(p)
			if err != nil {
				return res, err
			}
			if !removed {
				res.Busy = append(res.Busy, p)
				continue
			}
		}
		res.Files = append(res.Files, PrunedFile{Hour: h, Path: p, Bytes: fi.Size()})
		res.Bytes += fi.Size()
	}
	return res, nil
}

// removeUnlocked removes the file at p while holding its exclusive lock, so that no writer
// is in the middle of an append to it; it reports false when a writer holds the lock.
func removeUnlocked(p string) (bool, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if err != nil {
		return false, fmt.Errorf("eventlog: prune %s: %w", p, err)
	}
	defer f.Close()
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("eventlog: prune %s: lock: %w", p, err)
	}
	if err := os.Remove(p); err != nil {
		return false, fmt.Errorf("eventlog: prune %s: %w", p, err)
	}
	return true, nil
}
