package persistence_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func withConversion(e *messages.Epoch, goal string, n int64, value string) *messages.Epoch {
	e.Deltas.AddConversion(messages.ConversionKey{Goal: goal, Rollup: "all", Bucket: "0", Site: 1}, messages.Counter{Count: n, Value: dec(value)})
	return e
}

// snapshot is everything a test can observe of a store, for before/after comparisons.
type snapshot struct {
	Pointer     messages.Pointer
	Epoch       int64
	Histories   map[string][]byte
	Count       int64
	Value       string
	Impressions int64
	Variant     int64
	Tests       []persistence.TestInfo
	Goals       []persistence.GoalInfo
	DeadLetters []messages.DeadLetter
}

func observe(t *testing.T, st *persistence.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	var err error
	s.Pointer, s.Epoch, err = st.LoadPointer(ctx, "log")
	require.NoError(t, err)
	s.Histories, err = st.LoadHistories(ctx, []string{"v1", "v2", "v3"})
	require.NoError(t, err)
	s.Count, err = st.Count(ctx, persistence.Query{Goal: "g"})
	require.NoError(t, err)
	v, err := st.GoalValue(ctx, persistence.Query{Goal: "g"})
	require.NoError(t, err)
	s.Value = v.String()
	s.Impressions, err = st.Count(ctx, persistence.Query{Test: "t", Population: "A"})
	require.NoError(t, err)
	s.Variant, err = st.Count(ctx, persistence.Query{Goal: "g", Test: "t", Population: "A"})
	require.NoError(t, err)
	s.Tests, err = st.Tests(ctx)
	require.NoError(t, err)
	s.Goals, err = st.Goals(ctx)
	require.NoError(t, err)
	s.DeadLetters, err = st.DeadLetters(ctx, "", 0)
	require.NoError(t, err)
	return s
}

// fullEpoch touches every part of the store.
func fullEpoch(n int64, vids ...string) *messages.Epoch {
	e := epoch(n)
	for _, v := range vids {
		e.Histories = append(e.Histories, messages.HistorySnapshot{VID: v, Data: []byte("epoch " + string(rune('0'+n)))})
	}
	withConversion(e, "g", 1, "1.25")
	e.Deltas.AddImpression(messages.ImpressionKey{Test: "t", Population: "A", Rollup: "all", Bucket: "0", Site: 1}, 1)
	e.Deltas.AddVariantConversion(messages.VariantConversionKey{Goal: "g", Test: "t", Population: "A", Rollup: "all", Bucket: "0", Site: 1}, messages.Counter{Count: 1, Value: dec("1.25")})
	e.Deltas.SeeTest("t", messages.TestMeta{First: 100 * n, Last: 100 * n, Populations: map[string]struct{}{"A": {}}})
	e.Deltas.SeeGoal("g", messages.GoalMeta{ValueType: "S", ValueFormat: "C", At: messages.Pointer{File: 1, Offset: 100 * n}})
	e.DeadLetters = []messages.DeadLetter{{Raw: "junk", Reason: "bad line", Ptr: messages.Pointer{File: 1, Offset: 100*n - 1}}}
	return e
}

func TestStaleOrRepeatedEpochIsRefusedAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	commit(t, st, fullEpoch(1, "v1"))
	commit(t, st, fullEpoch(2, "v2"))
	before := observe(t, st)
	assert.Equal(t, int64(2), before.Epoch)
	assert.Equal(t, int64(2), before.Count)

	for _, n := range []int64{2, 1, 0, -1} {
		err := st.CommitEpoch(ctx, fullEpoch(n, "v1", "v3"))
		require.ErrorIs(t, err, persistence.ErrStaleEpoch, "epoch %d", n)
		assert.Equal(t, before, observe(t, st), "epoch %d changed the store", n)
	}
	// A fresh source starts at epoch 1: epoch 0 is refused too.
	e := fullEpoch(0)
	e.Source = "other"
	require.ErrorIs(t, st.CommitEpoch(ctx, e), persistence.ErrStaleEpoch)
	_, stored, err := st.LoadPointer(ctx, "other")
	require.NoError(t, err)
	assert.Zero(t, stored)

	commit(t, st, fullEpoch(5, "v3")) // gaps are fine: numbers only have to grow
	after := observe(t, st)
	assert.Equal(t, int64(5), after.Epoch)
	assert.Equal(t, int64(3), after.Count)
}

func TestConcurrentCommitsOfOneEpochCountOnce(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	commit(t, st, fullEpoch(1))
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = st.CommitEpoch(ctx, fullEpoch(2, "v1")) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			require.ErrorIs(t, err, persistence.ErrStaleEpoch)
		}
	}
	assert.Equal(t, 1, ok)
	count, err := st.Count(ctx, persistence.Query{Goal: "g"})
	require.NoError(t, err)
	assert.Equal(t, int64(2), count)
}

