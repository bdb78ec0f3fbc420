package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/ownership"
	"github.com/manhattan-analytics/manhattan/persistence"
)

var _ actors.Leases = (*persistence.Store)(nil)

// copyFiles copies the hour files hours of log from into log to.
func copyFiles(t *testing.T, from, to string, hours []int64) {
	t.Helper()
	for _, h := range hours {
		b, err := os.ReadFile(eventlog.Path(from, h))
		require.NoError(t, err)
		require.NoError(t, appendFile(eventlog.Path(to, h), b))
	}
}

// Two pipelines on one file source: the second is refused and told who owns it; a
// takeover hands the source over and the first one's next commit is refused; the
// results are those of one sequential pass.
func TestTwoPipelinesContendForOneFileSource(t *testing.T) {
	rules := generatedRules(t)
	full := generate(t, 20_000, 21)
	want, _ := sequentialResult(t, rules, full)
	hours, err := eventlog.Files(full)
	require.NoError(t, err)
	require.Greater(t, len(hours), 1)
	base := filepath.Join(t.TempDir(), "log", "manhattan.log")
	require.NoError(t, os.MkdirAll(filepath.Dir(base), 0o755))
	copyFiles(t, full, base, hours[:len(hours)-1])
	store := pgtest.NewStore(t)
	cfg := func(owner string) actors.Config {
		return actors.Config{Store: store, Rules: rules, LogBase: base, Shards: 2, FlushEvery: 3000,
			FlushInterval: 20 * time.Millisecond, PollInterval: 10 * time.Millisecond, Owner: owner, Lease: time.Hour}
	}

	// A follows the log and commits all of it.
	ca := cfg("a")
	ca.Follow = true
	a, err := actors.Start(ca, ingest.Events{})
	require.NoError(t, err)
	defer a.Kill()
	require.Eventually(t, func() bool {
		st := a.Stats()
		return st.CaughtUp && st.Committed.Records+st.Committed.DeadLetters == st.Read
	}, time.Minute, 10*time.Millisecond)

	// B is refused: A owns the source.
	_, err = actors.Run(t.Context(), cfg("b"), ingest.Events{})
	var no *ownership.NotOwnerError
	require.ErrorAs(t, err, &no)
	assert.Equal(t, "a", no.Owner)
	assert.Equal(t, 0, no.Partition)
	assert.Contains(t, err.Error(), `source "default" partition 0 is owned by a (lease until `)
	assert.Contains(t, err.Error(), "--takeover")

	// B takes over. A's claim is no longer current: the lines that arrive now are read
	// by both, A's commit is refused and A stops, naming the new owner.
	cb := cfg("b")
	cb.Takeover, cb.Follow = true, true
	b, err := actors.Start(cb, ingest.Events{})
	require.NoError(t, err)
	defer b.Kill()
	require.Eventually(t, func() bool { // B's claim is made asynchronously
		owners, err := store.Owners(t.Context(), "default")
		return err == nil && len(owners) == 1 && owners[0].Owner == "b"
	}, time.Minute, 10*time.Millisecond)
	copyFiles(t, full, base, hours[len(hours)-1:])
	<-a.Done()
	_, err = a.Wait()
	require.ErrorAs(t, err, &no)
	assert.Equal(t, "b", no.Owner)
	assert.Equal(t, "a", no.Claim.Owner, "%v", err)
	assert.Greater(t, no.Token, no.Claim.Token)
	require.Eventually(t, func() bool {
		st := b.Stats()
		return st.CaughtUp && st.Committed.Records+st.Committed.DeadLetters == st.Read
	}, time.Minute, 10*time.Millisecond)
	b.Stop()
	_, err = b.Wait()
	require.NoError(t, err)

	// B ended and released the source: the next run (any owner) claims it at once.
	_, err = actors.Run(t.Context(), cfg("c"), ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, want, canonical(dump(t, store)))
	status, err := store.Status(t.Context())
	require.NoError(t, err)
	require.Len(t, status.Pointers, 1)
	assert.Empty(t, status.Pointers[0].Owner, "released at the end of the run")
}

// A process that died keeps its lease until it ends; then the source is handed over.
func TestAnEndedLeaseHandsTheFileSourceOver(t *testing.T) {
	rules := generatedRules(t)
	base := generate(t, 5000, 22)
	want, _ := sequentialResult(t, rules, base)
	store := pgtest.NewStore(t)
	_, err := store.Claim(t.Context(), ownership.ClaimRequest{Source: "default", Owner: "dead:1", Partitions: []int{0}, Lease: time.Hour})
	require.NoError(t, err)
	cfg := actors.Config{Store: store, Rules: rules, LogBase: base, Owner: "b", Lease: time.Hour}
	_, err = actors.Run(t.Context(), cfg, ingest.Events{})
	require.ErrorIs(t, err, ownership.ErrNotOwner)

	// A lease that has ended (here: a microsecond long) no longer holds the source.
	_, err = store.Claim(t.Context(), ownership.ClaimRequest{Source: "default", Owner: "dead:1", Partitions: []int{0}, Lease: time.Microsecond, Takeover: true})
	require.NoError(t, err)
	_, err = actors.Run(t.Context(), cfg, ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, want, canonical(dump(t, store)))
}

// A restart on the host of a process that died holding the lease (kill -9, a crash) takes
// the source over at once; a live owner, or one of another host, keeps it.
func TestARestartTakesOverFromADeadProcessOfThisHost(t *testing.T) {
	rules := generatedRules(t)
	base := generate(t, 5000, 23)
	want, _ := sequentialResult(t, rules, base)
	store := pgtest.NewStore(t)
	host, err := os.Hostname()
	require.NoError(t, err)
	cfg := actors.Config{Store: store, Rules: rules, LogBase: base, Owner: host + ":" + strconv.Itoa(os.Getpid()) + "0", Lease: time.Hour}

	claim := func(owner string) {
		_, err := store.Claim(t.Context(), ownership.ClaimRequest{Source: "default", Owner: owner, Partitions: []int{0}, Lease: time.Hour, Takeover: true})
		require.NoError(t, err)
	}
	claim("elsewhere:1")
	_, err = actors.Run(t.Context(), cfg, ingest.Events{})
	require.ErrorIs(t, err, ownership.ErrNotOwner, "another host's owner is not second-guessed")
	claim(host + ":" + strconv.Itoa(os.Getppid()))
	_, err = actors.Run(t.Context(), cfg, ingest.Events{})
	require.ErrorIs(t, err, ownership.ErrNotOwner, "a running process keeps its lease")

	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	claim(host + ":" + strconv.Itoa(dead.Process.Pid))
	_, err = actors.Run(t.Context(), cfg, ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, want, canonical(dump(t, store)))
}
