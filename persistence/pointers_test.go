package persistence_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func TestAnEpochCommitsThePointersOfAllItsPartitions(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	e := withConversion(&messages.Epoch{Source: "stream", Number: 1, Deltas: messages.NewDeltas(), Advances: []messages.Advance{
		{Pointer: messages.StreamPointer(3, 17, 120), Records: 4},
		{Pointer: messages.StreamPointer(7, 19, 0), Records: 1},
	}}, "g", 5, "0")
	commit(t, st, e)

	ptrs, top, err := st.LoadPointers(ctx, "stream", []int{7, 0, 3})
	require.NoError(t, err)
	assert.Equal(t, []messages.Pointer{messages.StreamPointer(7, 19, 0), {}, messages.StreamPointer(3, 17, 120)}, ptrs)
	assert.Equal(t, int64(1), top)

	// A later epoch advances one of them; the other keeps its pointer and epoch.
	commit(t, st, &messages.Epoch{Source: "stream", Number: 2, Advances: []messages.Advance{{Pointer: messages.StreamPointer(3, 40, 0), Records: 2}}})
	status, err := st.Status(ctx)
	require.NoError(t, err)
	require.Len(t, status.Pointers, 2)
	assert.Equal(t, messages.StreamPointer(3, 40, 0), status.Pointers[0].Pointer)
	assert.Equal(t, int64(2), status.Pointers[0].Epoch)
	assert.Equal(t, int64(6), status.Pointers[0].Records)
	assert.Equal(t, messages.StreamPointer(7, 19, 0), status.Pointers[1].Pointer)
	assert.Equal(t, int64(1), status.Pointers[1].Epoch)

	// A stale epoch for any partition it covers is refused whole.
	err = st.CommitEpoch(ctx, withConversion(&messages.Epoch{Source: "stream", Number: 1, Deltas: messages.NewDeltas(), Advances: []messages.Advance{
		{Pointer: messages.StreamPointer(7, 50, 0)}, {Pointer: messages.StreamPointer(9, 51, 0)},
	}}, "g", 1, "0"))
	require.ErrorIs(t, err, persistence.ErrStaleEpoch)
	n, err := st.Count(ctx, persistence.Query{Goal: "g"})
	require.NoError(t, err)
	assert.Equal(t, int64(5), n)

	// An epoch that advances no partition is refused.
	require.Error(t, st.CommitEpoch(ctx, &messages.Epoch{Source: "stream", Number: 9}))
}

func TestDeadLettersKeepTheirPartition(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	dl := messages.DeadLetter{Raw: "x", Reason: "undecodable", Ptr: messages.StreamPointer(5, 77, 0)}
	commit(t, st, &messages.Epoch{Source: "stream", Number: 1, Advances: []messages.Advance{{Pointer: dl.Ptr}}, DeadLetters: []messages.DeadLetter{dl}})
	got, err := st.DeadLetters(ctx, "stream", 0)
	require.NoError(t, err)
	assert.Equal(t, []messages.DeadLetter{dl}, got)
}

// A database at schema version 1 (one pointer row per source) keeps its pointers through
// the upgrade: they become partition 0, and ingest resumes from them.
func TestMigrationKeepsTheOldPointers(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	schema := pgx.Identifier{st.Schema()}.Sanitize()
	_, err := st.Pool().Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	require.NoError(t, err)
	require.NoError(t, st.MigrateTo(ctx, 1))
	_, err = st.Pool().Exec(ctx, "INSERT INTO "+schema+`.pointers (source, file, "offset", epoch, records) VALUES ('default', 7200, 4242, 12, 300), ('other', 3600, 10, 2, 5)`)
	require.NoError(t, err)
	_, err = st.Pool().Exec(ctx, "INSERT INTO "+schema+`.dead_letters (source, file, "offset", raw, reason) VALUES ('default', 7200, 100, 'junk', 'bad')`)
	require.NoError(t, err)

	require.NoError(t, st.Migrate(ctx))
	ptr, ep, err := st.LoadPointer(ctx, "default")
	require.NoError(t, err)
	assert.Equal(t, messages.Pointer{File: 7200, Offset: 4242}, ptr)
	assert.Equal(t, int64(12), ep)
	status, err := st.Status(ctx)
	require.NoError(t, err)
	require.Len(t, status.Pointers, 2)
	assert.Equal(t, "", status.Pointers[0].Owner)
	assert.Equal(t, int64(300), status.Pointers[0].Records)
	dls, err := st.DeadLetters(ctx, "default", 0)
	require.NoError(t, err)
	assert.Equal(t, []messages.DeadLetter{{Raw: "junk", Reason: "bad", Ptr: messages.Pointer{File: 7200, Offset: 100}}}, dls)

	// Resume: the next epoch continues the old numbering.
	require.ErrorIs(t, st.CommitEpoch(ctx, &messages.Epoch{Source: "default", Number: 12, Advances: []messages.Advance{{Pointer: messages.Pointer{File: 7200, Offset: 5000}}}}), persistence.ErrStaleEpoch)
	commit(t, st, &messages.Epoch{Source: "default", Number: 13, Advances: []messages.Advance{{Pointer: messages.Pointer{File: 7200, Offset: 5000}, Records: 7}}})
	ptr, ep, err = st.LoadPointer(ctx, "default")
	require.NoError(t, err)
	assert.Equal(t, messages.Pointer{File: 7200, Offset: 5000}, ptr)
	assert.Equal(t, int64(13), ep)
}
