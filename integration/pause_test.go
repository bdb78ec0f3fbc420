package integration

import (
	"bytes"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/loggen"
)

// A process paused (SIGSTOP) beyond its lease loses the source to another process; when it
// resumes (SIGCONT) it cannot commit: its fencing token is no longer current, so it stops
// with an error saying its claim is not current, and the results are those of one sequential pass.
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
			"--shards", "2", "--flush-every", "5000", "--progress=false", "--owner", owner, "--lease", lease}
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

	out, err := exec.Command(bin, args("successor", "30s")...).CombinedOutput()
	require.NoError(t, err, "the successor takes the source over once the lease has ended: %s", out)
	assert.Equal(t, want, canonical(dump(t, store)), "the successor's run gives the sequential results")
	end, _, err := store.LoadPointer(t.Context(), "default")
	require.NoError(t, err)
	assert.NotEqual(t, before, end)

	require.NoError(t, paused.Process.Signal(syscall.SIGCONT))
	done := make(chan error, 1)
	go func() { done <- paused.Wait() }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the resumed process neither stopped nor finished")
	}
	require.Error(t, err, "the resumed process must not finish as if it still owned the source: %s", pausedErr.String())
	// The successor has finished and released the source by now: the refusal says the
	// paused process's claim is not current.
	assert.Regexp(t, `the claim of paused with token [0-9]+ is not current`, pausedErr.String())
	assert.Equal(t, want, canonical(dump(t, store)), "nothing the paused process did after losing its lease counted")
	after, _, err := store.LoadPointer(t.Context(), "default")
	require.NoError(t, err)
	assert.Equal(t, end, after)
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
