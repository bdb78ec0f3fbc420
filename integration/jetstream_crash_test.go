package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/localpg"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/stream"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// The environment of an ingest child process (see runIngestChild).
const (
	childNATS       = "MANHATTAN_TEST_CHILD_NATS"
	childDB         = "MANHATTAN_TEST_CHILD_DB"
	childSchema     = "MANHATTAN_TEST_CHILD_SCHEMA"
	childParts      = "MANHATTAN_TEST_CHILD_PARTITIONS"
	childLog        = "MANHATTAN_TEST_CHILD_LOG" // ingest these files instead of the stream
	childFlushEvery = "MANHATTAN_TEST_CHILD_FLUSH_EVERY"
)

// runIngestChild is the body of a child process of the test binary that ingests, to its
// end, some partitions of the stream EVENTS (or, with childLog, the files of a log) into a
// schema, when the environment asks for one: ok is false otherwise.
func runIngestChild() (code int, ok bool) {
	url, logBase := os.Getenv(childNATS), os.Getenv(childLog)
	if url == "" && logBase == "" {
		return 0, false
	}
	fail := func(err error) (int, bool) {
		fmt.Fprintln(os.Stderr, "ingest child:", err)
		return 1, true
	}
	ctx := context.Background()
	rules, err := childRules()
	if err != nil {
		return fail(err)
	}
	store, err := persistence.Open(ctx, os.Getenv(childDB), os.Getenv(childSchema))
	if err != nil {
		return fail(err)
	}
	defer store.Close()
	// Takeover: the children of the round before were killed holding the leases of the
	// partitions, as an operator restarting an ingest after a crash would (--takeover).
	cfg := actors.Config{Store: store, Rules: rules, LogBase: logBase, Source: "events", Shards: 2, FlushEvery: 4000,
		FlushInterval: time.Hour, Takeover: true}
	if f := os.Getenv(childFlushEvery); f != "" {
		if cfg.FlushEvery, err = strconv.ParseInt(f, 10, 64); err != nil {
			return fail(err)
		}
	}
	if url != "" {
		for _, s := range strings.Split(os.Getenv(childParts), ",") {
			p, err := strconv.Atoi(s)
			if err != nil {
				return fail(err)
			}
			cfg.Partitions = append(cfg.Partitions, p)
		}
		log, err := stream.Dial(ctx, url, "EVENTS", 0)
		if err != nil {
			return fail(err)
		}
		defer log.Close()
		cfg.Log = log
	}
	if _, err := actors.Run(ctx, cfg, ingest.Events{}); err != nil {
		return fail(err)
	}
	return 0, true
}

// childRules are generatedRules, built without a test.
func childRules() (*visitor.Rules, error) {
	return visitor.ParseRules(generatedRollups, loggen.ComplexGoals)
}

// Two ingest processes of a stream, each killed with SIGKILL mid-run several times and
// started again, commit exactly what one file ingest of the stream's dump commits.
func TestKilledStreamIngestProcessesNeitherLoseNorDoubleCount(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	rules := generatedRules(t)
	l := newJSLog(t, 8)
	l.ship(t, generate(t, 120_000, 31), "web1")
	want := l.dumpResult(t, rules)
	store := pgtest.NewStore(t)
	sets := partitionSets(8, 2)
	killed := 0
	for round, after := range []time.Duration{0, 30 * time.Millisecond, 120 * time.Millisecond} {
		var children []*exec.Cmd
		for _, parts := range sets {
			children = append(children, l.startIngestChild(t, store, parts))
		}
		// Wait for a commit of this round, then kill both a little later.
		_, before, err := store.LoadPointers(t.Context(), "events", slices.Concat(sets...))
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			_, now, err := store.LoadPointers(t.Context(), "events", slices.Concat(sets...))
			return err == nil && now > before
		}, time.Minute, 5*time.Millisecond)
		time.Sleep(after)
		for _, c := range children {
			_ = c.Process.Signal(syscall.SIGKILL)
			var exit *exec.ExitError
			if err := c.Wait(); errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() {
				killed++
			} else {
				require.NoError(t, err, "round %d: the child failed before it was killed", round)
			}
		}
		ptrs, epoch, err := store.LoadPointers(t.Context(), "events", slices.Concat(sets...))
		require.NoError(t, err)
		t.Logf("round %d: killed %v after a commit; epoch %d -> %d, pointers %v", round, after, before, epoch, ptrs)
	}
	require.Positive(t, killed, "at least one process was killed mid-ingest")
	l.ingest(t, store, rules, sets...)
	require.Equal(t, want, withoutGoalPositions(canonical(dump(t, store))))
}

func (l *jsLog) startIngestChild(t testing.TB, store *persistence.Store, parts []int) *exec.Cmd {
	t.Helper()
	var ps []string
	for _, p := range parts {
		ps = append(ps, strconv.Itoa(p))
	}
	return startChild(t, childNATS+"="+l.srv.URL(), childDB+"="+pgtest.URL(t),
		childSchema+"="+store.Schema(), childParts+"="+strings.Join(ps, ","))
}

