package api_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/stream"
)

// A server that reads the log files of its source shows how many bytes of them lie
// after the committed pointer.
func TestStatusShowsTheLagOfTheLogFiles(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	c := newClient(t, api.New(in.store, api.Options{
		Ingest: func() ingest.Stats { return ingest.Stats{} }, IngestSource: actors.DefaultSource, IngestLog: logsource.NewFiles(in.logBase),
	}))
	status := func() query.StatusAnswer {
		var st query.StatusAnswer
		require.NoError(t, c.getJSON("/api/v1/status", nil, &st))
		require.Len(t, st.Pointers, 1)
		require.NotNil(t, st.Ingest)
		assert.Equal(t, actors.DefaultSource, st.Ingest.Source)
		assert.Equal(t, "files "+in.logBase, st.Ingest.Log)
		assert.Empty(t, st.Ingest.LagError)
		return st
	}
	assert.Equal(t, &query.PartitionLag{Behind: 0, Unit: "bytes"}, status().Pointers[0].Lag, "everything committed")

	hours, err := eventlog.Files(in.logBase)
	require.NoError(t, err)
	line := "1\tpixel\t1400000000\tlate-visitor\t1\n"
	f, err := os.OpenFile(eventlog.Path(in.logBase, hours[len(hours)-1]+3600), os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString(line)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	assert.Equal(t, &query.PartitionLag{Behind: int64(len(line)), Unit: "bytes"}, status().Pointers[0].Lag)
}

// A server without an ingest of the source knows the committed positions and owners of
// its partitions, not their lag.
func TestStatusWithoutTheLogShowsNoLag(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	var st query.StatusAnswer
	require.NoError(t, newClient(t, api.New(in.store, api.Options{})).getJSON("/api/v1/status", nil, &st))
	require.Len(t, st.Pointers, 1)
	assert.Nil(t, st.Pointers[0].Lag)
	assert.Positive(t, st.Pointers[0].Token)
}

// publishLines publishes one message of lines of visitors of partition p and returns its
// stream sequence.
func publishLines(t *testing.T, js jetstream.JetStream, info stream.Info, p int, ts int64, n int) int64 {
	t.Helper()
	var body strings.Builder
	for i := range n {
		for j := 0; ; j++ {
			if vid := fmt.Sprintf("v%d-%d-%d", ts, i, j); stream.Partition(vid, info.Partitions) == p {
				r := messages.Record{Kind: messages.KindPixel, Timestamp: ts, VID: vid, Site: 1}
				body.WriteString(messages.FormatLine(&r))
				break
			}
		}
	}
	ack, err := js.PublishMsg(t.Context(), &nats.Msg{Subject: info.Subject(p), Data: []byte(body.String())})
	require.NoError(t, err)
	return int64(ack.Sequence)
}

// The status of a server that runs the ingest of a stream shows, per partition, its
// owner, lease, fencing token, committed position and how many messages lie after it;
// with the broker away it still answers, and says why the lag is missing.
func TestStatusShowsTheLagOfEachPartitionOfAStream(t *testing.T) {
	srv := natstest.Start(t)
	_, js := srv.Connect()
	info, err := stream.Create(t.Context(), js, stream.Config{Name: "EVENTS", Partitions: 3})
	require.NoError(t, err)
	var last [3]int64
	last[0] = publishLines(t, js, info, 0, 1400000000, 2)
	last[1] = publishLines(t, js, info, 1, 1400000001, 1)
	last[0] = publishLines(t, js, info, 0, 1400000002, 3)

	store := pgtest.NewStore(t)
	log := stream.NewLog(js, info, srv.URL())
	// An hour between commits: the pointers stay where the claim put them while it runs.
	p, err := actors.Start(actors.Config{
		Store: store, Rules: fixtures.Rules(t, fixtures.Clickstream), Log: log, Source: "events", Partitions: []int{0, 1, 2},
		Owner: "web9:1", Follow: true, PollInterval: 10 * time.Millisecond, Shards: 1, FlushInterval: time.Hour,
	}, ingest.Events{})
	require.NoError(t, err)
	defer p.Kill()
	require.Eventually(t, func() bool { return p.Stats().Read == 6 }, time.Minute, 10*time.Millisecond)

	c := newClient(t, api.New(store, api.Options{Ingest: p.Stats, IngestSource: "events", IngestLog: p.Log()}))
	status := func() query.StatusAnswer {
		var st query.StatusAnswer
		require.NoError(t, c.getJSON("/api/v1/status", nil, &st))
		require.NotNil(t, st.Ingest)
		assert.Equal(t, "events", st.Ingest.Source)
		assert.Equal(t, log.String(), st.Ingest.Log)
		return st
	}
	st := status()
	assert.Empty(t, st.Ingest.LagError)
	require.Len(t, st.Pointers, 3)
	for i, ps := range st.Pointers {
		assert.Equal(t, "events", ps.Source)
		assert.Equal(t, i, ps.Partition)
		assert.Equal(t, "web9:1", ps.Owner, "partition %d", i)
		require.NotNil(t, ps.LeaseUntil, "partition %d", i)
		assert.Positive(t, ps.Token)
		assert.Zero(t, ps.File, "nothing committed yet")
		assert.Equal(t, &query.PartitionLag{Behind: last[i], Unit: "messages"}, ps.Lag, "partition %d", i)
	}

	// Committed to the end: no lag; a new message behind one partition's pointer.
	p.Stop()
	_, err = p.Wait()
	require.NoError(t, err)
	added := publishLines(t, js, info, 2, 1400000003, 1)
	st = status()
	require.Len(t, st.Pointers, 3)
	for i, ps := range st.Pointers {
		assert.Equal(t, last[i], ps.File, "partition %d committed to its last message", i)
		want := int64(0)
		if i == 2 {
			want = added
		}
		assert.Equal(t, &query.PartitionLag{Behind: want, Unit: "messages"}, ps.Lag, "partition %d", i)
	}

	// The broker is away: the committed state is still shown, the lag is not.
	srv.Shutdown()
	st = status()
	require.Len(t, st.Pointers, 3)
	assert.True(t, slices.ContainsFunc(st.Pointers, func(ps query.PointerStatus) bool { return ps.File == last[0] }))
	for _, ps := range st.Pointers {
		assert.Nil(t, ps.Lag)
	}
	assert.Contains(t, st.Ingest.LagError, "EVENTS")
}
