package reference

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
)

// ReadLog reads the log base (e.g. ".../log/manhattan.log") from the pointer from to its
// end and parses every line; each record carries the pointer just past its line. The
// oracle expects clean logs: a malformed or truncated line is an error.
func ReadLog(ctx context.Context, base string, from messages.Pointer) ([]messages.Record, error) {
	r, err := eventlog.OpenReader(base, from, eventlog.Options{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var recs []messages.Record
	for {
		line, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", base, err)
		}
		rec, err := messages.ParseLine(line.Raw)
		if err != nil {
			return nil, fmt.Errorf("read %s: line ending at %s: %w", base, line.Ptr, err)
		}
		rec.Ptr = line.Ptr
		recs = append(recs, rec)
	}
}