func TestFailedCommitLeavesNothingBehind(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	commit(t, st, fullEpoch(1, "v1"))
	before := observe(t, st)

	// Epoch 2 writes histories, metadata and dead letters, then overflows a counter in
	// the merge of conversions: the whole transaction must roll back.
	bad := fullEpoch(2, "v1", "v2", "v3")
	bad.Deltas.SeeTest("t2", messages.TestMeta{First: 1, Last: 2, Populations: map[string]struct{}{"X": {}}})
	bad.Deltas.SeeGoal("g2", messages.GoalMeta{ValueType: "A"})
	bad.Deltas.Conversions[messages.ConversionKey{Goal: "g", Rollup: "all", Bucket: "0", Site: 1}] = messages.Counter{Count: math.MaxInt64}
	err := st.CommitEpoch(ctx, bad)
	require.Error(t, err)
	assert.NotErrorIs(t, err, persistence.ErrStaleEpoch)
	assert.Contains(t, err.Error(), "conversions")
	assert.Equal(t, before, observe(t, st))

	// A cancelled context fails the commit before anything is written.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.Error(t, st.CommitEpoch(cancelled, fullEpoch(2, "v2")))
	assert.Equal(t, before, observe(t, st))

	// The same epoch number commits once it is valid: nothing of the failed one remains.
	commit(t, st, fullEpoch(2, "v2"))
	after := observe(t, st)
	assert.Equal(t, int64(2), after.Epoch)
	assert.Equal(t, int64(2), after.Count)
	assert.Contains(t, after.Histories, "v2")
	assert.NotContains(t, after.Histories, "v3")
	require.Len(t, after.Tests, 1)
	require.Len(t, after.Goals, 1)
}

func TestCommitRefusesTextPostgresCannotStore(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	for name, e := range map[string]*messages.Epoch{
		"NUL in goal":       withConversion(epoch(1), "g\x00", 1, "0"),
		"invalid UTF-8 vid": {Source: "log", Number: 1, Histories: []messages.HistorySnapshot{{VID: "v\xff", Data: []byte{1}}}},
		"NUL in population": func() *messages.Epoch {
			e := epoch(1)
			e.Deltas.SeeTest("t", messages.TestMeta{Populations: map[string]struct{}{"\x00": {}}})
			return e
		}(),
		"invalid UTF-8 test": func() *messages.Epoch {
			e := epoch(1)
			e.Deltas.AddImpression(messages.ImpressionKey{Test: "\xc3"}, 1)
			return e
		}(),
		"NUL in value format": func() *messages.Epoch {
			e := epoch(1)
			e.Deltas.SeeGoal("g", messages.GoalMeta{ValueFormat: "\x00"})
			return e
		}(),
	} {
		err := st.CommitEpoch(ctx, e)
		require.Error(t, err, name)
		_, stored, err := st.LoadPointer(ctx, "log")
		require.NoError(t, err)
		assert.Zero(t, stored, name)
	}
}

func TestEmptyEpochMovesThePointer(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	commit(t, st, &messages.Epoch{Source: "log", Number: 1, Advances: []messages.Advance{{Pointer: messages.Pointer{File: 7200, Offset: 42}}}})
	ptr, ep, err := st.LoadPointer(ctx, "log")
	require.NoError(t, err)
	assert.Equal(t, messages.Pointer{File: 7200, Offset: 42}, ptr)
	assert.Equal(t, int64(1), ep)

	ptr, ep, err = st.LoadPointer(ctx, "never")
	require.NoError(t, err)
	assert.True(t, ptr.IsZero())
	assert.Zero(t, ep)
}

func TestPointerCheckIsStoredWithThePointer(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	for i, check := range []uint32{0xfedcba98, 1, 0} {
		want := messages.Pointer{File: 7200, Offset: int64(42 + i), Check: check}
		commit(t, st, &messages.Epoch{Source: "log", Number: int64(i + 1), Advances: []messages.Advance{{Pointer: want}}})
		ptr, _, err := st.LoadPointer(ctx, "log")
		require.NoError(t, err)
		assert.Equal(t, want, ptr)
	}
}

