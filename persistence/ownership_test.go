package persistence_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func fileEpoch(n int64, offset int64, claims []messages.Claim) *messages.Epoch {
	e := withConversion(&messages.Epoch{Source: "default", Number: n, Deltas: messages.NewDeltas(),
		Advances: []messages.Advance{{Pointer: messages.Pointer{File: 3600, Offset: offset}, Records: 1}}}, "g", 1, "0")
	e.Claims = claims
	return e
}

func TestASecondOwnerIsRefusedUntilTakeover(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a, err := st.Claim(ctx, persistence.ClaimRequest{Source: "default", Owner: "host-a:1", Partitions: []int{0}, Lease: time.Hour})
	require.NoError(t, err)
	require.Len(t, a, 1)
	assert.Equal(t, int64(1), a[0].Token)
	commit(t, st, fileEpoch(1, 10, a))

	// Another process is told who owns the source and until when; nothing changes.
	_, err = st.Claim(ctx, persistence.ClaimRequest{Source: "default", Owner: "host-b:2", Partitions: []int{0}, Lease: time.Hour})
	var no *persistence.NotOwnerError
	require.ErrorAs(t, err, &no)
	assert.ErrorIs(t, err, persistence.ErrNotOwner)
	assert.Equal(t, "host-a:1", no.Owner)
	assert.Equal(t, a[0].Until.Unix(), no.Until.Unix())
	assert.Contains(t, err.Error(), "owned by host-a:1 (lease until ")

	// A commit without the current claim is refused, with the owner named.
	err = st.CommitEpoch(ctx, fileEpoch(2, 20, nil))
	require.ErrorAs(t, err, &no)
	assert.Equal(t, "host-a:1", no.Owner)

	// The owner claiming again keeps its token.
	again, err := st.Claim(ctx, persistence.ClaimRequest{Source: "default", Owner: "host-a:1", Partitions: []int{0}, Lease: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, a[0].Token, again[0].Token)

	// Takeover: a new token; the old owner's commits and renewals are refused from then on.
	b, err := st.Claim(ctx, persistence.ClaimRequest{Source: "default", Owner: "host-b:2", Partitions: []int{0}, Lease: time.Hour, Takeover: true})
	require.NoError(t, err)
	assert.Equal(t, int64(2), b[0].Token)
	err = st.CommitEpoch(ctx, fileEpoch(2, 20, a))
	require.ErrorAs(t, err, &no)
	assert.Equal(t, "host-b:2", no.Owner)
	assert.Contains(t, err.Error(), "the claim of host-a:1 with token 1 is not current")
	renewed, lost, err := st.Renew(ctx, "default", a, time.Hour)
	require.NoError(t, err)
	assert.Empty(t, renewed)
	require.Len(t, lost, 1)
	assert.Equal(t, "host-b:2", lost[0].Owner)

	commit(t, st, fileEpoch(2, 20, b))
	ptr, ep, err := st.LoadPointer(ctx, "default")
	require.NoError(t, err)
	assert.Equal(t, messages.Pointer{File: 3600, Offset: 20}, ptr)
	assert.Equal(t, int64(2), ep)
	n, err := st.Count(ctx, persistence.Query{Goal: "g"})
	require.NoError(t, err)
	assert.Equal(t, int64(2), n, "the refused commits wrote nothing")

	status, err := st.Status(ctx)
	require.NoError(t, err)
	require.Len(t, status.Pointers, 1)
	assert.Equal(t, "host-b:2", status.Pointers[0].Owner)
	assert.Equal(t, int64(2), status.Pointers[0].Token)
}

func TestAnEndedLeaseHandsThePartitionOver(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a, err := st.Claim(ctx, persistence.ClaimRequest{Source: "default", Owner: "a", Partitions: []int{0}, Lease: time.Microsecond})
	require.NoError(t, err)
	// The lease has ended by the time the next transaction starts.
	b, err := st.Claim(ctx, persistence.ClaimRequest{Source: "default", Owner: "b", Partitions: []int{0}, Lease: time.Hour})
	require.NoError(t, err)
	assert.Greater(t, b[0].Token, a[0].Token)
	require.ErrorIs(t, st.CommitEpoch(ctx, fileEpoch(1, 5, a)), persistence.ErrNotOwner, "a paused owner that wakes up cannot commit")
	commit(t, st, fileEpoch(1, 5, b))
}

func TestReleaseFreesThePartitionsAtOnce(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	a, err := st.Claim(ctx, persistence.ClaimRequest{Source: "s", Owner: "a", Partitions: []int{0, 1, 2}, Lease: time.Hour})
	require.NoError(t, err)
	require.NoError(t, st.Release(ctx, "s", a[:2]))
	owners, err := st.Owners(ctx, "s")
	require.NoError(t, err)
	require.Len(t, owners, 1)
	assert.Equal(t, 2, owners[0].Partition)

	// Some: the free partitions are granted, the held one skipped, up to Max.
	b, err := st.Claim(ctx, persistence.ClaimRequest{Source: "s", Owner: "b", Partitions: []int{0, 1, 2, 3}, Lease: time.Hour, Some: true, Max: 2})
	require.NoError(t, err)
	require.Len(t, b, 2)
	assert.Equal(t, []int{0, 1}, []int{b[0].Partition, b[1].Partition})
	assert.Equal(t, int64(2), b[0].Token, "a new owner gets a new token")
}

func TestHeartbeatCountsTheLiveMembers(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	m, err := st.Heartbeat(ctx, "s", "b", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, m)
	_, err = st.Heartbeat(ctx, "s", "gone", time.Microsecond)
	require.NoError(t, err)
	m, err = st.Heartbeat(ctx, "s", "a", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, m, "an ended membership is forgotten")
	require.NoError(t, st.Leave(ctx, "s", "b"))
	m, err = st.Heartbeat(ctx, "s", "a", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, m)
}

// A frozen process in the middle of a commit holds its pointer rows locked while the
// server waits for its COPY data (the backend is busy, so no server timeout ends it). A
// claim of a partition whose lease runs waits and ends nothing; once a partition's lease
// has ended, a claim of it ends that transaction and takes the partition.
func TestAClaimEndsTheFrozenCommitOfAnEndedLease(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	live, err := st.Claim(ctx, persistence.ClaimRequest{Source: "default", Owner: "host-a:1", Partitions: []int{0}, Lease: time.Hour})
	require.NoError(t, err)
	ending, err := st.Claim(ctx, persistence.ClaimRequest{Source: "default", Owner: "host-a:1", Partitions: []int{1}, Lease: time.Second})
	require.NoError(t, err)

	frozen, err := pgx.Connect(ctx, pgtest.URL(t))
	require.NoError(t, err)
	defer frozen.Close(context.WithoutCancel(ctx))
	for _, q := range []string{"BEGIN",
		"SELECT 1 FROM " + pgx.Identifier{st.Schema(), "pointers"}.Sanitize() + " WHERE source = 'default' FOR UPDATE",
		"CREATE TEMPORARY TABLE staged (x integer)"} {
		_, err = frozen.Exec(ctx, q)
		require.NoError(t, err)
	}
	data, _ := io.Pipe() // never written: the COPY waits for data
	copied := make(chan error, 1)
	go func() {
		_, err := frozen.PgConn().CopyFrom(ctx, data, "COPY staged FROM STDIN")
		copied <- err
	}()

	// Each wait for the lock is at most a second: in four, the claim waits out several and
	// says why it gave up.
	short, cancel := context.WithTimeout(ctx, 4*time.Second)
	_, err = st.Claim(short, persistence.ClaimRequest{Source: "default", Owner: "host-b:2", Partitions: []int{0}, Lease: time.Hour})
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "the pointer rows stayed locked by a commit of their owner, whose lease has not ended")
	select {
	case err := <-copied:
		t.Fatalf("the holder of a live lease was ended: %v", err)
	default:
	}

	require.Eventually(t, func() bool {
		owners, err := st.Owners(ctx, "default")
		return err == nil && len(owners) == 1 && owners[0].Partition == 0
	}, time.Minute, 10*time.Millisecond, "the lease of partition 1 ends")
	b, err := st.Claim(ctx, persistence.ClaimRequest{Source: "default", Owner: "host-b:2", Partitions: []int{1}, Lease: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, ending[0].Token+1, b[0].Token)
	require.Error(t, <-copied, "the frozen transaction was ended")

	e := fileEpoch(1, 20, ending)
	e.Advances[0].Pointer.Partition = 1
	var no *persistence.NotOwnerError
	require.ErrorAs(t, st.CommitEpoch(ctx, e), &no, "the frozen process cannot commit")
	assert.Equal(t, "host-b:2", no.Owner)
	commit(t, st, fileEpoch(1, 10, live))
}
