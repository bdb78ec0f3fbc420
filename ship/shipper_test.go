package ship_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/internal/streamtest"
	"github.com/manhattan-analytics/manhattan/ship"
	"github.com/manhattan-analytics/manhattan/stream"
)

func newStream(t *testing.T, srv *natstest.Server, partitions int) (*nats.Conn, stream.Info) {
	t.Helper()
	nc, js := srv.Connect()
	info, err := stream.Create(context.Background(), js, stream.Config{Name: "LOG", Partitions: partitions})
	require.NoError(t, err)
	return nc, info
}

func TestShipsEveryLineOnceInLogOrderPerPartition(t *testing.T) {
	srv := natstest.Start(t)
	nc, info := newStream(t, srv, 8)
	base := fixtures.CopyLog(t, fixtures.Generated20k)
	cfg := ship.Config{LogBase: base, Progress: base + ".ship", Source: "web1", Stream: info, Conn: nc, ChunkLines: 700}
	sh, err := ship.New(cfg)
	require.NoError(t, err)
	require.NoError(t, sh.Run(context.Background()))
	require.EqualValues(t, 20000, sh.Stats().Lines.Load())
	require.Zero(t, sh.Stats().Duplicates.Load())
	require.Zero(t, eventlog.BytesAfter(base, sh.Stats().Acked()))

	_, js := srv.Connect()
	got, msgs := streamtest.Partitions(t, js, info)
	require.Equal(t, streamtest.LogPartitions(t, base, 8), got)
	require.EqualValues(t, sh.Stats().Messages.Load(), msgs)

	// Run again: nothing new to ship, nothing published twice.
	sh, err = ship.New(cfg)
	require.NoError(t, err)
	require.NoError(t, sh.Run(context.Background()))
	require.Zero(t, sh.Stats().Lines.Load())
	got, _ = streamtest.Partitions(t, js, info)
	require.Equal(t, streamtest.LogPartitions(t, base, 8), got)
}

func TestRefusesAProgressFileOfAnotherStreamOrPartitionCount(t *testing.T) {
	srv := natstest.Start(t)
	nc, info := newStream(t, srv, 4)
	base := fixtures.CopyLog(t, fixtures.Clickstream)
	progress := filepath.Join(t.TempDir(), "progress")
	require.NoError(t, ship.SaveProgress(progress, ship.Progress{Source: "web1", Stream: "LOG", Partitions: 8}))
	_, err := ship.New(ship.Config{LogBase: base, Progress: progress, Source: "web1", Stream: info, Conn: nc})
	require.ErrorIs(t, err, ship.ErrProgressMismatch)
	require.ErrorContains(t, err, "stream LOG (8 partitions)")
}

// A following shipper rides out a broker restart: lines written while the broker is away
// wait in the files and arrive once, in order.
func TestFollowingShipperWaitsOutABrokerRestart(t *testing.T) {
	srv := natstest.Start(t)
	_, info := newStream(t, srv, 4)
	nc, err := nats.Connect(srv.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond), nats.ReconnectBufSize(-1))
	require.NoError(t, err)
	defer nc.Close()
	base := filepath.Join(t.TempDir(), "manhattan.log")
	w := newLogWriter(t, base)
	sh, err := ship.New(ship.Config{LogBase: base, Progress: base + ".ship", Source: "web1", Stream: info, Conn: nc,
		Follow: true, Linger: 5 * time.Millisecond, AckTimeout: time.Second, RetryWait: 50 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sh.Run(ctx) }()

	w.write(0, 300)
	waitAcked(t, sh, base)
	srv.Shutdown()
	w.write(300, 600) // the broker is away: these wait in the files
	srv.Restart()
	w.write(600, 900)
	waitAcked(t, sh, base)
	cancel()
	require.NoError(t, <-done)

	_, js := srv.Connect()
	got, _ := streamtest.Partitions(t, js, info)
	require.Equal(t, streamtest.LogPartitions(t, base, 4), got)
	require.EqualValues(t, 900, countLines(got))
}

// waitAcked waits until the shipper has every byte of the log acknowledged.
func waitAcked(t *testing.T, sh *ship.Shipper, base string) {
	t.Helper()
	require.Eventually(t, func() bool { return eventlog.BytesAfter(base, sh.Stats().Acked()) == 0 }, 30*time.Second, 10*time.Millisecond)
}

func countLines(parts []string) (n int) {
	for _, p := range parts {
		for _, c := range p {
			if c == '\n' {
				n++
			}
		}
	}
	return n
}
