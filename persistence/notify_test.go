package persistence_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// heard returns the watcher calls of a WatchCommits, in order.
func watch(t *testing.T, s *persistence.Store) <-chan bool {
	calls := make(chan bool, 100)
	stop := s.WatchCommits(func(listening bool) { calls <- listening })
	t.Cleanup(stop)
	return calls
}

// next returns the next call, failing after a generous bound (a lost notification, not
// a slow one).
func next(t *testing.T, calls <-chan bool) bool {
	t.Helper()
	select {
	case l := <-calls:
		return l
	case <-time.After(30 * time.Second):
		t.Fatal("no call of the watcher")
		return false
	}
}

// untilListening drains the calls up to the first fn(true).
func untilListening(t *testing.T, calls <-chan bool) {
	t.Helper()
	for !next(t, calls) {
	}
}

// Changes made through another connection to the schema (another process) are announced
// to the watchers: a test's configuration stored, a reset. Changes made through the
// store itself are announced at once.
func TestWatchCommitsHearsOtherProcesses(t *testing.T) {
	store := pgtest.NewStore(t)
	other, err := persistence.Open(t.Context(), pgtest.URL(t), store.Schema())
	require.NoError(t, err)
	defer other.Close()
	calls := watch(t, store)
	untilListening(t, calls)

	_, err = other.UpdateTestConfig(t.Context(), "t", func(c *persistence.TestConfig, existed bool) error {
		c.Notes = "changed elsewhere"
		return nil
	})
	require.NoError(t, err)
	require.True(t, next(t, calls), "a configuration stored by another process")

	require.NoError(t, other.Reset(t.Context()))
	require.True(t, next(t, calls), "a reset by another process")

	_, err = store.UpdateTestConfig(t.Context(), "t", func(c *persistence.TestConfig, existed bool) error { return nil })
	require.NoError(t, err)
	select {
	case l := <-calls:
		require.True(t, l)
	default:
		t.Fatal("a change through the store itself is announced before the write returns")
	}
}

// Close ends the listener; a watch after it is told that nothing is announced.
func TestWatchCommitsAfterClose(t *testing.T) {
	store, err := persistence.Open(t.Context(), pgtest.URL(t), pgtest.NewStore(t).Schema())
	require.NoError(t, err)
	calls := watch(t, store)
	untilListening(t, calls)
	store.Close()
	var last bool
	for len(calls) > 0 {
		last = <-calls
	}
	require.False(t, last, "closing stops listening")
	late := watch(t, store)
	require.False(t, next(t, late))
}
