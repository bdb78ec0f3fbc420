package actors

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/visitor"
)

func testRules(t testing.TB) *visitor.Rules {
	t.Helper()
	r, err := visitor.ParseRules(rollups.DefaultSpecs(), loggen.ComplexGoals)
	require.NoError(t, err)
	return r
}

// genLog writes a synthetic log and returns its base path.
func genLog(t testing.TB, records int) string {
	t.Helper()
	base := filepath.Join(t.TempDir(), "log", "manhattan.log")
	_, err := loggen.Write(base, loggen.Options{Seed: 3, Records: records, Visitors: records / 8, Days: 2})
	require.NoError(t, err)
	return base
}

// sequential applies every line of the (clean) log in order with one set of histories:
// the reference result of docs/semantics.md.
func sequential(t testing.TB, rules *visitor.Rules, base string) *messages.Deltas {
	t.Helper()
	recs, err := reference.ReadLog(t.Context(), base, messages.Pointer{})
	require.NoError(t, err)
	return reference.Accumulate(rules, recs)
}

// canon renders deltas so that results split into epochs differently compare equal.
func canon(d *messages.Deltas) []string { return reference.CanonicalNonZero(d) }

func config(store Store, rules *visitor.Rules, base string) Config {
	return Config{
		Store: store, Rules: rules, LogBase: base, Shards: 2, BatchSize: 256, FlushEvery: 5000,
		FlushInterval: time.Hour, RetryBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
	}
}

func endPointer(t testing.TB, base string) messages.Pointer {
	t.Helper()
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	last := hours[len(hours)-1]
	fi, err := os.Stat(eventlog.Path(base, last))
	require.NoError(t, err)
	return messages.Pointer{File: last, Offset: fi.Size()}
}

func TestPipelineMatchesSequential(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 20_000)
	want := canon(sequential(t, rules, base))
	require.NotEmpty(t, want)
	cases := []struct {
		shards, batch, cache int
		flush                int64
	}{
		{1, 1000, 1_000_000, 1_000_000},
		{2, 100, 1_000_000, 3000},
		{7, 64, 50, 997}, // tiny cache: evictions, pinning and reloads
		{3, 500, 10, 100_000},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("shards=%d,batch=%d,cache=%d,flush=%d", c.shards, c.batch, c.cache, c.flush), func(t *testing.T) {
			store := newMemStore()
			cfg := config(store, rules, base)
			cfg.Shards, cfg.BatchSize, cfg.CacheSize, cfg.FlushEvery = c.shards, c.batch, c.cache, c.flush
			sum, err := Run(t.Context(), cfg, ingest.Events{})
			require.NoError(t, err)
			assert.Equal(t, int64(20_000), sum.Records)
			assert.Equal(t, endPointer(t, base), store.pointer.At())
			assert.Equal(t, sum.Epochs, store.epoch)
			assert.Equal(t, want, canon(store.totals))
		})
	}
}

func TestFreshStoreLoadsOnlyEvictedVisitors(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 10_000)
	want := canon(sequential(t, rules, base))

	// A store without histories: nothing to load while every visitor stays cached.
	store := newMemStore()
	_, err := Run(t.Context(), config(store, rules, base), ingest.Events{})
	require.NoError(t, err)
	assert.Zero(t, store.loads)
	assert.Equal(t, want, canon(store.totals))

	// A tiny cache evicts: returning evicted visitors are loaded, and come out the same.
	// One epoch in flight and one batch read ahead keep the commits in step with the
	// reading, so that visitors are evicted early and some of them return (with more
	// slack the whole log may be applied before the first eviction, and nothing loads).
	store = newMemStore()
	cfg := config(store, rules, base)
	cfg.CacheSize, cfg.FlushEvery = 20, 500
	cfg.MaxEpochsInFlight, cfg.MaxBatchesAhead = 1, 1
	_, err = Run(t.Context(), cfg, ingest.Events{})
	require.NoError(t, err)
	assert.NotZero(t, store.loads)
	assert.Equal(t, want, canon(store.totals))
}

