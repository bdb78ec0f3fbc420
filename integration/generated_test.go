package integration

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// generatedRollups are the rollups the generated logs are counted under: the defaults
// and two cohort rollups, whose counters keep value squares like "all".
var generatedRollups = append(rollups.DefaultSpecs(),
	"cohort_day=first_day:America/Los_Angeles", "cohort_week=first_week:Europe/Paris")

func generatedRules(t testing.TB) *visitor.Rules {
	t.Helper()
	r, err := visitor.ParseRules(generatedRollups, loggen.ComplexGoals)
	require.NoError(t, err)
	return r
}

// generate writes a synthetic log of n records into a temporary folder.
func generate(t testing.TB, n int, seed uint64) string {
	t.Helper()
	base := filepath.Join(t.TempDir(), "log", "manhattan.log")
	_, err := loggen.Write(base, loggen.Options{Seed: seed, Records: n, Days: 3})
	require.NoError(t, err)
	return base
}

// sequentialResult applies every well-formed line of the log, in order, with one set of
// histories (docs/semantics.md done the simplest way), and returns the canonical result and the
// number of malformed lines it skipped.
func sequentialResult(t testing.TB, rules *visitor.Rules, base string) ([]string, int) {
	t.Helper()
	acc, bad := sequentialAccumulator(t, rules, base)
	return canonical(acc.Deltas()), bad
}

// sequentialAccumulator is sequentialResult's accumulator, with the number of
// malformed lines.
func sequentialAccumulator(t testing.TB, rules *visitor.Rules, base string) (*reference.Accumulator, int) {
	t.Helper()
	r, err := eventlog.OpenReader(base, messages.Pointer{}, eventlog.Options{})
	require.NoError(t, err)
	defer r.Close()
	acc := reference.NewAccumulator(rules)
	bad := 0
	for {
		line, err := r.Next(t.Context())
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		rec, err := messages.ParseLine(line.Raw)
		if err != nil {
			bad++
			continue
		}
		rec.Ptr = line.Ptr
		acc.Apply(&rec)
	}
	return acc, bad
}

func TestGeneratedLogIsIndependentOfShardsAndFlushSize(t *testing.T) {
	if testing.Short() {
		t.Skip("large log")
	}
	rules := generatedRules(t)
	base := generate(t, 200_000, 11)
	want, bad := sequentialResult(t, rules, base)
	require.Zero(t, bad)
	for _, c := range []struct {
		shards int
		flush  int64
	}{{1, 100_000}, {4, 1000}} {
		t.Run(fmt.Sprintf("shards=%d,flush=%d", c.shards, c.flush), func(t *testing.T) {
			store := pgtest.NewStore(t)
			sum, err := actors.Run(t.Context(), actors.Config{
				Store: store, Rules: rules, LogBase: base, Shards: c.shards, FlushEvery: c.flush,
				FlushInterval: time.Hour, CacheSize: 20_000,
			}, ingest.Events{})
			require.NoError(t, err)
			assert.Equal(t, int64(200_000), sum.Records)
			assert.Equal(t, want, canonical(dump(t, store)))
		})
	}
}

func TestShardFailureRewindsThroughPostgres(t *testing.T) {
	rules := generatedRules(t)
	base := generate(t, 30_000, 12)
	want, _ := sequentialResult(t, rules, base)
	store := pgtest.NewStore(t)
	injected := 0
	sum, err := actors.Run(t.Context(), actors.Config{
		Store: store, Rules: rules, LogBase: base, Shards: 3, FlushEvery: 4000, BatchSize: 500,
		FlushInterval: time.Hour, RetryBackoff: 10 * time.Millisecond,
		Hooks: actors.Hooks{ShardBatch: func(shard int, gen, seq int64) {
			// A failure outside per-record handling, after some epochs have committed.
			if gen == 1 && shard == 2 && seq == 30 {
				injected++
				panic("injected shard failure")
			}
		}},
	}, ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, 1, injected)
	assert.Equal(t, int64(1), sum.Restarts)
	assert.Equal(t, want, canonical(dump(t, store)))
}
