package tracker_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/tracker"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// shop is a tiny application: pages, and a checkout that runs a split test and converts
// a goal with a value.
func shop() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!DOCTYPE html><html><body><h1>Cheese shop</h1></body></html>")
	})
	mux.HandleFunc("GET /cheese/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<html><body><h1>%s</h1></body></html>", r.PathValue("name"))
	})
	mux.HandleFunc("POST /checkout", func(w http.ResponseWriter, r *http.Request) {
		v := tracker.FromContext(r.Context())
		colour := v.Split("checkout button", "green", "orange")
		v.Goal("purchase", tracker.WithValue(decimal.RequireFromString("24.50"), tracker.Sum, tracker.Currency))
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, colour)
	})
	return mux
}

// browse makes requests with client, returning the bodies.
func browse(t *testing.T, client *http.Client, base string, paths ...string) []string {
	t.Helper()
	var bodies []string
	for _, p := range paths {
		method, path, _ := strings.Cut(p, " ")
		req, err := http.NewRequest(method, base+path, nil)
		require.NoError(t, err)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/125.0 Safari/537.36")
		resp, err := client.Do(req)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode, p)
		bodies = append(bodies, string(b))
	}
	return bodies
}

var imgSrc = regexp.MustCompile(`<img src="([^"]+)"`)

// TestLogIsIngestedAndCounted writes a log through the middleware and the real hourly log
// writer, ingests it with the pipeline into PostgreSQL and checks the counts: the
// visitor who loaded the pixel counts; robots that did not, with or without cookies,
// do not.
func TestLogIsIngestedAndCounted(t *testing.T) {
	store := pgtest.NewStore(t)
	base := filepath.Join(t.TempDir(), "log", "manhattan.log")

	var mu sync.Mutex
	clock := time.Date(2024, 5, 6, 12, 0, 0, 0, time.UTC)
	tr, err := tracker.New(tracker.Options{
		Secret:  []byte("end-to-end test secret"),
		LogBase: base,
		Sites:   map[string]int64{"127.0.0.1": 7},
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(1500 * time.Millisecond)
			return clock
		},
		ErrorLog: func(err error) { t.Errorf("tracker: %v", err) },
	})
	require.NoError(t, err)
	srv := httptest.NewServer(tr.Middleware(shop()))
	defer srv.Close()

	// A human: keeps cookies and loads the pixel of the first page.
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	human := &http.Client{Jar: jar}
	home := browse(t, human, srv.URL, "GET /")[0]
	m := imgSrc.FindStringSubmatch(home)
	require.NotNil(t, m, "the pixel is in the page: %s", home)
	require.Equal(t, tr.PixelPath(), m[1])
	humanColour := browse(t, human, srv.URL, "GET "+m[1], "GET /cheese/stilton", "POST /checkout")[2]
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	require.Len(t, jar.Cookies(u), 1)

	// A robot without cookies and one that keeps them; neither loads images.
	browse(t, &http.Client{}, srv.URL, "GET /", "GET /cheese/brie", "POST /checkout")
	robotJar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browse(t, &http.Client{Jar: robotJar}, srv.URL, "GET /", "GET /cheese/brie", "POST /checkout")
	require.NoError(t, tr.Close())

	rules, err := visitor.NewRules(rollups.Defaults(), nil)
	require.NoError(t, err)
	sum, err := actors.Run(t.Context(), actors.Config{Store: store, Rules: rules, LogBase: base, Shards: 2}, ingest.Events{})
	require.NoError(t, err)
	// human: 3 pages, 1 pixel, 1 split, 1 goal; cookieless robot: 3 pages (3 visitors),
	// split, goal; robot with cookies: 3 pages, split, goal.
	assert.Equal(t, int64(6+5+5), sum.Records)
	assert.Zero(t, sum.DeadLetters)
	assert.Equal(t, int64(1), sum.Humans)

	ctx := t.Context()
	site := int64(7)
	count := func(q persistence.Query) int64 {
		n, err := store.Count(ctx, q)
		require.NoError(t, err)
		return n
	}
	assert.Equal(t, int64(1), count(persistence.Query{Goal: messages.ViewedPage}))
	assert.Equal(t, int64(1), count(persistence.Query{Goal: messages.ViewedPage, Site: &site}))
	assert.Equal(t, int64(1), count(persistence.Query{Goal: "purchase"}))
	assert.Equal(t, int64(1), count(persistence.Query{Test: "checkout button", Population: humanColour}))
	assert.Equal(t, int64(1), count(persistence.Query{Goal: "purchase", Test: "checkout button", Population: humanColour}))
	other := map[string]string{"green": "orange", "orange": "green"}[humanColour]
	assert.Zero(t, count(persistence.Query{Test: "checkout button", Population: other}))
	value, err := store.GoalValue(ctx, persistence.Query{Goal: "purchase"})
	require.NoError(t, err)
	assert.True(t, decimal.RequireFromString("24.50").Equal(value), "revenue %s", value)
	assert.Equal(t, int64(1), count(persistence.Query{Goal: messages.ViewedPage, Rollup: "browser", Bucket: "Chrome"}))

	tests, err := store.Tests(ctx)
	require.NoError(t, err)
	require.Len(t, tests, 1)
	assert.Equal(t, "checkout button", tests[0].Name)
	assert.Equal(t, []string{humanColour}, tests[0].Populations)
}