func TestPipelineResumesFromPointer(t *testing.T) {
	rules := testRules(t)
	full := genLog(t, 6000)
	want := canon(sequential(t, rules, full))

	// Copy the log in two steps: the first half of the files, then the rest.
	hours, err := eventlog.Files(full)
	require.NoError(t, err)
	base := filepath.Join(t.TempDir(), "manhattan.log")
	copyFiles := func(hs []int64) {
		for _, h := range hs {
			b, err := os.ReadFile(eventlog.Path(full, h))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(eventlog.Path(base, h), b, 0o644))
		}
	}
	half := len(hours) / 2
	copyFiles(hours[:half])
	store := newMemStore()
	first, err := Run(t.Context(), config(store, rules, base), ingest.Events{})
	require.NoError(t, err)
	copyFiles(hours[half:])
	second, err := Run(t.Context(), config(store, rules, base), ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, int64(6000), first.Records+second.Records)
	assert.Equal(t, want, canon(store.totals))
}

func TestShardFailureRewinds(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 10_000)
	want := canon(sequential(t, rules, base))
	store := newMemStore()
	cfg := config(store, rules, base)
	cfg.Shards, cfg.FlushEvery = 3, 1500
	var failed atomic.Int32
	cfg.Hooks.ShardBatch = func(shard int, gen, seq int64) {
		// Fail twice: shard 1 in the first generation, shard 2 in the second, both after
		// some epochs have been committed.
		if (gen == 1 && shard == 1 && seq == 25) || (gen == 2 && shard == 2 && seq == 12) {
			failed.Add(1)
			panic(fmt.Sprintf("injected failure of shard %d", shard))
		}
	}
	var restarts atomic.Int32
	sum, err := Run(t.Context(), cfg, ingest.Events{Restarted: func(error) { restarts.Add(1) }})
	require.NoError(t, err)
	assert.Equal(t, int32(2), failed.Load())
	assert.Equal(t, int64(2), sum.Restarts)
	assert.Equal(t, int32(2), restarts.Load())
	assert.Equal(t, want, canon(store.totals))
}

func TestCommitFailuresAreRetried(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 8000)
	want := canon(sequential(t, rules, base))
	store := newMemStore()
	var calls atomic.Int32
	store.failCommit = func(e *messages.Epoch) error {
		if n := calls.Add(1); n == 2 || n == 3 || n == 6 {
			return errors.New("connection refused")
		}
		return nil
	}
	cfg := config(store, rules, base)
	cfg.FlushEvery = 1000
	sum, err := Run(t.Context(), cfg, ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, int64(3), sum.Restarts)
	assert.Equal(t, want, canon(store.totals))
}

func TestRepeatedFailureStops(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 3000)
	store := newMemStore()
	store.failCommit = func(e *messages.Epoch) error {
		if e.Number >= 2 {
			return errors.New("disk full")
		}
		return nil
	}
	cfg := config(store, rules, base)
	cfg.FlushEvery, cfg.MaxFailures = 1000, 3
	_, err := Run(t.Context(), cfg, ingest.Events{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "failed 3 times")
	assert.Contains(t, err.Error(), "disk full")
	assert.Equal(t, int64(1), store.epoch, "the first epoch stays committed")
}

