package actors

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
)

// TestCatchUpEpochsAreLarger ingests a backlog with epochs of CatchUpFlushEvery records:
// fewer epochs, fewer histories written twice, the same counts.
func TestCatchUpEpochsAreLarger(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 20_000)
	want := canon(sequential(t, rules, base))

	small := newMemStore()
	cfg := config(small, rules, base)
	cfg.FlushEvery, cfg.BatchSize = 2000, 256
	_, err := Run(t.Context(), cfg, ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, want, canon(small.totals))

	large := newMemStore()
	cfg = config(large, rules, base)
	cfg.FlushEvery, cfg.CatchUpFlushEvery, cfg.BatchSize = 2000, 9000, 256
	sum, err := Run(t.Context(), cfg, ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, want, canon(large.totals))
	// Cut after the first batch of 256 lines that reaches 9000 records: at 9216, 18432 and
	// at the end (20,000), instead of every 2048.
	assert.Equal(t, 3, large.commits)
	assert.Equal(t, int64(3), sum.Epochs)
	assert.Equal(t, 10, small.commits)
	assert.Less(t, large.rewrites, small.rewrites)
}

// TestFollowCutsTheBacklogWhenCaughtUp follows a log whose backlog is smaller than
// CatchUpFlushEvery and larger than FlushEvery: the backlog is committed as one epoch as
// soon as the source reaches the end of the log (no flush interval passes in this test),
// and epochs of FlushEvery records follow as the log grows.
func TestFollowCutsTheBacklogWhenCaughtUp(t *testing.T) {
	rules := testRules(t)
	full := genLog(t, 12_000)
	want := canon(sequential(t, rules, full))
	hours, err := eventlog.Files(full)
	require.NoError(t, err)
	require.Greater(t, len(hours), 2)
	base := filepath.Join(t.TempDir(), "manhattan.log")
	copyHours := func(hs []int64) {
		for _, h := range hs {
			b, err := os.ReadFile(eventlog.Path(full, h))
			require.NoError(t, err)
			require.NoError(t, appendFile(eventlog.Path(base, h), b))
		}
	}
	half, lines := 0, 0 // the first hours with about half of the lines
	for ; lines < 6000; half++ {
		b, err := os.ReadFile(eventlog.Path(full, hours[half]))
		require.NoError(t, err)
		lines += bytes.Count(b, []byte("\n"))
	}
	require.Less(t, lines, 9000, "the rest of the log is over 3000 records")
	copyHours(hours[:half])
	backlogEnd := endPointer(t, base)

	store := newMemStore()
	cfg := config(store, rules, base)
	cfg.Follow, cfg.PollInterval, cfg.FlushInterval = true, 5*time.Millisecond, time.Hour
	cfg.FlushEvery, cfg.CatchUpFlushEvery, cfg.BatchSize = 1000, 1_000_000, 256
	p, err := Start(cfg, ingest.Events{})
	require.NoError(t, err)
	defer p.Kill()
	require.Eventually(t, func() bool {
		store.mu.Lock()
		defer store.mu.Unlock()
		return store.pointer.At() == backlogEnd
	}, 30*time.Second, 5*time.Millisecond, "the backlog is committed on reaching the end of the log")
	store.mu.Lock()
	assert.Equal(t, 1, store.commits, "the backlog is one epoch")
	store.mu.Unlock()

	copyHours(hours[half:])
	require.Eventually(t, func() bool { return p.Stats().Read == 12_000 }, 30*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool {
		store.mu.Lock()
		defer store.mu.Unlock()
		// The rest of the log, over 3000 records, gives at least two epochs of 1000 records
		// and more (the flush interval never passes).
		return store.commits >= 3
	}, 30*time.Second, 5*time.Millisecond, "epochs of FlushEvery records once caught up")
	p.Stop()
	sum, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, int64(12_000), sum.Records)
	assert.Equal(t, want, canon(store.totals))
}
