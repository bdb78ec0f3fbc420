package actors

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
)

// The rollover tests run writer processes (this test binary again) whose clocks differ and
// run fast, so that a few seconds cross many hours: one simulated hour passes in 250 ms.
const (
	rolloverEnv   = "ACTORS_TEST_ROLLOVER"
	rolloverSpeed = 14400
	rolloverT0    = int64(1700002800)
	rolloverRun   = 2500 * time.Millisecond
)

func simClock(r0 time.Time, offset time.Duration) func() time.Time {
	return func() time.Time { return time.Unix(rolloverT0, 0).Add(time.Since(r0)*rolloverSpeed + offset) }
}

// TestHelperRolloverWriter is not a test: the rollover tests run the test binary with it.
// It appends pixel records of new visitors "<name>-<n>" for a while and prints how many.
func TestHelperRolloverWriter(t *testing.T) {
	spec := os.Getenv(rolloverEnv)
	if spec == "" {
		t.Skip("helper process for the rollover tests")
	}
	f := strings.Split(spec, "|")
	base, name := f[0], f[1]
	r0, _ := strconv.ParseInt(f[2], 10, 64)
	offset, _ := time.ParseDuration(f[3])
	now := simClock(time.Unix(0, r0), offset)
	w := eventlog.NewWriter(base)
	n := 0
	for deadline := time.Unix(0, r0).Add(rolloverRun); time.Now().Before(deadline); n++ {
		at := now()
		rec := messages.Record{Kind: messages.KindPixel, Timestamp: at.Unix(), VID: fmt.Sprintf("%s-%d", name, n), Site: 1}
		require.NoError(t, w.Append(at, messages.AppendLine(nil, &rec)))
		time.Sleep(300 * time.Microsecond)
	}
	require.NoError(t, w.Close())
	fmt.Printf("wrote %d\n", n)
}

// startRolloverWriters starts writers with the given clock offsets; wait returns the number
// of lines they wrote in all.
func startRolloverWriters(t *testing.T, base string, r0 time.Time, offsets ...time.Duration) (wait func() int64) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(base), 0o755))
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i, off := range offsets {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRolloverWriter$", "-test.v")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|w%d|%d|%s", rolloverEnv, base, i, r0.UnixNano(), off))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	return func() int64 {
		var total int64
		for i, cmd := range cmds {
			require.NoError(t, cmd.Wait(), outs[i].String())
			var n int64
			for _, l := range strings.Split(outs[i].String(), "\n") {
				if _, err := fmt.Sscanf(l, "wrote %d", &n); err == nil {
					break
				}
			}
			total += n
		}
		return total
	}
}

var rolloverOffsets = []time.Duration{-9 * time.Minute, 0, 6 * time.Minute}

// Three writer processes whose clocks differ by minutes, across about ten rollovers, and a
// following pipeline: every line is counted exactly once (each is the pixel of a new
// visitor: Records counts lines, Humans distinct ones), and no gap is reported.
func TestFollowCountsEveryLineAcrossRolloversOfSeveralWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("runs writer processes for seconds")
	}
	base := filepath.Join(t.TempDir(), "log", "m.log")
	store := newMemStore()
	r0 := time.Now()
	cfg := config(store, testRules(t), base)
	cfg.Follow, cfg.PollInterval, cfg.FlushInterval = true, time.Millisecond, 20*time.Millisecond
	cfg.Hooks.Now = simClock(r0, 0)
	wait := startRolloverWriters(t, base, r0, rolloverOffsets...)
	p, err := Start(cfg, ingest.Events{})
	require.NoError(t, err)
	want := wait()
	require.Eventually(t, func() bool { return p.Stats().Committed.Records >= want }, 30*time.Second, 5*time.Millisecond)
	p.Stop()
	sum, err := p.Wait()
	require.NoError(t, err)
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(hours), 5, "many rollovers (a stalled writer may leave an hour without a file)")
	assert.Equal(t, want, sum.Records)
	assert.Equal(t, want, sum.Humans)
	assert.Zero(t, p.Stats().Gaps.Count, "%+v", p.Stats().Gaps.Recent)
	t.Logf("%d lines over %d files", want, len(hours))
}