func TestBadRecordsAreDeadLettered(t *testing.T) {
	rules := testRules(t)
	dir := t.TempDir()
	base := filepath.Join(dir, "m.log")
	good := []string{
		"1\tpage\t100.5\tv1\t1\t1.2.3.4\tGET\thttp://x/\tChrome/1\t",
		"1\tpixel\t101\tv1\t1",
		"1\tgoal\t102\tv1\t1\tbuy\t9.99\tS\tC",
		"1\tgoal\t103\tv1\t1\tboom\t\t\t",
		"1\tgoal\t104\tv1\t1\tbuy\t0.01\tS\tC",
	}
	bad := []string{
		"2\tpage\t100\tv1\t1\t1.2.3.4\tGET\thttp://x/\tChrome/1\t",
		"1\tgoal\t102\tv1\t1\tbuy\tabc\tS\tC",
		"1\tpixel\tnot-a-time\tv2\t1",
	}
	var buf bytes.Buffer
	for i := range good {
		buf.WriteString(good[i] + "\n")
		if i < len(bad) {
			buf.WriteString(bad[i] + "\n")
		}
	}
	require.NoError(t, os.WriteFile(base+".3600", buf.Bytes(), 0o644))
	store := newMemStore()
	cfg := config(store, rules, base)
	cfg.Hooks.Record = func(_ int, r *messages.Record) {
		if r.Goal == "boom" {
			panic("bad record")
		}
	}
	sum, err := Run(t.Context(), cfg, ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, int64(4), sum.Records)
	assert.Equal(t, int64(4), sum.DeadLetters)
	require.Len(t, store.dead, 4)
	reasons := map[string]string{}
	for _, d := range store.dead {
		reasons[d.Raw] = d.Reason
		assert.NotZero(t, d.Ptr.Offset)
	}
	for _, b := range bad {
		assert.NotEmpty(t, reasons[b], "dead letter for %q", b)
	}
	var panicked bool
	for raw, why := range reasons {
		if strings.Contains(raw, "boom") {
			panicked = strings.Contains(why, "panic")
		}
	}
	assert.True(t, panicked, "the panicking record is dead-lettered: %v", reasons)
	// Its neighbours still count: both values of "buy".
	var total string
	for k, c := range store.totals.Conversions {
		if k.Goal == "buy" && k.Rollup == "all" {
			total = c.Value.String()
		}
	}
	assert.Equal(t, "10", total)
}

func TestFollowPicksUpGrowthAndStopsCleanly(t *testing.T) {
	rules := testRules(t)
	full := genLog(t, 4000)
	want := canon(sequential(t, rules, full))
	hours, err := eventlog.Files(full)
	require.NoError(t, err)
	base := filepath.Join(t.TempDir(), "manhattan.log")
	store := newMemStore()
	cfg := config(store, rules, base)
	cfg.Follow, cfg.PollInterval, cfg.FlushInterval = true, 10*time.Millisecond, 20*time.Millisecond
	p, err := Start(cfg, ingest.Events{})
	require.NoError(t, err)
	for _, h := range hours {
		b, err := os.ReadFile(eventlog.Path(full, h))
		require.NoError(t, err)
		// Append each file in two writes, the first ending mid-line.
		cut := len(b) / 2
		require.NoError(t, appendFile(eventlog.Path(base, h), b[:cut]))
		time.Sleep(2 * time.Millisecond)
		require.NoError(t, appendFile(eventlog.Path(base, h), b[cut:]))
	}
	end := endPointer(t, full)
	require.Eventually(t, func() bool {
		store.mu.Lock()
		defer store.mu.Unlock()
		return store.pointer.At() == end
	}, 30*time.Second, 10*time.Millisecond)
	assert.True(t, p.Stats().CaughtUp, "the source reported reaching the end of the log")
	p.Stop()
	sum, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, int64(4000), sum.Records)
	assert.Equal(t, want, canon(store.totals))
}

func appendFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func TestOverlongAndTruncatedLinesAreDeadLettered(t *testing.T) {
	rules := testRules(t)
	base := filepath.Join(t.TempDir(), "m.log")
	long := "1\tgoal\t100\tv1\t1\t" + strings.Repeat("x", 300_000) + "\t\t\t\n"
	older := "1\tpage\t100\tv1\t1\t1.2.3.4\tGET\thttp://x/\tChrome/1\t\n" + long + "1\tpixel\t101\tv1\t1\n" +
		"1\tgoal\t102\tv1\t1\tbuy\t1\tS\tC" // a writer died here, mid-line
	newer := "1\tgoal\t7300\tv1\t1\tbuy\t2\tS\tC\n"
	require.NoError(t, os.WriteFile(base+".0", []byte(older), 0o644))
	require.NoError(t, os.WriteFile(base+".7200", []byte(newer), 0o644))
	store := newMemStore()
	sum, err := Run(t.Context(), config(store, rules, base), ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, int64(3), sum.Records)
	assert.Equal(t, int64(2), sum.DeadLetters)
	assert.Equal(t, messages.Pointer{File: 7200, Offset: int64(len(newer))}, store.pointer.At())
	var total string
	for k, c := range store.totals.Conversions {
		if k.Goal == "buy" && k.Rollup == "all" {
			total = c.Value.String()
		}
	}
	assert.Equal(t, "2", total, "only the complete goal line counts")
}