// startChild starts the test binary as an ingest child with env added to its environment.
func startChild(t testing.TB, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	return cmd
}

// dumpResult returns the canonical result (goal positions left out) of processing the
// stream's lines once, in stream order: the answer every stream ingest must give.
func (l *jsLog) dumpResult(t *testing.T, rules *visitor.Rules) []string {
	t.Helper()
	base := filepath.Join(t.TempDir(), "dump", "manhattan.log")
	require.NoError(t, os.MkdirAll(filepath.Dir(base), 0o755))
	_, err := stream.Dump(t.Context(), l.js, l.info, base)
	require.NoError(t, err)
	want, bad := sequentialResult(t, rules, base)
	require.Zero(t, bad)
	return withoutGoalPositions(want)
}

// A following ingest rides out a broker restart: what was shipped before, and what is
// shipped after the broker is back, is committed once.
func TestStreamIngestRidesOutABrokerRestart(t *testing.T) {
	rules := generatedRules(t)
	l := newJSLog(t, 4)
	bases := splitLog(t, generate(t, 40_000, 32), 2)
	store := pgtest.NewStore(t)
	p, err := actors.Start(actors.Config{
		Store: store, Rules: rules, Log: stream.NewLog(l.js, l.info, l.srv.URL()), Source: "events",
		Follow: true, PollInterval: 20 * time.Millisecond, Shards: 2, FlushEvery: 3000, FlushInterval: 50 * time.Millisecond,
		RetryBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond, MaxFailures: 1000,
	}, ingest.Events{})
	require.NoError(t, err)
	committed := func() int64 { return p.Stats().Committed.Records }

	l.ship(t, bases[0], "web1")
	first := countRecords(t, bases[0])
	require.Eventually(t, func() bool { return committed() == first }, time.Minute, 10*time.Millisecond)
	l.srv.Shutdown()
	time.Sleep(300 * time.Millisecond) // the ingest notices: its reads fail for a while
	l.srv.Restart()
	l.ship(t, bases[1], "web2")
	require.Eventually(t, func() bool { return committed() == 40_000 }, time.Minute, 10*time.Millisecond)
	p.Stop()
	_, err = p.Wait()
	require.NoError(t, err)
	require.Equal(t, l.dumpResult(t, rules), withoutGoalPositions(canonical(dump(t, store))))
}

// countRecords counts the lines of a log.
func countRecords(t *testing.T, base string) int64 {
	t.Helper()
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	var n int
	for _, h := range hours {
		b, err := os.ReadFile(eventlog.Path(base, h))
		require.NoError(t, err)
		n += bytes.Count(b, []byte("\n"))
	}
	return int64(n)
}

// Two pipelines reading the stream ride out a PostgreSQL restart mid-ingest: they rewind
// to their committed pointers and the result equals the stream dump's.
func TestStreamIngestSurvivesAPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a PostgreSQL server")
	}
	rules := generatedRules(t)
	l := newJSLog(t, 8)
	l.ship(t, generate(t, 100_000, 33), "web1")
	want := l.dumpResult(t, rules)

	parent, err := os.MkdirTemp("", "manhattan-restart-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(parent) })
	require.NoError(t, os.Chmod(parent, 0o755))
	opts := localpg.Options{Dir: filepath.Join(parent, "pg"), Port: freePort(t), Fast: true}
	ctx := t.Context()
	srv, err := localpg.Start(ctx, opts)
	require.NoError(t, err)
	defer func() { _ = srv.Stop() }()
	store, err := persistence.Open(ctx, srv.URL(), "stream_restart_"+strconv.Itoa(os.Getpid()))
	require.NoError(t, err)
	defer store.Close()
	require.NoError(t, store.Migrate(ctx))

	var commits atomic.Int64
	var pipelines []*actors.Pipeline
	for _, parts := range partitionSets(8, 2) {
		p, err := actors.Start(actors.Config{
			Store: store, Rules: rules, Log: stream.NewLog(l.js, l.info, l.srv.URL()), Partitions: parts, Source: "events",
			Shards: 2, FlushEvery: 2000, BatchSize: 512, FlushInterval: time.Hour,
			RetryBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond, StoreWait: time.Minute, CommitTimeout: 20 * time.Second,
		}, ingest.Events{Committed: func(int64, int64, int64, time.Duration) { commits.Add(1) }})
		require.NoError(t, err)
		pipelines = append(pipelines, p)
	}
	require.Eventually(t, func() bool { return commits.Load() >= 4 }, time.Minute, 5*time.Millisecond)
	require.NoError(t, srv.Stop())
	stoppedAt := commits.Load()
	time.Sleep(2 * time.Second)
	srv, err = localpg.Start(ctx, opts)
	require.NoError(t, err)
	var restarts int64
	for _, p := range pipelines {
		sum, err := p.Wait()
		require.NoError(t, err)
		restarts += sum.Restarts
	}
	require.Less(t, stoppedAt, int64(100_000/2000), "PostgreSQL was stopped mid-ingest")
	require.Positive(t, restarts, "the pipelines rewound while PostgreSQL was down")
	require.Equal(t, want, withoutGoalPositions(canonical(dump(t, store))))
}
