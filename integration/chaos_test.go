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
// shipping, once while only ingest runs) and started again. The results must equal a file
// ingest of the stream's dump, and the stream must hold every shipped line exactly once.
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
	info, err := stream.Create(t.Context(), js, stream.Config{Name: name, Prefix: strings.ToLower(name), Partitions: 16, Replicas: 3})
	require.NoError(t, err)

	rules := generatedRules(t)
	bases := splitLog(t, generate(t, records, 41), 3)
	store := pgtest.NewStore(t)
	var pipelines []*actors.Pipeline
	for _, parts := range partitionSets(16, 2) {
		p, err := actors.Start(actors.Config{
			Store: store, Rules: rules, Log: stream.NewLog(js, info, urls), Partitions: parts, Source: "events",
			Follow: true, PollInterval: 50 * time.Millisecond, Shards: 2, FlushEvery: 10_000, FlushInterval: 200 * time.Millisecond,
			RetryBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, MaxFailures: 1000,
		}, ingest.Events{})
		require.NoError(t, err)
		pipelines = append(pipelines, p)
	}
	committed := func() (n int64) {
		for _, p := range pipelines {
			n += p.Stats().Committed.Records
		}
		return n
	}

	var wg sync.WaitGroup
	for i, base := range bases {
		wg.Go(func() {
			sh, err := ship.New(ship.Config{LogBase: base, Progress: base + ".ship", Source: fmt.Sprintf("web%d", i+1),
				Stream: info, Conn: nc, ChunkLines: 2000, MaxInFlight: 4, AckTimeout: 2 * time.Second, RetryWait: 200 * time.Millisecond})
			require.NoError(t, err)
			require.NoError(t, sh.Run(t.Context()))
		})
	}
	// Kill the leader while the shippers publish, and again while the ingest reads.
	require.Eventually(t, func() bool { return committed() > 0 }, time.Minute, 10*time.Millisecond)
	killLeader(t, js, name, control)
	wg.Wait()
	require.Eventually(t, func() bool { return committed() > int64(records)/2 }, 2*time.Minute, 10*time.Millisecond)
	if committed() < int64(records) {
		killLeader(t, js, name, control)
	}
	require.Eventually(t, func() bool { return committed() == int64(records) }, 5*time.Minute, 50*time.Millisecond)
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
	t.Logf("killing stream leader %s", leader)
	out, err := exec.Command(control, "kill", leader).CombinedOutput()
	require.NoError(t, err, string(out))
	time.Sleep(2 * time.Second)
	out, err = exec.Command(control, "start", leader).CombinedOutput()
	require.NoError(t, err, string(out))
}
