package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/ownership"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func TestParsePartitions(t *testing.T) {
	got, err := parsePartitions("9-12, 0,5,11")
	require.NoError(t, err)
	assert.Equal(t, []int{0, 5, 9, 10, 11, 12}, got)
	for _, bad := range []string{"", "a", "-1", "3-1", "1-x"} {
		_, err := parsePartitions(bad)
		assert.Error(t, err, "%q", bad)
	}
}

// A second ingest of a file source that another process owns is refused with who owns it
// and until when; --takeover hands it over.
func TestIngestOfAnOwnedSourceIsRefusedUntilTakeover(t *testing.T) {
	store := pgtest.NewStore(t)
	base := fixtures.CopyLog(t, fixtures.Clickstream)
	_, err := store.Claim(t.Context(), ownership.ClaimRequest{Source: "default", Owner: "web7:4242", Partitions: []int{0}, Lease: time.Hour})
	require.NoError(t, err)
	args := []string{"--db", pgtest.URL(t), "--schema", store.Schema(), "--log", base, "--progress=false"}

	err = runIngest(t.Context(), args)
	require.ErrorIs(t, err, ownership.ErrNotOwner)
	assert.Contains(t, err.Error(), `source "default" partition 0 is owned by web7:4242 (lease until `)
	assert.Contains(t, err.Error(), "--takeover")

	require.NoError(t, runIngest(t.Context(), append(args, "--takeover", "--owner", "ops:1")))
	st, err := store.Status(t.Context())
	require.NoError(t, err)
	require.Len(t, st.Pointers, 1)
	assert.Positive(t, st.Pointers[0].Records)
	assert.Empty(t, st.Pointers[0].Owner, "released when the ingest ended")

	err = runIngest(t.Context(), append(args, "--partitions", "0-3"))
	assert.ErrorContains(t, err, "--partitions: only for a partitioned log")
}

// manhattan ingest --source nats://… reads the stream's partitions into pointer rows named
// after the stream, and counts what a file ingest of the same lines counts.
func TestIngestFromAStream(t *testing.T) {
	srv := natstest.Start(t)
	natsArgs := []string{"--nats", srv.URL(), "--stream", "LOG"}
	code, _, errOut := runCmd(append([]string{"stream", "create", "--partitions", "4"}, natsArgs...)...)
	require.Zero(t, code, errOut)
	base := fixtures.CopyLog(t, fixtures.Clickstream)
	code, _, errOut = runCmd(append([]string{"ship", "--once", "--log", base, "--progress=false"}, natsArgs...)...)
	require.Zero(t, code, errOut)

	files, streamed := pgtest.NewStore(t), pgtest.NewStore(t)
	common := []string{"--db", pgtest.URL(t), "--progress=false"}
	for _, c := range fixtures.ComplexFlags(t, fixtures.Clickstream) {
		common = append(common, "--complex", c)
	}
	require.NoError(t, runIngest(t.Context(), append(common, "--schema", files.Schema(), "--log", base)))
	require.NoError(t, runIngest(t.Context(), append(common, "--schema", streamed.Schema(), "--source", srv.URL(), "--stream", "LOG")))
	// Again, for two partitions only: nothing new.
	require.NoError(t, runIngest(t.Context(), append(common, "--schema", streamed.Schema(), "--source", srv.URL(), "--stream", "LOG", "--partitions", "1-2")))

	st, err := streamed.Status(t.Context())
	require.NoError(t, err)
	require.Len(t, st.Pointers, 4)
	var records int64
	for i, p := range st.Pointers {
		assert.Equal(t, "LOG", p.Source)
		assert.Equal(t, i, p.Pointer.Partition)
		records += p.Records
	}
	fst, err := files.Status(t.Context())
	require.NoError(t, err)
	require.Len(t, fst.Pointers, 1)
	assert.Equal(t, fst.Pointers[0].Records, records)
	for _, goal := range []string{"viewed page", "abandoned cart"} {
		want, err := files.Count(t.Context(), persistence.Query{Goal: goal})
		require.NoError(t, err)
		got, err := streamed.Count(t.Context(), persistence.Query{Goal: goal})
		require.NoError(t, err)
		assert.Equal(t, want, got, goal)
	}
}
