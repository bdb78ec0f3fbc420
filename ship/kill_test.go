package ship_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/internal/streamtest"
	"github.com/manhattan-analytics/manhattan/ship"
	"github.com/manhattan-analytics/manhattan/stream"
)

// The child process of TestKilledShipperNeitherLosesNorDuplicates: a following shipper
// configured from the environment, running until it is killed.
func TestMain(m *testing.M) {
	if url := os.Getenv("SHIP_CHILD_NATS"); url != "" {
		os.Exit(runChild(url, os.Getenv("SHIP_CHILD_LOG")))
	}
	os.Exit(m.Run())
}

func runChild(url, base string) int {
	ctx := context.Background()
	nc, err := nats.Connect(url)
	if err != nil {
		return 3
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return 3
	}
	info, err := stream.Open(ctx, js, "LOG", 0)
	if err != nil {
		return 3
	}
	sh, err := ship.New(ship.Config{LogBase: base, Progress: base + ".ship", Source: "web1", Stream: info, Conn: nc,
		Follow: true, ChunkLines: 300, MaxInFlight: 4, Linger: time.Millisecond,
		Reader: eventlog.Options{PollInterval: 5 * time.Millisecond}})
	if err != nil {
		return 3
	}
	if err := sh.Run(ctx); err != nil {
		return 1
	}
	return 0
}

func startChild(t *testing.T, url, base string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SHIP_CHILD_NATS="+url, "SHIP_CHILD_LOG="+base)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	return cmd
}

// ackedOffset returns the acknowledged pointer of the progress file.
func acked(t *testing.T, base string) ship.Progress {
	p, _, err := ship.LoadProgress(base + ".ship")
	require.NoError(t, err)
	return p
}

// A shipper killed with SIGKILL at arbitrary moments while the log grows, restarted each
// time, leaves every line in the stream exactly once, in log order per partition.
func TestKilledShipperNeitherLosesNorDuplicates(t *testing.T) {
	srv := natstest.Start(t)
	_, info := newStream(t, srv, 8)
	base := filepath.Join(t.TempDir(), "manhattan.log")
	w := newLogWriter(t, base)
	const rounds, perRound = 4, 3000
	for round := range rounds {
		child := startChild(t, srv.URL(), base)
		// Write while the child ships, and kill it once it has acknowledged part of
		// this round's lines: it is mid-run, with chunks in flight.
		before := acked(t, base).Acked
		for i := 0; i < perRound; i += 100 {
			w.write(round*perRound+i, round*perRound+i+100)
			time.Sleep(time.Millisecond)
		}
		require.Eventually(t, func() bool { return before.Less(acked(t, base).Acked) }, 30*time.Second, time.Millisecond)
		require.NoError(t, child.Process.Signal(syscall.SIGKILL))
		_ = child.Wait()
		t.Logf("round %d: killed at %v with %d chunks pending", round, acked(t, base).Acked, len(acked(t, base).Pending))
	}
	// Finish in-process, to the end of the log.
	nc, err := nats.Connect(srv.URL())
	require.NoError(t, err)
	defer nc.Close()
	sh, err := ship.New(ship.Config{LogBase: base, Progress: base + ".ship", Source: "web1", Stream: info, Conn: nc})
	require.NoError(t, err)
	require.NoError(t, sh.Run(context.Background()))

	_, js := srv.Connect()
	got, _ := streamtest.Partitions(t, js, info)
	want := streamtest.LogPartitions(t, base, 8)
	require.Equal(t, want, got)
	require.Equal(t, rounds*perRound, countLines(got), strconv.Itoa(rounds*perRound)+" lines")
}
