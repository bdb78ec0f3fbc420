package integration

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
)

// A log file truncated and written again with other lines, grown past the committed
// pointer, is reported at once; nothing is read from its middle.
func TestRewrittenFileIsReportedNotReadFromTheMiddle(t *testing.T) {
	rules := generatedRules(t)
	base := generate(t, 2000, 17)
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	last := hours[len(hours)-1]
	store := pgtest.NewStore(t)
	cfg := actors.Config{Store: store, Rules: rules, LogBase: base, Shards: 2, FlushInterval: time.Hour}
	_, err = actors.Run(t.Context(), cfg, ingest.Events{})
	require.NoError(t, err)
	before, _, err := store.LoadPointer(t.Context(), "default")
	require.NoError(t, err)
	require.Equal(t, last, before.File)

	// Rewrite the newest file with the lines of the other files, so that it grows past the
	// pointer and its byte before the pointer is as likely as any to be a line end.
	var other bytes.Buffer
	for _, h := range hours[:len(hours)-1] {
		b, err := os.ReadFile(eventlog.Path(base, h))
		require.NoError(t, err)
		other.Write(b)
	}
	require.Greater(t, int64(other.Len()), before.Offset)
	// Make the byte before the pointer a line end, the case that used to go unnoticed.
	b := other.Bytes()
	i := bytes.IndexByte(b[before.Offset:], '\n')
	require.GreaterOrEqual(t, i, 0)
	b = append(b[:before.Offset-1:before.Offset-1], b[before.Offset+int64(i):]...)
	require.Equal(t, byte('\n'), b[before.Offset-1])
	require.NoError(t, os.WriteFile(eventlog.Path(base, last), b, 0o644))

	var restarts int
	sum, err := actors.Run(t.Context(), cfg, ingest.Events{Restarted: func(error) { restarts++ }})
	require.ErrorIs(t, err, eventlog.ErrPointerRewritten)
	assert.Contains(t, err.Error(), eventlog.Path(base, last))
	assert.Zero(t, restarts, "reported at once, not after rewinds")
	assert.Zero(t, sum.Records)
	after, _, err := store.LoadPointer(t.Context(), "default")
	require.NoError(t, err)
	assert.Equal(t, before, after)
}
