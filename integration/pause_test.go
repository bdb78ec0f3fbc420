package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// A process paused (SIGSTOP) beyond its lease loses the source to another process; when it
// resumes (SIGCONT) it cannot commit: its fencing token is no longer current and the other
// holds the lease, so it stops with an error naming the owner, and the results are those of
// one sequential pass.
func TestPausedIngestCannotCommitAfterLosingItsLease(t *testing.T) {
	pausedIngestLosesItsSource(t, false)
}

// The same when the pause catches the process in the middle of a commit, its pointer rows
// locked and the server busy receiving its COPY (not idle in a transaction, so no
// server-side timeout ends it): the successor still takes the source over.
func TestIngestPausedInTheMiddleOfACommitLosesItsSource(t *testing.T) {
	pausedIngestLosesItsSource(t, true)
}

// pausedIngestLosesItsSource pauses an ingest after its first commit: at any moment, or
// (inCopy) by its own hand in the middle of its second commit's COPY.
func pausedIngestLosesItsSource(t *testing.T, inCopy bool) {
	if testing.Short() {
		t.Skip("builds the command and pauses it")
	}
	bin := manhattanBinary(t)
	rules := generatedRules(t)
	base := generate(t, 200_000, 15)
	want, _ := sequentialResult(t, rules, base)
	store := pgtest.NewStore(t)
	db := pgtest.URL(t)
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
	if inCopy {
		paused.Env = append(os.Environ(), persistence.StopInCopyEnv+"=1")
	}
	var pausedErr bytes.Buffer
	paused.Stderr = &pausedErr
	require.NoError(t, paused.Start())
	defer func() { _ = paused.Process.Kill() }()
	if inCopy {
		require.Eventually(t, func() bool { return processState(t, paused.Process.Pid) == "T" },
			2*time.Minute, 5*time.Millisecond, "the first process stops itself in its second commit: %s", &pausedErr)
	} else {
		require.Eventually(t, func() bool {
			p, _, err := store.LoadPointer(t.Context(), "default")
			return err == nil && !p.IsZero()
		}, time.Minute, 5*time.Millisecond, "the first process commits something")
		require.NoError(t, paused.Process.Signal(syscall.SIGSTOP))
	}
	before, _, err := store.LoadPointer(t.Context(), "default")
	require.NoError(t, err)
	if inCopy {
		require.False(t, before.IsZero(), "the first commit went through")
	}
	require.Eventually(t, func() bool {
		owners, err := store.Owners(t.Context(), "default")
		return err == nil && len(owners) == 0
	}, time.Minute, 20*time.Millisecond, "the paused process's lease ends")

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

// processState returns the state letter of process pid (R, S, T, …) from /proc.
func processState(t *testing.T, pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	i := bytes.LastIndex(b, []byte(") "))
	require.Positive(t, i, "%s", b)
	return string(b[i+2 : i+3])
}
