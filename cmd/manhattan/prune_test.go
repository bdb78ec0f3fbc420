package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/ship"
)

// writeHour writes lines (TAB-separated fields) as the log file of base for hour.
func writeHour(t *testing.T, base string, hour int64, lines ...string) {
	t.Helper()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	require.NoError(t, os.WriteFile(eventlog.Path(base, hour), []byte(b.String()), 0o644))
}

func line(fields ...string) string { return strings.Join(fields, "\t") }

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

func pruneDB(t *testing.T) (*persistence.Store, []string) {
	store := pgtest.NewStore(t)
	return store, []string{"--db", pgtest.URL(t), "--schema", store.Schema()}
}

func ingestCLI(t *testing.T, db []string, base, source string) {
	t.Helper()
	code, _, errOut := cli(t, append([]string{"ingest", "--log", base, "--source", source, "--progress=false"}, db...)...)
	require.Equal(t, 0, code, errOut)
}

// hourPage is a page view of vid 5 s into hour h.
func hourPage(h int64, vid string) string {
	return line("1", "page", formatInt(h+5), vid, "1", "203.0.113.1", "GET", "/", "ua", "")
}

// writeThreeHours writes log base with one page view in each of three hours, 50 and 40
// days old and the current one, and returns the hours.
func writeThreeHours(t *testing.T, base string) (old1, old2, recent int64) {
	t.Helper()
	now := time.Now()
	old1, old2, recent = eventlog.Hour(now.Add(-50*24*time.Hour)), eventlog.Hour(now.Add(-40*24*time.Hour)), eventlog.Hour(now)
	writeHour(t, base, old1, hourPage(old1, "a"))
	writeHour(t, base, old2, hourPage(old2, "b"))
	writeHour(t, base, recent, hourPage(recent, "c"))
	return old1, old2, recent
}

