package ship_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/internal/streamtest"
	"github.com/manhattan-analytics/manhattan/ship"
)

// lastFile returns the path of the newest hour file of base.
func lastFile(t *testing.T, base string) string {
	t.Helper()
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	require.NotEmpty(t, hours)
	return eventlog.Path(base, hours[len(hours)-1])
}

// A file truncated and written again under the shipper's progress stops the next
// shipper with an error naming the progress file, instead of shipping from a pointer
// into lines that are not the ones it was taken on; one truncated below the pointer too.
func TestResumeRefusesALogRewrittenUnderTheProgressFile(t *testing.T) {
	srv := natstest.Start(t)
	nc, info := newStream(t, srv, 4)
	base := fixtures.CopyLog(t, fixtures.Clickstream)
	cfg := ship.Config{LogBase: base, Progress: base + ".ship", Source: "web1", Stream: info, Conn: nc}
	sh, err := ship.New(cfg)
	require.NoError(t, err)
	require.NoError(t, sh.Run(context.Background()))
	_, js := srv.Connect()
	shipped, msgs := streamtest.Partitions(t, js, info)

	// The same bytes up to the pointer but for one letter of the last line (every line end
	// where it was), and a new line after it.
	path := lastFile(t, base)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	last := bytes.LastIndexByte(b[:len(b)-1], '\n') + 1
	i := last + bytes.IndexByte(b[last:], '\t') + 1 // the first byte of the line's second field
	b[i] ^= 0x20
	b = append(b, b[last:]...)
	require.NoError(t, os.WriteFile(path, b, 0o644))

	sh, err = ship.New(cfg)
	require.NoError(t, err)
	err = sh.Run(context.Background())
	require.ErrorIs(t, err, eventlog.ErrPointerRewritten)
	require.ErrorContains(t, err, cfg.Progress)
	got, n := streamtest.Partitions(t, js, info)
	require.Equal(t, shipped, got, "nothing shipped from the rewritten file")
	require.Equal(t, msgs, n)

	// Truncated below the pointer.
	require.NoError(t, os.WriteFile(path, b[:last], 0o644))
	sh, err = ship.New(cfg)
	require.NoError(t, err)
	err = sh.Run(context.Background())
	require.ErrorIs(t, err, eventlog.ErrPointerBeyondEnd)
	require.ErrorContains(t, err, cfg.Progress)
}

// A following shipper whose file is truncated under it stops with an error.
func TestFollowingShipperStopsAtATruncatedFile(t *testing.T) {
	srv := natstest.Start(t)
	nc, info := newStream(t, srv, 4)
	base := fixtures.CopyLog(t, fixtures.Clickstream)
	sh, err := ship.New(ship.Config{LogBase: base, Progress: base + ".ship", Source: "web1", Stream: info, Conn: nc, Follow: true,
		Reader: eventlog.Options{PollInterval: 10 * time.Millisecond}})
	require.NoError(t, err)
	ran := make(chan error, 1)
	go func() { ran <- sh.Run(t.Context()) }()
	require.Eventually(t, func() bool { return eventlog.BytesAfter(base, sh.Stats().Acked()) == 0 }, 30*time.Second, 10*time.Millisecond)

	path := lastFile(t, base)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(path, fi.Size()/2))
	select {
	case err = <-ran:
	case <-time.After(time.Minute):
		t.Fatal("the shipper did not stop")
	}
	require.ErrorIs(t, err, eventlog.ErrFileTruncated)
	require.ErrorContains(t, err, base+".ship")
}
