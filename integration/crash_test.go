package integration

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/localpg"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/persistence"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// manhattanBinary builds the command once per test run.
func manhattanBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "manhattan-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "manhattan")
		out, err := exec.Command("go", "build", "-o", binary, "github.com/manhattan-analytics/manhattan/cmd/manhattan").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	require.NoError(t, buildErr)
	return binary
}

func TestIngestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the command")
	}
	bin := manhattanBinary(t)
	rules := generatedRules(t)
	base := generate(t, 300_000, 14)
	want, _ := sequentialResult(t, rules, base)
	store := pgtest.NewStore(t)
	args := []string{"ingest", "--db", pgtest.URL(t), "--schema", store.Schema(), "--log", base,
		"--shards", "2", "--flush-every", "7000", "--catch-up-flush-every", "7000", "--progress=false",
		"--takeover"} // each run takes the source over from the one killed before it, whose lease still holds
	for _, c := range loggen.ComplexGoals {
		args = append(args, "--complex", c)
	}
	for _, r := range generatedRollups {
		args = append(args, "--rollup", r)
	}
	killed := 0
	// Each round waits for the run to commit something new, then kills it a little later:
	// right after a commit, and at points in the middle of later epochs.
	for _, after := range []time.Duration{0, 40 * time.Millisecond, 150 * time.Millisecond, 90 * time.Millisecond} {
		before, _, err := store.LoadPointer(t.Context(), "default")
		require.NoError(t, err)
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		exited := make(chan struct{})
		go func() {
			defer close(exited)
			for {
				now, _, err := store.LoadPointer(t.Context(), "default")
				if err == nil && now != before {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		select {
		case <-exited:
		case <-time.After(time.Minute):
		}
		time.Sleep(after)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err = cmd.Wait()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() {
			killed++
		} else {
			require.NoError(t, err, "ingest failed before it was killed: %s", stderr.String())
		}
		after2, _, err := store.LoadPointer(t.Context(), "default")
		require.NoError(t, err)
		t.Logf("killed after %v: pointer %v -> %v", after, before, after2)
	}
	require.Positive(t, killed, "at least one run was killed mid-ingest")
	out, err := exec.Command(bin, args...).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "records")
	assert.Equal(t, want, canonical(dump(t, store)))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestPostgresRestartMidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a PostgreSQL server")
	}
	rules := generatedRules(t)
	base := generate(t, 150_000, 15)
	want, _ := sequentialResult(t, rules, base)

	// The server may run as an unprivileged user: its folder's parents must let it in.
	parent, err := os.MkdirTemp("", "manhattan-restart-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(parent) })
	require.NoError(t, os.Chmod(parent, 0o755))
	dir := filepath.Join(parent, "pg")
	opts := localpg.Options{Dir: dir, Port: freePort(t), Fast: true}
	ctx := t.Context()
	srv, err := localpg.Start(ctx, opts)
	require.NoError(t, err)
	defer func() { _ = srv.Stop() }()
	store, err := persistence.Open(ctx, srv.URL(), "restart_"+strconv.Itoa(os.Getpid()))
	require.NoError(t, err)
	defer store.Close()
	require.NoError(t, store.Migrate(ctx))

	var commits atomic.Int64
	p, err := actors.Start(actors.Config{
		Store: store, Rules: rules, LogBase: base, Shards: 2, FlushEvery: 2000, BatchSize: 512,
		FlushInterval: time.Hour, RetryBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond,
		StoreWait: time.Minute, CommitTimeout: 20 * time.Second,
	}, ingest.Events{Committed: func(int64, int64, int64, time.Duration) { commits.Add(1) }})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return commits.Load() >= 3 }, time.Minute, 5*time.Millisecond)
	require.NoError(t, srv.Stop())
	stoppedAt := commits.Load()
	time.Sleep(3 * time.Second)
	srv, err = localpg.Start(ctx, opts)
	require.NoError(t, err)

	done := make(chan struct{})
	var sum ingest.Summary
	go func() { sum, err = p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		p.Kill()
		<-done
		t.Fatal("ingest did not finish after PostgreSQL came back")
	}
	require.NoError(t, err)
	assert.Less(t, stoppedAt, int64(150_000/2000), "PostgreSQL was stopped mid-ingest")
	assert.Positive(t, sum.Restarts, "the pipeline rewound while PostgreSQL was down")
	assert.Equal(t, want, canonical(dump(t, store)))
}