func TestPruneLogsKeepsEveryFileASourceStillNeeds(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "shop.log")
	old1, old2, recent := writeThreeHours(t, base)

	// One source has read everything: the two old files can go, the current one stays.
	_, db := pruneDB(t)
	ingestCLI(t, db, base, "shop")
	code, out, errOut := cli(t, append([]string{"prune", "logs", "--log", base}, db...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "would remove 2 files")
	assert.Contains(t, out, "dry run")
	assert.FileExists(t, eventlog.Path(base, old1), "a dry run removes nothing")

	// A second source (schema) whose pointer stands in the first file keeps everything.
	_, db2 := pruneDB(t)
	other := filepath.Join(dir, "other.log")
	writeHour(t, other, old1, hourPage(old1, "x"))
	ingestCLI(t, db2, base, "shop")
	ingestCLI(t, db2, other, "other")
	code, out, errOut = cli(t, append([]string{"prune", "logs", "--log", base, "--apply"}, db2...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "removed 0 files")
	assert.FileExists(t, eventlog.Path(base, old1))

	// Naming the source whose pointer guards this log leaves the other one out.
	code, out, errOut = cli(t, append([]string{"prune", "logs", "--log", base, "--source", "shop"}, db2...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "would remove 2 files")
	code, _, errOut = cli(t, append([]string{"prune", "logs", "--log", base, "--source", "nobody"}, db2...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `source "nobody" has committed no pointer`)

	code, out, errOut = cli(t, append([]string{"prune", "logs", "--log", base, "--older-than", "45d", "--apply"}, db...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "removed 1 files")
	assert.NoFileExists(t, eventlog.Path(base, old1))
	assert.FileExists(t, eventlog.Path(base, old2), "younger than 45 days")

	code, out, errOut = cli(t, append([]string{"prune", "logs", "--log", base, "--apply"}, db...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "removed "+eventlog.Path(base, old2))
	assert.NoFileExists(t, eventlog.Path(base, old2))
	assert.FileExists(t, eventlog.Path(base, recent), "the file of the pointer is never removed")

	// Resuming after the prune reads on from the pointer as before.
	ingestCLI(t, db, base, "shop")
}

func TestPruneLogsRefusesWithoutAnyPointer(t *testing.T) {
	_, db := pruneDB(t)
	code, _, errOut := cli(t, append([]string{"prune", "logs", "--log", filepath.Join(t.TempDir(), "x.log")}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no file source has committed a pointer")
}

func TestPruneHistoriesRemovesOnlyIdleRobots(t *testing.T) {
	now := time.Now()
	old, recent := now.Add(-40*24*time.Hour).Unix(), now.Add(-24*time.Hour).Unix()
	base := filepath.Join(t.TempDir(), "shop.log")
	page := func(at int64, vid string) string {
		return line("1", "page", formatInt(at), vid, "1", "203.0.113.1", "GET", "/", "ua", "")
	}
	pixel := func(at int64, vid string) string { return line("1", "pixel", formatInt(at), vid, "1") }
	writeHour(t, base, eventlog.Hour(now.Add(-48*time.Hour)),
		page(old, "idle-robot"), page(old, "human"), pixel(old+1, "human"), page(recent, "busy-robot"))
	store, db := pruneDB(t)
	ingestCLI(t, db, base, "shop")

	code, out, errOut := cli(t, append([]string{"prune", "histories", "--robots-idle", "30d"}, db...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "would remove 1 of 3 histories")
	code, out, errOut = cli(t, append([]string{"prune", "histories", "--robots-idle", "30d", "--apply"}, db...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "removed 1 of 3 histories")

	left, err := store.LoadHistories(t.Context(), []string{"idle-robot", "human", "busy-robot"})
	require.NoError(t, err)
	assert.NotContains(t, left, "idle-robot")
	assert.Contains(t, left, "human", "a human's history is never pruned, however old")
	assert.Contains(t, left, "busy-robot")

	code, out, _ = cli(t, append([]string{"prune", "histories", "--apply"}, db...)...)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "removed 0 of 2 histories")
}

func TestPruneDeadLettersByAge(t *testing.T) {
	base := filepath.Join(t.TempDir(), "shop.log")
	now := time.Now()
	writeHour(t, base, eventlog.Hour(now), line("1", "pixel", formatInt(now.Unix()), "v", "1"), "not a log line")
	store, db := pruneDB(t)
	ingestCLI(t, db, base, "shop")
	dls, err := store.DeadLetters(t.Context(), "", 10)
	require.NoError(t, err)
	require.Len(t, dls, 1)

	code, out, errOut := cli(t, append([]string{"prune", "dead-letters", "--apply"}, db...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "removed 0 dead letters", "recorded just now: kept for 90 days")

	defer func(f func() time.Time) { pruneNow = f }(pruneNow)
	pruneNow = func() time.Time { return now.Add(91 * 24 * time.Hour) }
	code, out, _ = cli(t, append([]string{"prune", "dead-letters"}, db...)...)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "would remove 1 dead letters")
	code, out, _ = cli(t, append([]string{"prune", "dead-letters", "--apply"}, db...)...)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "removed 1 dead letters")
	dls, err = store.DeadLetters(t.Context(), "", 10)
	require.NoError(t, err)
	assert.Empty(t, dls)
}

func TestPruneUsage(t *testing.T) {
	for _, args := range [][]string{{"prune"}, {"prune", "everything"}, {"prune", "logs", "--older-than", "soon"}} {
		code, _, _ := cli(t, args...)
		assert.Equal(t, 2, code, "%v", args)
	}
	code, _, _ := cli(t, "prune", "--help")
	assert.Equal(t, 0, code)
}

// A schema that holds a stream source beside a file source: the stream's positions are
// stream sequences, not hours of files, so they do not guard the files (they would keep
// every file), and naming the stream as the guard is refused. A shipper's progress file
// beside the log guards what it has not shipped.
func TestPruneLogsOfAFileSourceBesideAStreamSource(t *testing.T) {
	base := filepath.Join(t.TempDir(), "shop.log")
	old1, old2, recent := writeThreeHours(t, base)
	_, db := pruneDB(t)
	ingestCLI(t, db, base, "shop")

	srv := natstest.Start(t)
	natsArgs := []string{"--nats", srv.URL(), "--stream", "EVENTS"}
	code, _, errOut := runCmd(append([]string{"stream", "create", "--partitions", "4"}, natsArgs...)...)
	require.Zero(t, code, errOut)
	web := fixtures.CopyLog(t, fixtures.Clickstream)
	code, _, errOut = runCmd(append([]string{"ship", "--once", "--log", web, "--progress=false"}, natsArgs...)...)
	require.Zero(t, code, errOut)
	require.NoError(t, runIngest(t.Context(), append([]string{"--source", srv.URL(), "--stream", "EVENTS", "--progress=false"}, db...)))

	code, out, errOut := cli(t, append([]string{"prune", "logs", "--log", base}, db...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `not a guard: source "EVENTS", a stream's (partitions 0-3)`)
	assert.Contains(t, out, "would remove 2 files")
	assert.Contains(t, out, `the oldest: file `+formatInt(recent)+` of source "shop"`)

	code, _, errOut = cli(t, append([]string{"prune", "logs", "--log", base, "--source", "EVENTS"}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `source "EVENTS" is a stream's`)

	// A shipper beside the log has shipped up to the second file only.
	require.NoError(t, ship.SaveProgress(base+".ship", ship.Progress{Source: "web1", Stream: "EVENTS", Partitions: 4,
		Acked: messages.Pointer{File: old2, Offset: 3}}))
	code, out, errOut = cli(t, append([]string{"prune", "logs", "--log", base, "--apply"}, db...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "removed 1 files")
	assert.Contains(t, out, "the shipper's progress "+base+".ship")
	assert.NoFileExists(t, eventlog.Path(base, old1))
	assert.FileExists(t, eventlog.Path(base, old2), "not shipped to its end")
}
