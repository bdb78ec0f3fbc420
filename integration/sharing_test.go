package integration

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/ownership"
	"github.com/manhattan-analytics/manhattan/stream"
)

// owned returns how many partitions of source each owner holds now.
func owned(t *testing.T, store interface {
	Owners(ctx context.Context, source string) ([]messages.Claim, error)
}, source string) map[string]int {
	owners, err := store.Owners(t.Context(), source)
	require.NoError(t, err)
	n := map[string]int{}
	for _, o := range owners {
		n[o.Owner]++
	}
	return n
}

// Processes that share a stream split its partitions, take over those of a process that
// died once its leases end, and give exactly the results of one sequential pass.
func TestSharingProcessesSplitThePartitionsAndTakeOverADeadOnes(t *testing.T) {
	rules := generatedRules(t)
	l := newJSLog(t, 4)
	l.ship(t, generate(t, 20_000, 23), "web1")
	store := pgtest.NewStore(t)
	const source = "events"

	// A process that died holding partitions 2 and 3.
	dead, err := store.Claim(t.Context(), ownership.ClaimRequest{Source: source, Owner: "dead:1", Partitions: []int{2, 3}, Lease: 1500 * time.Millisecond})
	require.NoError(t, err)

	cfg := func(owner string) actors.Config {
		return actors.Config{Store: store, Rules: rules, Log: stream.NewLog(l.js, l.info, l.srv.URL()), Source: source,
			Owner: owner, Lease: 600 * time.Millisecond, Follow: true, Shards: 2, FlushEvery: 2000,
			FlushInterval: 50 * time.Millisecond, PollInterval: 20 * time.Millisecond}
	}
	a, err := actors.Start(cfg("a"), ingest.Events{})
	require.NoError(t, err)
	defer a.Kill()
	// A claims the free partitions at once and the dead one's when their lease ends.
	require.Eventually(t, func() bool { return owned(t, store, source)["a"] == 4 }, time.Minute, 20*time.Millisecond)
	err = store.CommitEpoch(t.Context(), &messages.Epoch{Source: source, Number: 1 << 40, Claims: dead,
		Advances: []messages.Advance{{Pointer: messages.StreamPointer(2, 1, 0)}}})
	require.ErrorIs(t, err, ownership.ErrNotOwner, "the dead process cannot commit if it wakes up")

	// A second process joins: A gives up half of the partitions and B picks them up.
	b, err := actors.Start(cfg("b"), ingest.Events{})
	require.NoError(t, err)
	defer b.Kill()
	require.Eventually(t, func() bool {
		n := owned(t, store, source)
		return n["a"] == 2 && n["b"] == 2
	}, time.Minute, 20*time.Millisecond)

	// Everything gets committed, once.
	require.Eventually(t, func() bool {
		st, err := store.Status(t.Context())
		require.NoError(t, err)
		var records int64
		for _, p := range st.Pointers {
			records += p.Records
		}
		return records == 20_000
	}, time.Minute, 20*time.Millisecond)
	a.Stop()
	b.Stop()
	_, errA := a.Wait()
	_, errB := b.Wait()
	require.NoError(t, errA)
	require.NoError(t, errB)
	assert.Empty(t, owned(t, store, source), "stopped processes release their partitions")

	dumped := filepath.Join(t.TempDir(), "dump", "manhattan.log")
	require.NoError(t, os.MkdirAll(filepath.Dir(dumped), 0o755))
	_, err = stream.Dump(t.Context(), l.js, l.info, dumped)
	require.NoError(t, err)
	want, _ := sequentialResult(t, rules, dumped)
	assert.Equal(t, withoutGoalPositions(want), withoutGoalPositions(canonical(dump(t, store))))
}