func TestStopWhileStoreIsUnreachable(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 3000)
	store := newMemStore()
	var down atomic.Bool
	store.failCommit = func(*messages.Epoch) error {
		down.Store(true)
		return errors.New("connection refused")
	}
	store.failPointer = func() error {
		if down.Load() {
			return errors.New("connection refused")
		}
		return nil
	}
	cfg := config(store, rules, base)
	cfg.StoreWait = time.Hour // only Stop ends the wait
	p, err := Start(cfg, ingest.Events{})
	require.NoError(t, err)
	require.Eventually(t, down.Load, 10*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond) // the supervisor is now retrying LoadPointer
	p.Stop()
	done := make(chan error, 1)
	go func() { _, err := p.Wait(); done <- err }()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "store was unreachable")
	case <-time.After(20 * time.Second):
		t.Fatal("Stop did not end a pipeline waiting for its store")
	}
	assert.Zero(t, store.epoch, "nothing was committed")
}

func TestPointerOutsideTheLogStopsAtOnce(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 2000)
	store := newMemStore()
	store.pointer, store.epoch = messages.Pointer{File: 42, Offset: 10}, 3 // a file the log lacks
	cfg := config(store, rules, base)
	_, err := Run(t.Context(), cfg, ingest.Events{})
	require.Error(t, err)
	assert.ErrorIs(t, err, eventlog.ErrPointerFileMissing)
	assert.Contains(t, err.Error(), "SkipMissing")
	assert.Contains(t, err.Error(), "another log", "the likely cause first: a log that needs its own source")
	assert.Contains(t, err.Error(), "--source")
	assert.Equal(t, int64(3), store.epoch, "nothing committed")

	cfg.SkipMissing = true
	var gaps []ingest.Gap
	sum, err := Run(t.Context(), cfg, ingest.Events{Gap: func(g ingest.Gap) { gaps = append(gaps, g) }})
	require.NoError(t, err)
	assert.Equal(t, int64(2000), sum.Records, "continues at the next file: here the whole log")
	// ... and says what it skipped.
	require.Len(t, gaps, 1)
	assert.Equal(t, logsource.GapSkipped, gaps[0].Reason)
	assert.Equal(t, eventlog.Path(base, 42), gaps[0].Path)
	assert.Contains(t, gaps[0].Detail, "pointer file does not exist")
}

func TestRunWithNothingNewCommitsNothing(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 1500)
	store := newMemStore()
	first, err := Run(t.Context(), config(store, rules, base), ingest.Events{})
	require.NoError(t, err)
	commits, ptr := store.commits, store.pointer
	second, err := Run(t.Context(), config(store, rules, base), ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, int64(1500), first.Records)
	assert.Zero(t, second.Records)
	assert.Zero(t, second.Epochs)
	assert.Equal(t, []messages.Pointer{ptr}, second.Pointers)
	assert.Equal(t, commits, store.commits, "an empty final epoch is not committed")
}

func TestKillAbortsAndTheNextRunCompletes(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 30_000)
	want := canon(sequential(t, rules, base))
	store := newMemStore()
	cfg := config(store, rules, base)
	cfg.FlushEvery, cfg.BatchSize = 2000, 256
	var commits atomic.Int32
	p, err := Start(cfg, ingest.Events{Committed: func(int64, int64, int64, time.Duration) { commits.Add(1) }})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return commits.Load() >= 2 }, 20*time.Second, time.Millisecond)
	p.Kill()
	_, err = p.Wait()
	if err != nil { // the run may have finished just before the kill
		assert.ErrorIs(t, err, ErrAborted)
	}
	_, err = Run(t.Context(), cfg, ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, want, canon(store.totals))
}

