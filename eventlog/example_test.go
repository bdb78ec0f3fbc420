package eventlog_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
)

// A writer appends records to the hourly files; a reader resumes from a pointer and
// hands out each line with the pointer just past it.
func Example() {
	dir, _ := os.MkdirTemp("", "eventlog-example")
	defer os.RemoveAll(dir)
	base := filepath.Join(dir, "manhattan.log")

	w := eventlog.NewWriter(base)
	now := time.Unix(1362700800, 0)
	for i, kind := range []messages.Kind{messages.KindPixel, messages.KindSplit} {
		rec := messages.Record{Kind: kind, Timestamp: now.Unix(), VID: "v1", Site: 1,
			Test: "hero", Population: "café"}
		_ = w.Append(now.Add(time.Duration(i)*time.Hour), messages.AppendLine(nil, &rec))
	}
	_ = w.Close()

	r, _ := eventlog.OpenReader(base, messages.Pointer{}, eventlog.Options{})
	defer r.Close()
	for {
		line, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if dl, ok := eventlog.AsDeadLetter(err); ok {
			fmt.Println("dead letter:", dl.Reason)
			continue
		}
		rec, err := messages.ParseLine(line.Raw)
		if err != nil {
			fmt.Println("dead letter:", err)
			continue
		}
		rec.Ptr = line.Ptr
		fmt.Printf("%s %q at %s\n", rec.Kind, line.Raw, rec.Ptr)
	}
	// Output:
	// pixel "1\tpixel\t1362700800\tv1\t1" at 1362700800:24
	// split "1\tsplit\t1362700800\tv1\t1\thero\tcaf\\xe9" at 1362704400:37
}
