package ship_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
)

// logWriter appends generated lines to a log, one hour file per 100 lines.
type logWriter struct {
	t *testing.T
	w *eventlog.Writer
}

func newLogWriter(t *testing.T, base string) *logWriter {
	w := eventlog.NewWriter(base)
	t.Cleanup(func() { _ = w.Close() })
	return &logWriter{t: t, w: w}
}

// write appends lines [from, to), each one call.
func (l *logWriter) write(from, to int) {
	for i := from; i < to; i++ {
		ts := int64(1362700800 + 36*i)
		r := messages.Record{Kind: messages.KindGoal, Timestamp: ts, VID: fmt.Sprintf("v%d", i%37), Site: 1, Goal: fmt.Sprintf("g%d", i)}
		require.NoError(l.t, l.w.Append(time.Unix(ts, 0), []byte(messages.FormatLine(&r))))
	}
}