// A pipeline waiting for its store says so in Stats (for /healthz): since when, and until
// when (never with WaitForever); once the store is back it goes on and the wait is over.
func TestStatsShowTheWaitForAnUnreachableStore(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 500)
	store := newMemStore()
	var down atomic.Bool
	down.Store(true)
	store.failPointer = func() error {
		if down.Load() {
			return errors.New("connection refused")
		}
		return nil
	}
	cfg := config(store, rules, base)
	cfg.StoreWait = WaitForever
	p, err := Start(cfg, ingest.Events{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return !p.Stats().StoreDownSince.IsZero() }, 10*time.Second, time.Millisecond)
	assert.True(t, p.Stats().StoreGivesUpAt.IsZero(), "never gives up")
	down.Store(false)
	sum, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, int64(500), sum.Records)
	assert.True(t, p.Stats().StoreDownSince.IsZero())

	store2 := newMemStore()
	store2.failPointer = func() error { return errors.New("connection refused") }
	cfg = config(store2, rules, base)
	cfg.StoreWait = time.Hour
	p, err = Start(cfg, ingest.Events{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return !p.Stats().StoreDownSince.IsZero() }, 10*time.Second, time.Millisecond)
	st := p.Stats()
	assert.Equal(t, st.StoreDownSince.Add(time.Hour), st.StoreGivesUpAt)
	p.Stop()
	_, err = p.Wait()
	require.Error(t, err)
}

// A commit whose outcome was unknown but that landed is counted in the run's summary once
// the committed pointer shows it landed.
func TestSummaryCountsACommitThatLandedDespiteAnError(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 4000)
	store := newMemStore()
	var lost atomic.Bool
	store.loseReply = func(e *messages.Epoch) error {
		if e.Number == 2 && !lost.Swap(true) {
			return errors.New("connection lost during COMMIT")
		}
		return nil
	}
	cfg := config(store, rules, base)
	cfg.FlushEvery = 500
	sum, err := Run(t.Context(), cfg, ingest.Events{})
	require.NoError(t, err)
	require.True(t, lost.Load())
	assert.Equal(t, int64(1), sum.Restarts)
	assert.Equal(t, int64(4000), sum.Records, "the epoch that landed is counted")
	assert.Equal(t, store.epoch, sum.Epochs)
}

// A record that panics inside the counting rules, after they changed counts, must not leave
// half of it counted: the pipeline rewinds and dead-letters the record from then on, so the
// results are those of the log without it.
func TestARecordPanickingInsideTheRulesCountsNothing(t *testing.T) {
	rules := testRules(t)
	base := genLog(t, 6000)
	recs, err := reference.ReadLog(t.Context(), base, messages.Pointer{})
	require.NoError(t, err)
	poison := map[messages.Pointer]bool{}
	var kept []messages.Record
	for i, r := range recs {
		if (i == 700 || i == 3100 || i == 5900) || (r.Kind == messages.KindGoal && i%997 == 0) {
			poison[r.Ptr.At()] = true
			continue
		}
		kept = append(kept, r)
	}
	want := canon(reference.Accumulate(rules, kept))

	store := newMemStore()
	cfg := config(store, rules, base)
	cfg.FlushEvery = 1500
	cfg.Hooks.AfterApply = func(_ int, r *messages.Record) {
		if poison[r.Ptr.At()] {
			panic("counting bug")
		}
	}
	var restarts atomic.Int32
	sum, err := Run(t.Context(), cfg, ingest.Events{Restarted: func(error) { restarts.Add(1) }})
	require.NoError(t, err)
	assert.Equal(t, want, canon(store.totals), "the panicking records count nothing, everything else counts once")
	assert.Equal(t, int32(len(poison)), restarts.Load(), "one rewind per panicking record")
	var panicked int
	for _, d := range store.dead {
		if strings.Contains(d.Reason, "panic while applying record: counting bug") {
			panicked++
			assert.True(t, poison[d.Ptr.At()], "dead letter at %v", d.Ptr)
		}
	}
	assert.Equal(t, len(poison), panicked, "each is dead-lettered once")
	assert.Equal(t, int64(len(kept)), sum.Records)
}