func TestHistoriesUpsertAndLoad(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	e := epoch(1)
	e.Histories = []messages.HistorySnapshot{{VID: "a", Data: []byte("a1")}, {VID: "b", Data: []byte("b1")}, {VID: "ü\\x", Data: []byte{0, 1, 2, 255}}}
	commit(t, st, e)
	e = epoch(2)
	// A visitor twice in one epoch: the last snapshot wins.
	e.Histories = []messages.HistorySnapshot{{VID: "a", Data: []byte("a2")}, {VID: "c", Data: []byte("c2")}, {VID: "a", Data: []byte("a3")}}
	commit(t, st, e)

	got, err := st.LoadHistories(ctx, []string{"a", "b", "c", "ü\\x", "missing"})
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"a": []byte("a3"), "b": []byte("b1"), "c": []byte("c2"), "ü\\x": {0, 1, 2, 255}}, got)

	got, err = st.LoadHistories(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = st.LoadHistories(ctx, []string{"missing"})
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestNewHistoriesAreInsertedAndAStoredOneRefusesTheEpoch(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	has, err := st.HasHistories(ctx)
	require.NoError(t, err)
	assert.False(t, has)

	e := epoch(1)
	e.Histories = []messages.HistorySnapshot{{VID: "a", Data: []byte("a1"), New: true}, {VID: "b", Data: []byte("b1"), New: true}}
	commit(t, st, e)
	has, err = st.HasHistories(ctx)
	require.NoError(t, err)
	assert.True(t, has)

	// A mix: "a" is known (upserted), "c" is new (inserted).
	e = epoch(2)
	e.Histories = []messages.HistorySnapshot{{VID: "c", Data: []byte("c2"), New: true}, {VID: "a", Data: []byte("a2")}}
	commit(t, st, e)
	before := observe(t, st)

	// "b" is stored: a snapshot that calls it new refuses the whole epoch.
	e = fullEpoch(3, "v1")
	e.Histories = append(e.Histories, messages.HistorySnapshot{VID: "b", Data: []byte("b3"), New: true})
	require.Error(t, st.CommitEpoch(ctx, e))
	assert.Equal(t, before, observe(t, st))

	got, err := st.LoadHistories(ctx, []string{"a", "b", "c"})
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"a": []byte("a2"), "b": []byte("b1"), "c": []byte("c2")}, got)
}

func TestDeadLetters(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	e := epoch(1)
	e.DeadLetters = []messages.DeadLetter{
		{Raw: "1\tjunk", Reason: "unknown kind", Ptr: messages.Pointer{File: 3600, Offset: 10}},
		{Raw: "nul\x00and\xffbyte", Reason: "bad", Ptr: messages.Pointer{File: 3600, Offset: 20}},
		{Raw: `text \x00 is not a NUL`, Reason: "bad", Ptr: messages.Pointer{File: 3600, Offset: 50}},
	}
	commit(t, st, e)
	other := &messages.Epoch{Source: "other", Number: 1, Advances: []messages.Advance{{Pointer: messages.Pointer{File: 1, Offset: 2}}}, DeadLetters: []messages.DeadLetter{{Raw: "x", Reason: "y", Ptr: messages.Pointer{File: 1, Offset: 2}}}}
	commit(t, st, other)

	got, err := st.DeadLetters(ctx, "log", 0)
	require.NoError(t, err)
	assert.Equal(t, []messages.DeadLetter{
		{Raw: `text \x00 is not a NUL`, Reason: "bad", Ptr: messages.Pointer{File: 3600, Offset: 50}},
		{Raw: "nul\x00and\xffbyte", Reason: "bad", Ptr: messages.Pointer{File: 3600, Offset: 20}},
		{Raw: "1\tjunk", Reason: "unknown kind", Ptr: messages.Pointer{File: 3600, Offset: 10}},
	}, got, "newest first; the raw bytes exactly as they were: a NUL and the text \\x00 differ")

	got, err = st.DeadLetters(ctx, "", 2)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "x", got[0].Raw)

	got, err = st.DeadLetters(ctx, "log", 1)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "bad", got[0].Reason, "the newest")
}

