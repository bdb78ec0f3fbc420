package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/query"
)

// getJSON fetches an API document, failing the test on any status but 200.
func getJSON(t *testing.T, target string, out any) {
	t.Helper()
	status, body := get(t, target, "")
	require.Equal(t, http.StatusOK, status, "%s: %s", target, body)
	require.NoError(t, json.Unmarshal(body, out))
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunFollowsTheLogServesAndStopsCleanly(t *testing.T) {
	store := pgtest.NewStore(t)
	base := fixtures.CopyLog(t, fixtures.Clickstream)
	files, err := filepath.Glob(base + ".*")
	require.NoError(t, err)
	require.Len(t, files, 1)
	logFile := files[0]

	args := []string{"--db", pgtest.URL(t), "--schema", store.Schema(), "--log", base, "--listen", "127.0.0.1:0",
		"--shards", "2", "--flush-interval", "20ms", "--poll-interval", "10ms"}
	for _, c := range fixtures.ComplexFlags(t, fixtures.Clickstream) {
		args = append(args, "--complex", c)
	}
	b := startCommand(t, runRun, args...)
	baseURL := b.url(t)

	// The whole log gets committed, and the API answers from it while ingest runs.
	committedOffset := func() int64 {
		var st query.StatusAnswer
		getJSON(t, baseURL+"api/v1/status", &st)
		if len(st.Pointers) == 0 {
			return 0
		}
		require.NotNil(t, st.Ingest, "run reports its ingest in the status")
		return st.Pointers[0].Offset
	}
	size := func() int64 {
		fi, err := os.Stat(logFile)
		require.NoError(t, err)
		return fi.Size()
	}
	waitFor(t, "the log to be committed", func() bool { return committedOffset() == size() })
	viewsOnSite1 := func() int64 {
		var c query.CountAnswer
		getJSON(t, baseURL+"api/v1/count?"+url.Values{"goal": {"viewed page"}, "site": {"1"}}.Encode(), &c)
		return c.Count
	}
	before := viewsOnSite1()
	require.Positive(t, before)

	// A new human visitor appended to the log is followed and counted.
	f, err := os.OpenFile(logFile, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("1\tpixel\t9000.5\tnewcomer\t1\n1\tpage\t9001.5\tnewcomer\t1\t10.0.0.9\tGET\thttp://localhost/\tFirefox/120.0\t\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	waitFor(t, "the appended visitor to be counted", func() bool { return viewsOnSite1() == before+1 })
	waitFor(t, "the appended lines to be committed", func() bool { return committedOffset() == size() })

	status, body := get(t, baseURL+"metrics", "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), "manhattan_ingest_records_committed_total ")

	// Cancelling (SIGINT, SIGTERM) stops both cleanly: no error, everything committed.
	require.NoError(t, b.stop(t))
	ptr, _, err := store.LoadPointer(t.Context(), "default")
	require.NoError(t, err)
	assert.Equal(t, size(), ptr.Offset)
	assert.Regexp(t, `(?m)^records\s+\d+$`, b.out.String())
	_, err = http.Get(baseURL + "healthz")
	assert.Error(t, err, "the server no longer listens")
}

func TestRunWithoutFollowKeepsServing(t *testing.T) {
	store := pgtest.NewStore(t)
	base := fixtures.CopyLog(t, fixtures.Clickstream)
	b := startCommand(t, runRun, "--db", pgtest.URL(t), "--schema", store.Schema(), "--log", base,
		"--listen", "127.0.0.1:0", "--follow=false")
	baseURL := b.url(t)
	waitFor(t, "the ingest to finish", func() bool {
		var st query.StatusAnswer
		getJSON(t, baseURL+"api/v1/status", &st)
		return st.Ingest != nil && st.Ingest.CaughtUp && len(st.Pointers) == 1 && st.Pointers[0].Records == st.Ingest.Committed && st.Ingest.Committed > 0
	})
	// The process reads the log, so its status shows the lag of its source's partition.
	var st query.StatusAnswer
	getJSON(t, baseURL+"api/v1/status", &st)
	assert.Equal(t, "default", st.Ingest.Source)
	assert.Equal(t, &query.PartitionLag{Behind: 0, Unit: "bytes"}, st.Pointers[0].Lag)
	status, _ := get(t, baseURL+"api/v1/tests", "")
	assert.Equal(t, http.StatusOK, status)
	require.NoError(t, b.stop(t))
}

func TestRunStopsTheServerWhenIngestFails(t *testing.T) {
	store := pgtest.NewStore(t)
	fixtures.Ingest(t, store, fixtures.Clickstream, nil)
	// Another folder lacks the file of the committed pointer: without --skip-missing the
	// ingest fails, and run must stop serving and report it.
	empty := filepath.Join(t.TempDir(), "manhattan.log")
	b := startCommand(t, runRun, "--db", pgtest.URL(t), "--schema", store.Schema(), "--log", empty, "--listen", "127.0.0.1:0")
	err := b.wait(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pointer file does not exist")
}
