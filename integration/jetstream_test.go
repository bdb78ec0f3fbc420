package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/ship"
	"github.com/manhattan-analytics/manhattan/stream"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// jsLog is a stream on an embedded server, with what the tests need to use it.
type jsLog struct {
	srv  *natstest.Server
	nc   *nats.Conn
	js   jetstream.JetStream
	info stream.Info
}

func newJSLog(t testing.TB, partitions int) *jsLog {
	t.Helper()
	srv := natstest.Start(t)
	nc, js := srv.Connect()
	info, err := stream.Create(t.Context(), js, stream.Config{Name: "EVENTS", Partitions: partitions})
	require.NoError(t, err)
	return &jsLog{srv: srv, nc: nc, js: js, info: info}
}

// ship ships the log base to its end as source.
func (l *jsLog) ship(t testing.TB, base, source string) {
	t.Helper()
	sh, err := ship.New(ship.Config{LogBase: base, Progress: base + ".ship", Source: source, Stream: l.info, Conn: l.nc, ChunkLines: 2000})
	require.NoError(t, err)
	require.NoError(t, sh.Run(t.Context()))
}

// ingest runs one pipeline per partition set, concurrently, over the stream into store,
// and returns the records they committed in all.
func (l *jsLog) ingest(t *testing.T, store actors.Store, rules *visitor.Rules, sets ...[]int) int64 {
	t.Helper()
	var wg sync.WaitGroup
	sums := make([]ingest.Summary, len(sets))
	errs := make([]error, len(sets))
	for i, parts := range sets {
		wg.Go(func() {
			// Takeover: processes killed before may still hold the partitions' leases.
			sums[i], errs[i] = actors.Run(t.Context(), actors.Config{
				Store: store, Rules: rules, Log: stream.NewLog(l.js, l.info, l.srv.URL()), Partitions: parts,
				Source: "events", Shards: 2, FlushEvery: 5000, FlushInterval: time.Hour, Takeover: parts != nil,
			}, ingest.Events{})
		})
	}
	wg.Wait()
	var records int64
	for i := range sets {
		require.NoError(t, errs[i], "pipeline %d", i)
		records += sums[i].Records
	}
	return records
}

// partitionSets splits partitions 0..n-1 into k contiguous ranges (k = 0: all, nil).
func partitionSets(n, k int) [][]int {
	if k == 0 {
		return [][]int{nil}
	}
	sets := make([][]int, k)
	for p := range n {
		sets[p*k/n] = append(sets[p*k/n], p)
	}
	return sets
}

func TestFixturesThroughJetStreamGiveEveryExpectedAnswer(t *testing.T) {
	for _, name := range []string{fixtures.Clickstream, fixtures.Generated20k} {
		for _, processes := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/processes=%d", name, processes), func(t *testing.T) {
				l := newJSLog(t, 8)
				l.ship(t, fixtures.CopyLog(t, name), "web1")
				store := pgtest.NewStore(t)
				records := l.ingest(t, store, fixtures.Rules(t, name), partitionSets(8, processes)...)
				assert.Positive(t, records)
				n := reference.CheckAssertions(t, storeAnswerer{t.Context(), store}, fixtures.Expected(name))
				assert.Positive(t, n)
			})
		}
	}
}

// goalAt drops the position of a goal's first conversion from canonical lines: it is a
// stream position in one database and a file position in the other, while the line it
// points at is the same.
var goalAt = regexp.MustCompile(` at=\S+$`)

func withoutGoalPositions(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = goalAt.ReplaceAllString(l, "")
	}
	return out
}

// splitLog moves the files of base round-robin into k logs (as if k web servers had
// written them) and returns their bases.
func splitLog(t *testing.T, base string, k int) []string {
	t.Helper()
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	bases := make([]string, k)
	for i := range bases {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("web%d", i+1))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		bases[i] = filepath.Join(dir, "manhattan.log")
	}
	for i, h := range hours {
		require.NoError(t, os.Rename(eventlog.Path(base, h), eventlog.Path(bases[i%k], h)))
	}
	return bases
}

// Three shippers (a third of the files each) and two ingest processes give exactly the
// results of one file ingest of the stream's lines in stream order (manhattan stream dump).
func TestThreeShippersTwoIngestsEqualAFileIngestOfTheDump(t *testing.T) {
	records := 300_000
	if testing.Short() {
		records = 60_000
	}
	rules := generatedRules(t)
	l := newJSLog(t, 8)
	bases := splitLog(t, generate(t, records, 21), 3)
	var wg sync.WaitGroup
	for i, base := range bases {
		wg.Go(func() { l.ship(t, base, fmt.Sprintf("web%d", i+1)) })
	}
	wg.Wait()

	store := pgtest.NewStore(t)
	require.EqualValues(t, records, l.ingest(t, store, rules, partitionSets(8, 2)...))

	dumped := filepath.Join(t.TempDir(), "dump", "manhattan.log")
	require.NoError(t, os.MkdirAll(filepath.Dir(dumped), 0o755))
	st, err := stream.Dump(t.Context(), l.js, l.info, dumped)
	require.NoError(t, err)
	require.EqualValues(t, records, st.Lines)
	want, bad := sequentialResult(t, rules, dumped)
	require.Zero(t, bad)

	fileStore := pgtest.NewStore(t)
	_, err = actors.Run(context.Background(), actors.Config{Store: fileStore, Rules: rules, LogBase: dumped, Shards: 2, FlushInterval: time.Hour}, ingest.Events{})
	require.NoError(t, err)
	fromFiles := withoutGoalPositions(canonical(dump(t, fileStore)))
	require.Equal(t, withoutGoalPositions(want), fromFiles)
	require.Equal(t, fromFiles, withoutGoalPositions(canonical(dump(t, store))))
}
