package persistence_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func site(n int64) *int64 { return &n }

// epoch returns an empty epoch n of source "log" ending at pointer (1, n*100).
func epoch(n int64) *messages.Epoch {
	return &messages.Epoch{Source: "log", Number: n, Advances: []messages.Advance{{Pointer: messages.Pointer{File: 1, Offset: n * 100}, Records: 10}}, Deltas: messages.NewDeltas()}
}

func commit(t *testing.T, st *persistence.Store, e *messages.Epoch) {
	t.Helper()
	require.NoError(t, st.CommitEpoch(context.Background(), e))
}

func TestOpenValidatesSchema(t *testing.T) {
	for _, bad := range []string{"1abc", "a-b", `x"; DROP TABLE y; --`, "pg_catalog", "public", "with space", string(make([]byte, 64))} {
		_, err := persistence.Open(context.Background(), "postgres://localhost/none", bad)
		assert.Error(t, err, "%q", bad)
	}
	for _, good := range []string{"manhattan", "_x", "Mixed_Case_9"} {
		assert.NoError(t, persistence.ValidateSchema(good), good)
	}
}

func TestOpenDefaultsSchema(t *testing.T) {
	st, err := persistence.Open(context.Background(), pgtest.URL(t), "")
	require.NoError(t, err)
	defer st.Close()
	assert.Equal(t, persistence.DefaultSchema, st.Schema())
	require.NotNil(t, st.Pool())
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	commit(t, st, withConversion(epoch(1), "g", 3, "1.5"))
	require.NoError(t, st.Migrate(ctx))
	require.NoError(t, st.Migrate(ctx))

	status, err := st.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, persistence.LatestVersion(), status.Version)
	assert.Equal(t, int64(1), status.Rows["conversions"], "data survives")
	var applied int
	require.NoError(t, st.Pool().QueryRow(ctx, "SELECT count(*) FROM "+st.Schema()+".schema_migrations").Scan(&applied))
	assert.Equal(t, persistence.LatestVersion(), applied)
}

func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	schema := pgtest.NewStore(t).Schema() + "_c" // not created yet
	const n = 4
	stores := make([]*persistence.Store, n)
	for i := range stores {
		st, err := persistence.Open(ctx, url, schema)
		require.NoError(t, err)
		defer st.Close()
		stores[i] = st
	}
	defer stores[0].Pool().Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE") //nolint:errcheck
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, st := range stores {
		wg.Go(func() { errs[i] = st.Migrate(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	status, err := stores[1].Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, persistence.LatestVersion(), status.Version)
	var applied int
	require.NoError(t, stores[0].Pool().QueryRow(ctx, "SELECT count(*) FROM "+schema+".schema_migrations").Scan(&applied))
	assert.Equal(t, persistence.LatestVersion(), applied)
}

func TestStatusOfMissingSchema(t *testing.T) {
	ctx := context.Background()
	st, err := persistence.Open(ctx, pgtest.URL(t), pgtest.NewStore(t).Schema()+"_missing")
	require.NoError(t, err)
	defer st.Close()
	status, err := st.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, status.Version)
	assert.Equal(t, persistence.LatestVersion(), status.LatestVersion)
	assert.Empty(t, status.Pointers)
}

func TestStatusAndReset(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	e := withConversion(epoch(1), "g", 1, "0")
	e.Histories = []messages.HistorySnapshot{{VID: "v1", Data: []byte{1}}, {VID: "v2", Data: []byte{2}}}
	e.DeadLetters = []messages.DeadLetter{{Raw: "bad", Reason: "why", Ptr: messages.Pointer{File: 1, Offset: 5}}}
	commit(t, st, e)
	commit(t, st, epoch(2))

	status, err := st.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, st.Schema(), status.Schema)
	require.Len(t, status.Pointers, 1)
	p := status.Pointers[0]
	assert.Equal(t, "log", p.Source)
	assert.Equal(t, int64(2), p.Epoch)
	assert.Equal(t, messages.Pointer{File: 1, Offset: 200}, p.Pointer)
	assert.Equal(t, int64(20), p.Records, "records of both epochs")
	assert.False(t, p.UpdatedAt.IsZero())
	assert.Equal(t, int64(2), status.Rows["histories"])
	assert.Equal(t, int64(1), status.Rows["conversions"])
	assert.Equal(t, int64(1), status.DeadLetters)

	require.NoError(t, st.Reset(ctx))
	status, err = st.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, persistence.LatestVersion(), status.Version)
	assert.Empty(t, status.Pointers)
	for table, n := range status.Rows {
		assert.Zero(t, n, table)
	}
	ptr, ep, err := st.LoadPointer(ctx, "log")
	require.NoError(t, err)
	assert.True(t, ptr.IsZero())
	assert.Zero(t, ep)

	// The store keeps working on the new tables (statements cached on pooled
	// connections refer to the dropped ones by name only).
	commit(t, st, withConversion(epoch(1), "g", 2, "0"))
	n, err := st.Count(ctx, persistence.Query{Goal: "g"})
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
}
