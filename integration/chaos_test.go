package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/ship"
	"github.com/manhattan-analytics/manhattan/stream"
)

// The environment scripts/chaos-jetstream.sh gives TestChaosStreamLeaderKilled: the
// cluster's client URLs, and the script itself, which kills or starts a node by name.
const (
	chaosURLs    = "MANHATTAN_CHAOS_NATS"
	chaosControl = "MANHATTAN_CHAOS_CONTROL"
)

// TestChaosStreamLeaderKilled runs only under scripts/chaos-jetstream.sh, against a
// 3-node cluster of real nats-server processes: three shippers and two following ingest
// pipelines work while the stream's leader is killed with SIGKILL (twice: once while
// shipping, once while the second pipeline reads its backlog) and started again. The
// results must equal a file ingest of the stream's dump, and the stream must hold every
// shipped line exactly once.
func TestChaosStreamLeaderKilled(t *testing.T) {
	urls, control := os.Getenv(chaosURLs), os.Getenv(chaosControl)
	if urls == "" || control == "" {
		t.Skip("run by scripts/chaos-jetstream.sh against a 3-node cluster")
	}
	records := 300_000
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	name := fmt.Sprintf("CHAOS%d", time.Now().UnixNano())
	// A cluster just started answers once it has elected its meta leader; Create is
	// idempotent, so try until it does.
	var info stream.Info
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		info, err = stream.Create(t.Context(), js, stream.Config{Name: name, Prefix: strings.ToLower(name), Partitions: 16, Replicas: 3})
		require.NoError(c, err)
	}, time.Minute, 500*time.Millisecond)

	rules := generatedRules(t)
	bases := splitLog(t, generate(t, records, 41), 3)
	store := pgtest.NewStore(t)
	// The first pipeline follows the stream while the shippers publish; the second starts
	// once they are done, on a backlog of half the stream, so that the second kill always
	// falls while it reads.
	var (
		mu        sync.Mutex
		pipelines []*actors.Pipeline
	)
	sets := partitionSets(16, 2)
	start := func(parts []int) *actors.Pipeline {
		p, err := actors.Start(actors.Config{
			Store: store, Rules: rules, Log: stream.NewLog(js, info, urls), Partitions: parts, Source: "events",
			Follow: true, PollInterval: 50 * time.Millisecond, Shards: 2, FlushEvery: 10_000, FlushInterval: 200 * time.Millisecond,
			RetryBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, MaxFailures: 1000,
		}, ingest.Events{})
		require.NoError(t, err)
		mu.Lock()
		pipelines = append(pipelines, p)
		mu.Unlock()
		return p
	}
	committed := func() (n int64) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range pipelines {
			n += p.Stats().Committed.Records
		}
		return n
	}
	first := start(sets[0])

	// A line every 5 s: a stalled reader shows as a count that stops growing.
	progress := time.NewTicker(5 * time.Second)
	defer progress.Stop()
	stopProgress := make(chan struct{})
	var logging sync.WaitGroup
	logging.Go(func() {
		for {
			select {
			case <-stopProgress:
				return
			case <-progress.C:
				t.Logf("%s committed %d of %d records", time.Now().Format("15:04:05.0"), committed(), records)
			}
		}
	})
	defer func() { close(stopProgress); logging.Wait() }()
	var wg sync.WaitGroup
	for i, base := range bases {
		wg.Go(func() {
			sh, err := ship.New(ship.Config{LogBase: base, Progress: base + ".ship", Source: fmt.Sprintf("web%d", i+1),
				Stream: info, Conn: nc, ChunkLines: 2000, MaxInFlight: 4, AckTimeout: 2 * time.Second, RetryWait: 200 * time.Millisecond})
			require.NoError(t, err)
			require.NoError(t, sh.Run(t.Context()))
			t.Logf("%s shipper %d done", time.Now().Format("15:04:05.0"), i+1)
		})
	}
	// Kill the leader while the shippers publish (and the first pipeline follows), and
	// again while the second pipeline reads its backlog.
	require.Eventually(t, func() bool { return first.Stats().Committed.Records > 0 }, time.Minute, 10*time.Millisecond)
	killLeader(t, js, name, control)
	wg.Wait()
	second := start(sets[1])
	require.Eventually(t, func() bool { return second.Stats().Committed.Records > 0 }, time.Minute, 10*time.Millisecond)
	killLeader(t, js, name, control)
	// Readers replace a stalled consumer within seconds: two minutes is ample (a reader
	// left waiting for the broker to drop its idle consumer would take five).
	require.Eventually(t, func() bool { return committed() == int64(records) }, 2*time.Minute, 50*time.Millisecond)
	for _, p := range pipelines {
		p.Stop()
		_, err := p.Wait()
		require.NoError(t, err)
	}
	dumped := filepath.Join(t.TempDir(), "dump", "manhattan.log")
	require.NoError(t, os.MkdirAll(filepath.Dir(dumped), 0o755))
	st, err := stream.Dump(t.Context(), js, info, dumped)
	require.NoError(t, err)
	require.EqualValues(t, records, st.Lines, "the stream holds every shipped line once")
	want, bad := sequentialResult(t, rules, dumped)
	require.Zero(t, bad)
	require.Equal(t, withoutGoalPositions(want), withoutGoalPositions(canonical(dump(t, store))))
	_ = js.DeleteStream(t.Context(), name)
}

// killLeader kills the stream's leader node with SIGKILL, waits a moment, starts it again.
func killLeader(t *testing.T, js jetstream.JetStream, name, control string) {
	t.Helper()
	s, err := js.Stream(t.Context(), name)
	require.NoError(t, err)
	si, err := s.Info(t.Context())
	require.NoError(t, err)
	require.NotNil(t, si.Cluster)
	leader := si.Cluster.Leader
	t.Logf("%s killing stream leader %s", time.Now().Format("15:04:05.0"), leader)
	out, err := exec.Command(control, "kill", leader).CombinedOutput()
	require.NoError(t, err, string(out))
	time.Sleep(2 * time.Second)
	out, err = exec.Command(control, "start", leader).CombinedOutput()
	require.NoError(t, err, string(out))
	// The stream elects a new leader within seconds; until it has, its API requests time
	// out. Wait for it, so that what follows (the dump above all) talks to a stream that
	// answers.
	require.Eventually(t, func() bool {
		si, err := s.Info(t.Context())
		return err == nil && si.Cluster != nil && si.Cluster.Leader != ""
	}, time.Minute, 100*time.Millisecond)
	si, err = s.Info(t.Context())
	require.NoError(t, err)
	t.Logf("%s stream leader now %s", time.Now().Format("15:04:05.0"), si.Cluster.Leader)
}