// The same in batch mode: ingests run one after another while the writers write, each
// from the pointer the last one committed, and a last one after them.
func TestBatchRunsCountEveryLineAcrossRolloversOfSeveralWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("runs writer processes for seconds")
	}
	base := filepath.Join(t.TempDir(), "log", "m.log")
	store := newMemStore()
	r0 := time.Now()
	cfg := config(store, testRules(t), base)
	cfg.PollInterval = time.Millisecond
	cfg.Hooks.Now = simClock(r0, 0)
	wait := startRolloverWriters(t, base, r0, rolloverOffsets...)
	var records, humans int64
	runs := 0
	ingest := func() {
		sum, err := Run(context.Background(), cfg, ingest.Events{})
		require.NoError(t, err)
		records, humans, runs = records+sum.Records, humans+sum.Humans, runs+1
	}
	for time.Since(r0) < rolloverRun {
		ingest()
	}
	want := wait()
	ingest()
	assert.Equal(t, want, records)
	assert.Equal(t, want, humans)
	t.Logf("%d lines in %d runs", want, runs)
}

func pixelLine(ts int64, vid string) []byte {
	rec := messages.Record{Kind: messages.KindPixel, Timestamp: ts, VID: vid, Site: 1}
	return messages.AppendLine(nil, &rec)
}

// Data that arrives behind the source (appended to an hour it left, or a whole older-hour
// file) is not read, and is reported: in Stats, through Events.Gap, with file and bytes.
func TestLateDataIsReportedWithFileAndBytes(t *testing.T) {
	base := filepath.Join(t.TempDir(), "m.log")
	h := rolloverT0
	require.NoError(t, appendFile(eventlog.Path(base, h), pixelLine(h, "a")))
	require.NoError(t, appendFile(eventlog.Path(base, h+3600), pixelLine(h+3600, "b")))
	store := newMemStore()
	cfg := config(store, testRules(t), base)
	cfg.Follow, cfg.PollInterval, cfg.FlushInterval = true, time.Millisecond, 5*time.Millisecond
	logged := &lockedBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logged, nil))
	gaps := make(chan ingest.Gap, 10)
	p, err := Start(cfg, ingest.Events{Gap: func(g ingest.Gap) { gaps <- g }})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.Stats().Committed.Records == 2 }, 10*time.Second, time.Millisecond)

	late := pixelLine(h+10, "late")
	require.NoError(t, appendFile(eventlog.Path(base, h), late))
	older := append(pixelLine(h-3600, "old1"), pixelLine(h-3500, "old2")...)
	// (The older file appears whole, by a rename.)
	require.NoError(t, os.WriteFile(base+".tmp", older, 0o644))
	require.NoError(t, os.Rename(base+".tmp", eventlog.Path(base, h-3600)))
	var got []ingest.Gap
	byPath := map[string]int64{}
	for byPath[eventlog.Path(base, h)] < int64(len(late)) || byPath[eventlog.Path(base, h-3600)] < int64(len(older)) {
		select {
		case g := <-gaps:
			got = append(got, g)
			byPath[g.Path] += g.Bytes
		case <-time.After(10 * time.Second):
			t.Fatalf("gaps reported: %+v", got)
		}
	}
	p.Stop()
	sum, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, int64(2), sum.Records, "late data is not counted")
	assert.Equal(t, map[string]int64{eventlog.Path(base, h): int64(len(late)), eventlog.Path(base, h-3600): int64(len(older))}, byPath)
	firstReason := map[string]string{}
	for _, g := range got {
		if firstReason[g.Path] == "" {
			firstReason[g.Path] = g.Reason
		}
	}
	assert.Equal(t, logsource.GapLateAppend, firstReason[eventlog.Path(base, h)])
	assert.Equal(t, logsource.GapLateFile, firstReason[eventlog.Path(base, h-3600)])
	st := p.Stats().Gaps
	assert.Equal(t, int64(len(got)), st.Count)
	assert.Equal(t, int64(len(late)+len(older)), st.Bytes)
	assert.Equal(t, got, st.Recent)
	assert.Contains(t, logged.String(), fmt.Sprintf("level=WARN msg=\"log data not read\" source=default reason=late_append file=%s bytes=%d", eventlog.Path(base, h), len(late)))
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
