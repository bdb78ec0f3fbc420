package ship

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
)

// progressVersion is the version of the progress file's format.
const progressVersion = 1

// Progress is what a shipper keeps in its progress file.
type Progress struct {
	Version    int    `json:"version"`
	Source     string `json:"source"`
	Stream     string `json:"stream"`
	Partitions int    `json:"partitions"`
	// Acked is the pointer up to which every line is stored in the stream.
	Acked messages.Pointer `json:"acked"`
	// Pending are the ends of the chunks after Acked that may have been published, in
	// order: chunk i spans from the end of chunk i-1 (Acked for the first) to Pending[i].
	Pending []messages.Pointer `json:"pending,omitempty"`
	// Saved is when the file was written.
	Saved time.Time `json:"saved"`
}

// LoadProgress reads a progress file. A missing file is the zero Progress (the start of
// the log) and ok false.
func LoadProgress(path string) (p Progress, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Progress{}, false, nil
	}
	if err != nil {
		return Progress{}, false, fmt.Errorf("ship: progress file: %w", err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return Progress{}, false, fmt.Errorf("ship: progress file %s: %w", path, err)
	}
	if p.Version != progressVersion {
		return Progress{}, false, fmt.Errorf("ship: progress file %s: version %d, this program reads %d", path, p.Version, progressVersion)
	}
	return p, true, nil
}

// SaveProgress writes p to path atomically and durably: a temporary file beside it,
// fsynced, renamed over it.
func SaveProgress(path string, p Progress) error {
	p.Version = progressVersion
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("ship: progress file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("ship: progress file: %w", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("ship: progress file: %w", err)
	}
	return nil
}
