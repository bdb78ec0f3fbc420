// Package storetest checks an implementation of actors.Store against the contract written
// on that interface: a source that has committed nothing has zero positions, visitors
// without a history are absent (and an empty store says it holds none), an epoch is stored
// whole with its pointer, and an epoch whose number does not grow is refused with
// messages.ErrStaleEpoch and stores nothing. The pipeline's in-memory test store and the
// PostgreSQL store run the same checks. They use partition 0, the one every store serves.
package storetest

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/messages"
)

// Contract runs the checks on a fresh, empty store made by open for each of them.
func Contract(t *testing.T, open func(t *testing.T) actors.Store) {
	t.Run("UnknownSourceHasZeroPositions", func(t *testing.T) {
		ptr, n := pointer(t, open(t), "never committed")
		assert.Equal(t, messages.Pointer{}, ptr)
		assert.Zero(t, n)
	})
	t.Run("UnknownVisitorsAreAbsent", func(t *testing.T) {
		st := open(t)
		has, err := st.HasHistories(t.Context())
		require.NoError(t, err)
		assert.False(t, has, "an empty store holds no history")
		require.NoError(t, st.CommitEpoch(t.Context(), epoch(actors.DefaultSource, 1, 10, "v1")))
		has, err = st.HasHistories(t.Context())
		require.NoError(t, err)
		assert.True(t, has)
		got, err := st.LoadHistories(t.Context(), []string{"v1", "v2"})
		require.NoError(t, err)
		assert.Equal(t, map[string][]byte{"v1": history(1)}, got)
		got, err = st.LoadHistories(t.Context(), nil)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
	t.Run("AnEpochIsStoredWithItsPointer", func(t *testing.T) {
		st := open(t)
		require.NoError(t, st.CommitEpoch(t.Context(), epoch(actors.DefaultSource, 1, 10, "v1")))
		require.NoError(t, st.CommitEpoch(t.Context(), epoch(actors.DefaultSource, 2, 20, "v1")))
		ptr, n := pointer(t, st, actors.DefaultSource)
		assert.Equal(t, messages.Pointer{File: 1, Offset: 20}, ptr.At())
		assert.Equal(t, int64(2), n)
		got, err := st.LoadHistories(t.Context(), []string{"v1"})
		require.NoError(t, err)
		assert.Equal(t, history(2), got["v1"], "the last epoch's history")
		ptr, n = pointer(t, st, "other")
		assert.Zero(t, n, "pointers are per source")
		assert.Equal(t, messages.Pointer{}, ptr)
	})
	t.Run("NonIncreasingEpochsAreRefused", func(t *testing.T) {
		st := open(t)
		require.NoError(t, st.CommitEpoch(t.Context(), epoch(actors.DefaultSource, 2, 10, "v1")))
		for _, n := range []int64{2, 1} {
			err := st.CommitEpoch(t.Context(), epoch(actors.DefaultSource, n, 99, "v1", "v2"))
			require.ErrorIs(t, err, messages.ErrStaleEpoch, "epoch %d", n)
		}
		ptr, n := pointer(t, st, actors.DefaultSource)
		assert.Equal(t, messages.Pointer{File: 1, Offset: 10}, ptr.At(), "a refused epoch stores nothing")
		assert.Equal(t, int64(2), n)
		got, err := st.LoadHistories(t.Context(), []string{"v1", "v2"})
		require.NoError(t, err)
		assert.Equal(t, map[string][]byte{"v1": history(2)}, got, "a refused epoch stores nothing")
	})
}

// pointer returns the committed pointer of partition 0 of source and the source's epoch.
func pointer(t *testing.T, st actors.Store, source string) (messages.Pointer, int64) {
	t.Helper()
	ptrs, n, err := st.LoadPointers(t.Context(), source, []int{0})
	require.NoError(t, err)
	require.Len(t, ptrs, 1)
	return ptrs[0], n
}

// epoch returns epoch n of source advancing partition 0 to offset end of file 1, with a
// conversion and the history history(n) for each of vids.
func epoch(source string, n, end int64, vids ...string) *messages.Epoch {
	e := &messages.Epoch{Source: source, Number: n, Records: int64(len(vids)), Deltas: messages.NewDeltas(),
		Advances: []messages.Advance{{Pointer: messages.Pointer{File: 1, Offset: end}, Records: int64(len(vids))}}}
	e.Deltas.AddConversion(messages.ConversionKey{Goal: "g", Rollup: "all", Bucket: "0", Site: 1},
		messages.Counter{Count: 1, Value: decimal.NewFromInt(n)})
	for _, v := range vids {
		e.Histories = append(e.Histories, messages.HistorySnapshot{VID: v, Data: history(n)})
	}
	return e
}

// history stands for an encoded history: stores keep it as opaque bytes.
func history(n int64) []byte { return []byte{0xA0, byte(n)} }