func TestTestAndGoalMetadataMerge(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	pops := func(ps ...string) map[string]struct{} {
		m := map[string]struct{}{}
		for _, p := range ps {
			m[p] = struct{}{}
		}
		return m
	}
	e := epoch(1)
	e.Deltas.SeeTest("color", messages.TestMeta{First: 100, Last: 200, Populations: pops("red")})
	e.Deltas.SeeTest("size", messages.TestMeta{First: 10, Last: 300, Populations: pops("small", "large")})
	e.Deltas.SeeGoal("buy", messages.GoalMeta{ValueType: "S", ValueFormat: "C", At: messages.Pointer{File: 10, Offset: 500}})
	e.Deltas.SeeGoal("signup", messages.GoalMeta{At: messages.Pointer{File: 10, Offset: 5}})
	commit(t, st, e)

	e = epoch(2)
	e.Deltas.SeeTest("color", messages.TestMeta{First: 50, Last: 150, Populations: pops("blue", "red")})
	e.Deltas.SeeTest("aaa", messages.TestMeta{First: 1, Last: 300, Populations: pops("x")})
	// An earlier log position arriving in a later epoch wins; a later one does not.
	e.Deltas.SeeGoal("buy", messages.GoalMeta{ValueType: "A", ValueFormat: "N", At: messages.Pointer{File: 10, Offset: 100}})
	e.Deltas.SeeGoal("signup", messages.GoalMeta{ValueType: "I", At: messages.Pointer{File: 11, Offset: 0}})
	commit(t, st, e)

	e = epoch(3)
	e.Deltas.SeeTest("color", messages.TestMeta{First: 120, Last: 400, Populations: pops("green")})
	e.Deltas.SeeGoal("buy", messages.GoalMeta{ValueType: "I", At: messages.Pointer{File: 10, Offset: 100}}) // same position: kept
	commit(t, st, e)

	tests, err := st.Tests(ctx)
	require.NoError(t, err)
	assert.Equal(t, []persistence.TestInfo{
		{Name: "color", First: 50, Last: 400, Populations: []string{"blue", "green", "red"}},
		{Name: "aaa", First: 1, Last: 300, Populations: []string{"x"}},
		{Name: "size", First: 10, Last: 300, Populations: []string{"large", "small"}},
	}, tests)

	goals, err := st.Goals(ctx)
	require.NoError(t, err)
	assert.Equal(t, []persistence.GoalInfo{
		{Name: "buy", ValueType: "A", ValueFormat: "N"},
		{Name: "signup", ValueType: "", ValueFormat: ""},
	}, goals)
}

func TestConcurrentReadersSeeWholeEpochs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := pgtest.NewStore(t)
	key := messages.ConversionKey{Goal: "g", Rollup: "all", Bucket: "0", Site: 1}
	views := messages.ConversionKey{Goal: messages.ViewedPage, Rollup: "all", Bucket: "0", Site: 2}
	imp := messages.ImpressionKey{Test: "t", Population: "A", Rollup: "all", Bucket: "0", Site: 1}
	const epochs = 150

	var wg sync.WaitGroup
	var failures sync.Map
	reads := make([]int, 3)
	for r := range 3 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if r < 2 { // two tables, one repeatable-read snapshot
					var conv, imps int64
					err := pgx.BeginTxFunc(ctx, st.Pool(), pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
						if err := tx.QueryRow(ctx, "SELECT coalesce(sum(count), 0) FROM "+st.Schema()+".conversions WHERE goal = 'g'").Scan(&conv); err != nil {
							return err
						}
						return tx.QueryRow(ctx, "SELECT coalesce(sum(count), 0) FROM "+st.Schema()+".impressions").Scan(&imps)
					})
					if err != nil && ctx.Err() == nil {
						failures.Store("read error: "+err.Error(), true)
					}
					if err == nil && conv != imps {
						failures.Store("conversions and impressions differ", true)
					}
				} else { // a goal value whose numerator and divisor move together
					v, err := st.GoalValue(ctx, persistence.Query{Goal: "g"})
					if err != nil && ctx.Err() == nil {
						failures.Store("goal value error: "+err.Error(), true)
					}
					if err == nil && !v.IsZero() && !v.Equal(dec("2")) {
						failures.Store("goal value "+v.String(), true)
					}
				}
				reads[r]++
			}
		})
	}
	for n := int64(1); n <= epochs; n++ {
		e := epoch(n)
		e.Deltas.AddConversion(key, messages.Counter{Count: 1, Value: dec("2")})
		e.Deltas.AddConversion(views, messages.Counter{Count: 1})
		e.Deltas.AddImpression(imp, 1)
		e.Deltas.SeeGoal("g", messages.GoalMeta{ValueType: "I"})
		commit(t, st, e)
	}
	cancel()
	wg.Wait()
	failures.Range(func(k, _ any) bool {
		t.Error(k)
		return true
	})
	for r, n := range reads {
		assert.Positive(t, n, "reader %d ran", r)
	}
	count, err := st.Count(context.Background(), persistence.Query{Test: "t", Population: "A"})
	require.NoError(t, err)
	assert.Equal(t, int64(epochs), count)
}

func TestCommitNilEpoch(t *testing.T) {
	st := pgtest.NewStore(t)
	err := st.CommitEpoch(context.Background(), nil)
	require.Error(t, err)
	assert.False(t, errors.Is(err, persistence.ErrStaleEpoch))
}
