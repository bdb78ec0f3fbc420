package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/query"
)

// background runs a long-running command (serve, run, demo) with a context the test
// cancels, its output captured. stop cancels it and returns its error.
type background struct {
	out    *syncBuffer
	cancel context.CancelFunc
	done   chan struct{} // closed when the command has returned
	err    error         // its error, once done is closed
}

func startCommand(t *testing.T, fn func(context.Context, []string) error, args ...string) *background {
	t.Helper()
	b := &background{out: &syncBuffer{}, done: make(chan struct{})}
	stdout = b.out
	ctx, cancel := context.WithCancel(t.Context())
	b.cancel = cancel
	go func() {
		defer close(b.done)
		b.err = fn(ctx, args)
	}()
	t.Cleanup(func() {
		cancel()
		<-b.done
	})
	return b
}

var dashboardLine = regexp.MustCompile(`(?m)^dashboard\s+(http://\S+/)$`)

// url waits until the command prints the dashboard URL and returns it; it fails when
// the command ends first.
func (b *background) url(t *testing.T) string {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		if m := dashboardLine.FindStringSubmatch(b.out.String()); m != nil {
			return m[1]
		}
		select {
		case <-b.done:
			t.Fatalf("the command ended before serving: %v\n%s", b.err, b.out.String())
		case <-deadline:
			t.Fatalf("no dashboard URL printed:\n%s", b.out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wait waits until the command ends by itself and returns its error.
func (b *background) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-b.done:
		return b.err
	case <-time.After(2 * time.Minute):
		t.Fatal("the command did not stop")
		return nil
	}
}

// stop cancels the command (like SIGINT) and returns its error.
func (b *background) stop(t *testing.T) error {
	t.Helper()
	b.cancel()
	return b.wait(t)
}

func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

func TestServeAnswersAndStopsOnCancel(t *testing.T) {
	db := clickstreamDB(t)
	b := startCommand(t, runServe, append(db, "--listen", "127.0.0.1:0")...)
	base := b.url(t)

	status, body := get(t, base+"api/v1/tests", "")
	require.Equal(t, http.StatusOK, status, "%s", body)
	var tests query.TestsAnswer
	require.NoError(t, json.Unmarshal(body, &tests))
	require.Len(t, tests.Tests, 1)
	assert.Equal(t, "red checkout form", tests.Tests[0].Name)
	status, _ = get(t, base+"healthz", "")
	assert.Equal(t, http.StatusOK, status)
	status, body = get(t, base+"metrics", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), `manhattan_query_duration_seconds_count{endpoint="tests"} 1`)

	require.NoError(t, b.stop(t))
	_, err := http.Get(base + "healthz")
	assert.Error(t, err, "the server no longer listens")
}

func TestServeTokenFromEnvironment(t *testing.T) {
	db := clickstreamDB(t)
	t.Setenv("MANHATTAN_TOKEN", "env-token-0123456789")
	b := startCommand(t, runServe, append(db, "--listen", "127.0.0.1:0")...)
	base := b.url(t)
	status, _ := get(t, base+"api/v1/tests", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = get(t, base, "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = get(t, base+"api/v1/tests", "env-token-0123456789")
	assert.Equal(t, http.StatusOK, status)
	status, _ = get(t, base+"healthz", "")
	assert.Equal(t, http.StatusOK, status)
	require.NoError(t, b.stop(t))
}

func TestServeRefusesOpenListenWithoutToken(t *testing.T) {
	nowhere := []string{"--db", "postgres://127.0.0.1:1/nowhere?connect_timeout=1"}
	for _, cmd := range []string{"serve", "run", "demo"} {
		code, _, stderr := cli(t, append([]string{cmd, "--listen", "0.0.0.0:0", "--data-dir", t.TempDir()}, nowhere...)...)
		assert.Equal(t, 2, code, "%s: %s", cmd, stderr)
		assert.Contains(t, stderr, "without a token", cmd)
	}
	// A blank or short token does not count as one.
	for _, token := range []string{" ", "short"} {
		for _, cmd := range []string{"serve", "run", "demo"} {
			code, _, stderr := cli(t, append([]string{cmd, "--listen", "0.0.0.0:0", "--token", token, "--data-dir", t.TempDir()}, nowhere...)...)
			assert.Equal(t, 2, code, "%s: %s", cmd, stderr)
			assert.Contains(t, stderr, "--token", cmd)
		}
	}
	code, _, stderr := cli(t, "serve", "--listen", "8080")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "missing port")
}

// An ingest stores its complex goals with the schema, so that `serve`, which has no
// --complex, knows those nobody converted on yet: they are listed and answer 0, where a
// goal nobody ever named is a 404.
func TestServeKnowsTheComplexGoalsOfTheIngest(t *testing.T) {
	store := pgtest.NewStore(t)
	db := []string{"--db", pgtest.URL(t), "--schema", store.Schema()}
	ingest := append([]string{"ingest", "--log", fixtures.CopyLog(t, fixtures.Clickstream), "--source", "clickstream"}, db...)
	code, _, stderr := cli(t, append(ingest, complexArgs(t, fixtures.Clickstream)...)...)
	require.Equal(t, 0, code, stderr)
	b := startCommand(t, runServe, append(db, "--listen", "127.0.0.1:0")...)
	base := b.url(t)

	status, body := get(t, base+"api/v1/goals", "")
	require.Equal(t, http.StatusOK, status, "%s", body)
	var goals query.GoalsAnswer
	require.NoError(t, json.Unmarshal(body, &goals))
	assert.Contains(t, goals.Goals, query.Goal{Name: "abandoned after validation failure", Complex: true}, "never converted on")
	for _, q := range []string{"count?goal=abandoned+after+validation+failure", "count?goal=abandoned+after+validation+failure&test=red+checkout+form&population=True"} {
		status, body = get(t, base+"api/v1/"+q, "")
		require.Equal(t, http.StatusOK, status, "%s: %s", q, body)
		var c query.CountAnswer
		require.NoError(t, json.Unmarshal(body, &c))
		assert.Zero(t, c.Count, q)
	}
	status, body = get(t, base+"api/v1/count?goal=abandoned+basket", "")
	assert.Equal(t, http.StatusNotFound, status, "%s", body)
	require.NoError(t, b.stop(t))

	// So does `manhattan query` without --complex.
	code, out, stderr := cli(t, append([]string{"query", "count", "--goal", "abandoned after validation failure", "--json"}, db...)...)
	require.Equal(t, 0, code, stderr)
	var c query.CountAnswer
	require.NoError(t, json.Unmarshal([]byte(out), &c))
	assert.Zero(t, c.Count)
	code, _, _ = cli(t, append([]string{"query", "count", "--goal", "abandoned basket"}, db...)...)
	assert.Equal(t, 1, code)
}
