package integration

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/loggen"
)

// A process paused (SIGSTOP) beyond its lease loses the source to another process; when it
// resumes (SIGCONT) it cannot commit: its fencing token is no longer current and the other
// holds the lease, so it stops with an error naming the owner, and the results are those of
// one sequential pass.
func TestPausedIngestCannotCommitAfterLosingItsLease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and pauses it")
	}
	bin := manhattanBinary(t)
	rules := generatedRules(t)
	base := generate(t, 200_000, 15)
	want, _ := sequentialResult(t, rules, base)
	store := pgtest.NewStore(t)
	// If the pause catches the process inside a commit, its open transaction holds the
	// pointer row's lock: the server aborts it after the idle-in-transaction timeout, which
	// here is shorter than the store's default so that the test does not wait a minute.
	db := withParam(pgtest.URL(t), "idle_in_transaction_session_timeout", "2s")
	args := func(owner, lease string) []string {
		a := []string{"ingest", "--db", db, "--schema", store.Schema(), "--log", base,
			"--shards", "2", "--flush-every", "5000", "--catch-up-flush-every", "5000", "--progress=false", "--owner", owner, "--lease", lease}
		for _, c := range loggen.ComplexGoals {
			a = append(a, "--complex", c)
		}
		for _, r := range generatedRollups {
			a = append(a, "--rollup", r)
		}
		return a
	}

	paused := exec.Command(bin, args("paused", "1500ms")...)
	var pausedErr bytes.Buffer
	paused.Stderr = &pausedErr
	require.NoError(t, paused.Start())
	defer func() { _ = paused.Process.Kill() }()
	require.Eventually(t, func() bool {
		p, _, err := store.LoadPointer(t.Context(), "default")
		return err == nil && !p.IsZero()
	}, time.Minute, 5*time.Millisecond, "the first process commits something")
	require.NoError(t, paused.Process.Signal(syscall.SIGSTOP))
	before, _, err := store.LoadPointer(t.Context(), "default")
	require.NoError(t, err)
	time.Sleep(2 * time.Second) // beyond its lease

	// The successor follows the log (so it keeps the lease) and commits all of it.
	successor := exec.Command(bin, append(args("successor", "30s"), "--follow")...)
	var successorOut bytes.Buffer
	successor.Stdout, successor.Stderr = &successorOut, &successorOut
	require.NoError(t, successor.Start())
	defer func() { _ = successor.Process.Kill() }()
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	last := hours[len(hours)-1]
	fi, err := os.Stat(eventlog.Path(base, last))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		p, _, err := store.LoadPointer(t.Context(), "default")
		return err == nil && p.File == last && p.Offset == fi.Size()
	}, 2*time.Minute, 20*time.Millisecond, "the successor takes the source over once the lease has ended and commits it all: %s", &successorOut)
	assert.Equal(t, want, canonical(dump(t, store)), "the successor's run gives the sequential results")
	end, endEpoch, err := store.LoadPointer(t.Context(), "default")
	require.NoError(t, err)
	assert.NotEqual(t, before, end)

	// Resumed, the paused process cannot commit: its claim is not current, and the
	// successor holds the lease.
	require.NoError(t, paused.Process.Signal(syscall.SIGCONT))
	done := make(chan error, 1)
	go func() { done <- paused.Wait() }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the resumed process neither stopped nor finished")
	}
	require.Error(t, err, "the resumed process must not go on as if it still owned the source: %s", pausedErr.String())
	assert.Contains(t, pausedErr.String(), "owned by successor")
	after, afterEpoch, err := store.LoadPointer(t.Context(), "default")
	require.NoError(t, err)
	assert.Equal(t, end, after)
	assert.Equal(t, endEpoch, afterEpoch, "the paused process committed nothing")

	require.NoError(t, successor.Process.Signal(syscall.SIGTERM))
	require.NoError(t, successor.Wait(), "%s", &successorOut)
	assert.Equal(t, want, canonical(dump(t, store)), "nothing the paused process did after losing its lease counted")
}

// withParam adds a run-time parameter to a PostgreSQL URL or keyword/value string.
func withParam(db, key, value string) string {
	switch {
	case !strings.Contains(db, "://"):
		return db + " " + key + "=" + value
	case strings.Contains(db, "?"):
		return db + "&" + key + "=" + value
	default:
		return db + "?" + key + "=" + value
	}
}
