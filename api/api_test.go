package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/metrics"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// ingested is a store filled by the pipeline from a fixture, with the metrics that
// watched the ingest.
type ingested struct {
	store   *persistence.Store
	metrics *metrics.Metrics
	summary ingest.Summary
	logBase string
}

func ingestFixture(t *testing.T, fixture string) ingested {
	t.Helper()
	store := pgtest.NewStore(t)
	m := metrics.New()
	base := fixtures.CopyLog(t, fixture)
	p, err := actors.Start(actors.Config{
		Store: store, Rules: fixtures.Rules(t, fixture), LogBase: base, Shards: 2, FlushInterval: time.Hour,
	}, m.PipelineEvents())
	require.NoError(t, err)
	m.TrackPipeline(p)
	sum, err := p.Wait()
	require.NoError(t, err)
	return ingested{store: store, metrics: m, summary: sum, logBase: base}
}

// client talks to a test server.
type client struct {
	t     testing.TB
	base  string
	token string
}

func newClient(t testing.TB, h http.Handler) *client {
	srv := httptest.NewServer(validating(t, h))
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL}
}

// do sends a request and returns the status, headers and body.
func (c *client) do(method, target string, header http.Header) (int, http.Header, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+target, nil)
	require.NoError(c.t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	if c.token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, resp.Header, body
}

// getJSON fetches an API document into out, failing on any status but 200.
func (c *client) getJSON(path string, params url.Values, out any) error {
	target := path
	if len(params) > 0 {
		target += "?" + params.Encode()
	}
	status, h, body := c.do(http.MethodGet, target, nil)
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", target, status, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("GET %s: content type %q", target, ct)
	}
	return json.Unmarshal(body, out)
}

// answerer answers the reference queries through the HTTP API.
type answerer struct{ c *client }

func selectionParams(q reference.Query) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("goal", q.Goal)
	set("test", q.Test)
	set("population", q.Population)
	set("rollup", q.Rollup)
	set("bucket", q.Bucket)
	if q.Site != nil {
		v.Set("site", strconv.FormatInt(*q.Site, 10))
	}
	return v
}

func (a answerer) Count(q reference.Query) (int64, error) {
	var ans query.CountAnswer
	if err := a.c.getJSON("/api/v1/count", selectionParams(q), &ans); err != nil {
		return 0, err
	}
	return ans.Count, nil
}

func (a answerer) GoalValue(q reference.Query) (decimal.Decimal, error) {
	var ans query.ValueAnswer
	if err := a.c.getJSON("/api/v1/value", selectionParams(q), &ans); err != nil {
		return decimal.Zero, err
	}
	return decimal.NewFromString(ans.Value)
}

func (a answerer) Tests() ([]reference.TestInfo, error) {
	var ans query.TestsAnswer
	if err := a.c.getJSON("/api/v1/tests", nil, &ans); err != nil {
		return nil, err
	}
	var out []reference.TestInfo
	for _, t := range ans.Tests {
		if !t.FirstTime.Equal(time.Unix(t.First, 0)) || !t.LastTime.Equal(time.Unix(t.Last, 0)) {
			return nil, fmt.Errorf("test %q: times %v, %v disagree with %d, %d", t.Name, t.FirstTime, t.LastTime, t.First, t.Last)
		}
		out = append(out, reference.TestInfo{Name: t.Name, First: t.First, Last: t.Last, Populations: t.Populations})
	}
	return out, nil
}

func (a answerer) Results(test string, goals []string, site *int64) (map[string][]decimal.Decimal, error) {
	v := url.Values{"test": {test}, "goals": {strings.Join(goals, ",")}}
	if site != nil {
		v.Set("site", strconv.FormatInt(*site, 10))
	}
	var ans query.ResultsAnswer
	if err := a.c.getJSON("/api/v1/results", v, &ans); err != nil {
		return nil, err
	}
	if !slices.Equal(ans.Goals, goals) {
		return nil, fmt.Errorf("results answer for goals %q, asked for %q", ans.Goals, goals)
	}
	out := map[string][]decimal.Decimal{}
	for pop, row := range ans.Results {
		for _, s := range row {
			d, err := decimal.NewFromString(s)
			if err != nil {
				return nil, err
			}
			out[pop] = append(out[pop], d)
		}
	}
	return out, nil
}

// withRules are server options knowing the fixture's complex goals.
func withRules(t *testing.T, fixture string) api.Options {
	var names []string
	for _, c := range fixtures.Rules(t, fixture).Complex {
		names = append(names, c.Name)
	}
	return api.Options{ComplexGoals: names}
}

func TestExpectedAnswersThroughAPI(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	c := newClient(t, api.New(in.store, withRules(t, fixtures.Clickstream)))
	assert.Positive(t, reference.CheckAssertions(t, answerer{c}, fixtures.Expected(fixtures.Clickstream)))
}

func TestGenerated20kThroughAPI(t *testing.T) {
	in := ingestFixture(t, fixtures.Generated20k)
	c := newClient(t, api.New(in.store, withRules(t, fixtures.Generated20k)))
	t.Run("expected", func(t *testing.T) {
		assert.Positive(t, reference.CheckAssertions(t, answerer{c}, fixtures.Expected(fixtures.Generated20k)))
	})
	t.Run("series", func(t *testing.T) { checkSeries(t, c, in.logBase) })
	t.Run("analysis", func(t *testing.T) { checkAnalysis(t, c) })
	t.Run("value analysis", func(t *testing.T) { checkValueAnalysis(t, c, in.logBase) })
}

// checkSeries compares daily series of the 20k log with the reference's deltas.
func checkSeries(t *testing.T, c *client, logBase string) {
	recs, err := reference.ReadLog(t.Context(), logBase, messages.Pointer{})
	require.NoError(t, err)
	deltas := reference.Accumulate(fixtures.Rules(t, fixtures.Generated20k), recs)

	// Conversions of a goal with values, per local day, over all sites.
	want := map[string]query.Point{}
	for k, ctr := range deltas.Conversions {
		if k.Goal == "completed checkout" && k.Rollup == "pst_day" {
			p := want[k.Bucket]
			d, _ := decimal.NewFromString(orZero(p.Value))
			want[k.Bucket] = query.Point{Bucket: k.Bucket, Count: p.Count + ctr.Count, Value: d.Add(ctr.Value).String()}
		}
	}
	var ans query.SeriesAnswer
	require.NoError(t, c.getJSON("/api/v1/series", url.Values{"goal": {"completed checkout"}, "rollup": {"pst_day"}}, &ans))
	require.Len(t, ans.Points, len(want))
	require.Greater(t, len(want), 3, "the log spans a week")
	for i, p := range ans.Points {
		w := want[p.Bucket]
		assert.Equal(t, w.Count, p.Count, "bucket %s", p.Bucket)
		assert.True(t, decimal.RequireFromString(w.Value).Equal(decimal.RequireFromString(p.Value)), "bucket %s: %s, want %s", p.Bucket, p.Value, w.Value)
		if i > 0 {
			prev, _ := strconv.ParseInt(ans.Points[i-1].Bucket, 10, 64)
			cur, _ := strconv.ParseInt(p.Bucket, 10, 64)
			assert.Less(t, prev, cur, "days in order")
		}
	}
	assert.Equal(t, "pst_day", ans.Rollup)
	assert.Empty(t, ans.Bucket)

	// Impressions of a variant on site 1 per local day.
	test := ""
	var pop string
	for k := range deltas.Impressions {
		test, pop = k.Test, k.Population
		break
	}
	require.NotEmpty(t, test)
	wantImp := map[string]int64{}
	for k, n := range deltas.Impressions {
		if k.Test == test && k.Population == pop && k.Rollup == "pst_day" && k.Site == 1 {
			wantImp[k.Bucket] += n
		}
	}
	require.NoError(t, c.getJSON("/api/v1/series", url.Values{"test": {test}, "population": {pop}, "rollup": {"pst_day"}, "site": {"1"}}, &ans))
	got := map[string]int64{}
	for _, p := range ans.Points {
		got[p.Bucket] = p.Count
	}
	assert.Equal(t, wantImp, got)
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func TestGoalsStatusAndHealth(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	c := newClient(t, api.New(in.store, api.Options{}))

	var goals query.GoalsAnswer
	require.NoError(t, c.getJSON("/api/v1/goals", nil, &goals))
	byName := map[string]query.Goal{}
	for _, g := range goals.Goals {
		byName[g.Name] = g
	}
	assert.Equal(t, query.Goal{Name: "completed checkout", ValueType: "S", ValueFormat: byName["completed checkout"].ValueFormat}, byName["completed checkout"])
	assert.Equal(t, "A", byName["order margin"].ValueType)
	assert.Equal(t, "I", byName["margin per session"].ValueType)
	assert.Contains(t, byName, "viewed page")
	// Complex goals are listed too; they have no counts within variants.
	assert.Equal(t, query.Goal{Name: "abandoned cart", Complex: true}, byName["abandoned cart"])
	var simple []string
	for _, g := range goals.Goals {
		if !g.Complex {
			simple = append(simple, g.Name)
		}
	}

	// Results without goals: every goal that is not complex, by name.
	var res query.ResultsAnswer
	require.NoError(t, c.getJSON("/api/v1/results", url.Values{"test": {"red checkout form"}}, &res))
	require.Equal(t, simple, res.Goals)
	assert.Equal(t, []string{"False", "True"}, res.Populations)
	for _, pop := range res.Populations {
		assert.Len(t, res.Results[pop], len(res.Goals))
	}

	var st query.StatusAnswer
	require.NoError(t, c.getJSON("/api/v1/status", nil, &st))
	assert.Equal(t, in.store.Schema(), st.Schema)
	assert.Equal(t, persistence.LatestVersion(), st.Version)
	require.Len(t, st.Pointers, 1)
	assert.Equal(t, "default", st.Pointers[0].Source)
	require.Len(t, in.summary.Pointers, 1)
	assert.Equal(t, in.summary.Pointers[0].String(), st.Pointers[0].Pointer)
	assert.Equal(t, in.summary.Records, st.Pointers[0].Records)
	assert.Positive(t, st.Rows["histories"])
	assert.Nil(t, st.Ingest, "no ingest runs in this server")

	status, _, body := c.do(http.MethodGet, "/healthz", nil)
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"status":"ok"}`, string(body))

	// A server whose database is gone says so on /healthz.
	closed, err := persistence.Open(t.Context(), pgtest.URL(t), in.store.Schema())
	require.NoError(t, err)
	closed.Close()
	status, _, body = newClient(t, api.New(closed, api.Options{})).do(http.MethodGet, "/healthz", nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Contains(t, string(body), "database unreachable")
}

func TestStatusReportsLiveIngest(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	gap := ingest.Gap{Reason: logsource.GapLateAppend, Path: "log/m.log.3600", Bytes: 42, Detail: "42 bytes were appended late", At: at}
	stats := ingest.Stats{Read: 90, Committed: ingest.Summary{Records: 88, DeadLetters: 2, Epochs: 3}, CaughtUp: true,
		Gaps: ingest.GapStats{Count: 1, Bytes: 42, Recent: []ingest.Gap{gap}}}
	c := newClient(t, api.New(in.store, api.Options{Ingest: func() ingest.Stats { return stats }}))
	var st query.StatusAnswer
	require.NoError(t, c.getJSON("/api/v1/status", nil, &st))
	require.NotNil(t, st.Ingest)
	assert.Equal(t, query.IngestStatus{Read: 90, Committed: 88, DeadLetters: 2, Epochs: 3, Pointer: "0:0", CaughtUp: true,
		Unread: query.Unread{Count: 1, Bytes: 42, Recent: []query.UnreadGap{
			{Reason: "late_append", File: "log/m.log.3600", Bytes: 42, Detail: "42 bytes were appended late", At: at},
		}}}, *st.Ingest)
}

// /healthz shows an ingest of this process that waits for its database.
func TestHealthShowsAnIngestWaitingForItsDatabase(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	stats := ingest.Stats{StoreDownSince: since}
	c := newClient(t, api.New(in.store, api.Options{Ingest: func() ingest.Stats { return stats }}))
	var h map[string]string
	require.NoError(t, c.getJSON("/healthz", nil, &h))
	assert.Equal(t, map[string]string{"status": "ok", "ingest": "waiting for the database",
		"ingest_waiting_since": "2026-01-02T03:04:05Z", "ingest_gives_up_at": "never"}, h)
	stats.StoreGivesUpAt = since.Add(time.Hour)
	require.NoError(t, c.getJSON("/healthz", nil, &h))
	assert.Equal(t, "2026-01-02T04:04:05Z", h["ingest_gives_up_at"])
	stats = ingest.Stats{}
	h = nil
	require.NoError(t, c.getJSON("/healthz", nil, &h))
	assert.Equal(t, map[string]string{"status": "ok"}, h)
}

func TestDeadLetters(t *testing.T) {
	store := pgtest.NewStore(t)
	dir := t.TempDir()
	base := filepath.Join(dir, "manhattan.log")
	lines := "1\tpixel\t1400000000\tv1\t1\n" +
		"not a record\n" +
		"1\tgoal\t1400000001\tv1\t1\tsignup\tnot-a-number\tS\tC\n" +
		"1\tpage\t1400000002\tv1\t1\t10.0.0.1\tGET\t/\tMozilla\t\n"
	require.NoError(t, os.WriteFile(base+".1399996800", []byte(lines), 0o644))
	sum, err := actors.Run(t.Context(), actors.Config{Store: store, Rules: fixtures.Rules(t, fixtures.Clickstream), LogBase: base, Shards: 1}, ingest.Events{})
	require.NoError(t, err)
	require.EqualValues(t, 2, sum.DeadLetters)

	c := newClient(t, api.New(store, api.Options{}))
	var ans query.DeadLettersAnswer
	require.NoError(t, c.getJSON("/api/v1/dead-letters", nil, &ans))
	require.Len(t, ans.DeadLetters, 2)
	newest, oldest := ans.DeadLetters[0], ans.DeadLetters[1]
	assert.Equal(t, "not a record", strings.TrimSuffix(oldest.Raw, "\n"))
	assert.Contains(t, newest.Raw, "not-a-number")
	assert.NotEmpty(t, newest.Reason)
	assert.EqualValues(t, 1399996800, oldest.File)
	assert.EqualValues(t, len("1\tpixel\t1400000000\tv1\t1\n")+len("not a record\n"), oldest.Offset)
	assert.Equal(t, fmt.Sprintf("%d:%d", oldest.File, oldest.Offset), oldest.Pointer)

	require.NoError(t, c.getJSON("/api/v1/dead-letters", url.Values{"limit": {"1"}, "source": {"default"}}, &ans))
	require.Len(t, ans.DeadLetters, 1)
	assert.Equal(t, newest, ans.DeadLetters[0])
	require.NoError(t, c.getJSON("/api/v1/dead-letters", url.Values{"source": {"elsewhere"}}, &ans))
	assert.Empty(t, ans.DeadLetters)
}

func TestBadRequests(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	t.Run("postgres", func(t *testing.T) { checkBadRequests(t, in.store) })
	t.Run("memory", func(t *testing.T) { checkBadRequests(t, memoryStore(t, fixtures.Clickstream)) })
}

func checkBadRequests(t *testing.T, store query.Store) {
	c := newClient(t, api.New(store, api.Options{MaxGoals: 5}))
	long := strings.Repeat("é", 256)
	cases := []struct {
		method, target string
		status         int
		msg            string
	}{
		{"GET", "/api/v1/count", 400, "give a goal, a variant"},
		{"GET", "/api/v1/count?goal=x&test=t", 400, "both test and population"},
		{"GET", "/api/v1/count?population=p", 400, "both test and population"},
		{"GET", "/api/v1/count?goal=x&site=one", 400, `site must be an integer site id or "all", not "one"`},
		{"GET", "/api/v1/count?goal=x&colour=red", 400, `unknown parameter "colour"`},
		{"GET", "/api/v1/count?goal=a&goal=b", 400, `parameter "goal" is given 2 times`},
		{"GET", "/api/v1/count?goal=" + url.QueryEscape(long), 400, `parameter "goal" is longer than 255 characters`},
		{"GET", "/api/v1/count?goal=%zz", 400, "malformed query string"},
		{"GET", "/api/v1/count?goal=%ff", 400, "not valid UTF-8"},
		{"GET", "/api/v1/value?site=1", 400, "goal is required"},
		{"GET", "/api/v1/results?goals=a", 400, "test is required"},
		{"GET", "/api/v1/results?test=red+checkout+form&goals=a,b,c,d,e,f", 400, "too many goals: at most 5"},
		{"GET", "/api/v1/results?test=red+checkout+form&goals=a&goals=" + url.QueryEscape(long), 400, "longer than 255 characters"},
		{"GET", "/api/v1/results?test=no+such+test", 404, `no test named "no such test"`},
		{"GET", "/api/v1/series?goal=x&bucket=0", 400, "drop the bucket parameter"},
		{"GET", "/api/v1/series?rollup=pst_day", 400, "give a goal"},
		{"GET", "/api/v1/dead-letters?limit=0", 400, "limit must be an integer from 1 to 1000"},
		{"GET", "/api/v1/dead-letters?limit=5000", 400, "limit must be an integer from 1 to 1000"},
		{"GET", "/api/v1/tests?x=1", 400, "takes no parameters"},
		{"GET", "/api/v1/nope", 404, "no endpoint /api/v1/nope"},
		{"GET", "/api/v2/count?goal=x", 404, "no endpoint /api/v2/count"},
		{"GET", "/api/v1/count?goal=" + strings.Repeat("x", api.MaxURLLength), 414, "request URL longer than 8192 bytes"},
		{"POST", "/api/v1/count?goal=x", 405, "method POST not allowed"},
		{"DELETE", "/api/v1/tests", 405, "method DELETE not allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+clipName(tc.target), func(t *testing.T) {
			status, h, body := c.do(tc.method, tc.target, nil)
			assert.Equal(t, tc.status, status)
			assert.True(t, strings.HasPrefix(h.Get("Content-Type"), "application/json"), "content type %q", h.Get("Content-Type"))
			var e query.ErrorAnswer
			require.NoError(t, json.Unmarshal(body, &e), "body %s", body)
			assert.Contains(t, e.Error, tc.msg)
			if status == http.StatusMethodNotAllowed {
				assert.Equal(t, "GET, HEAD", h.Get("Allow"))
			}
		})
	}

	// HEAD is answered like GET, without a body.
	status, _, body := c.do(http.MethodHead, "/api/v1/tests", nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Empty(t, body)
	// site=all is the same as no site.
	var all, none query.CountAnswer
	require.NoError(t, c.getJSON("/api/v1/count", url.Values{"goal": {"viewed page"}, "site": {"all"}}, &all))
	require.NoError(t, c.getJSON("/api/v1/count", url.Values{"goal": {"viewed page"}}, &none))
	assert.Equal(t, none, all)
	assert.Nil(t, all.Site)
	assert.Equal(t, "all", all.Rollup)
	assert.Equal(t, "0", all.Bucket)
}

func clipName(s string) string {
	if len(s) > 60 {
		return s[:60]
	}
	return s
}

func TestTokenIsEnforced(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	const token = "s3cret-token"
	dashboard := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "dashboard "+r.URL.Path) })
	c := newClient(t, api.New(in.store, api.Options{Token: token, Dashboard: dashboard}))
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	basic := func(pass string) http.Header {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth("anyone", pass)
		return req.Header
	}

	for _, path := range []string{"/api/v1/tests", "/api/v1/count?goal=x", "/api/v1/nope", "/metrics"} {
		status, h, body := c.do(http.MethodGet, path, nil)
		assert.Equal(t, http.StatusUnauthorized, status, path)
		assert.Equal(t, `Bearer realm="manhattan"`, h.Get("WWW-Authenticate"), path)
		assert.Contains(t, string(body), "missing token", path)

		status, _, body = c.do(http.MethodGet, path, bearer("wrong"))
		assert.Equal(t, http.StatusUnauthorized, status, path)
		assert.Contains(t, string(body), "wrong token", path)

		status, _, _ = c.do(http.MethodGet, path, bearer(token+"x"))
		assert.Equal(t, http.StatusUnauthorized, status, path)
	}
	for _, path := range []string{"/", "/tests/red%20checkout%20form"} {
		status, h, _ := c.do(http.MethodGet, path, nil)
		assert.Equal(t, http.StatusUnauthorized, status, path)
		assert.Contains(t, h.Get("WWW-Authenticate"), "Basic", path)
		status, _, _ = c.do(http.MethodGet, path, basic("wrong"))
		assert.Equal(t, http.StatusUnauthorized, status, path)
		status, _, body := c.do(http.MethodGet, path, basic(token))
		assert.Equal(t, http.StatusOK, status, path)
		assert.Equal(t, "dashboard "+mustUnescape(path), string(body))
	}

	status, _, _ := c.do(http.MethodGet, "/api/v1/tests", bearer(token))
	assert.Equal(t, http.StatusOK, status)
	status, _, _ = c.do(http.MethodGet, "/api/v1/tests", basic(token))
	assert.Equal(t, http.StatusOK, status)
	status, _, _ = c.do(http.MethodGet, "/metrics", bearer(token))
	assert.Equal(t, http.StatusOK, status)
	status, _, _ = c.do(http.MethodGet, "/healthz", nil)
	assert.Equal(t, http.StatusOK, status, "health checks need no token")

	// Without a token the same requests pass.
	open := newClient(t, api.New(in.store, api.Options{Dashboard: dashboard}))
	status, _, _ = open.do(http.MethodGet, "/api/v1/tests", nil)
	assert.Equal(t, http.StatusOK, status)
	status, _, _ = open.do(http.MethodGet, "/", nil)
	assert.Equal(t, http.StatusOK, status)
}

func mustUnescape(p string) string {
	s, err := url.PathUnescape(p)
	if err != nil {
		panic(err)
	}
	return s
}

func TestIndexWithoutDashboard(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	c := newClient(t, api.New(in.store, api.Options{}))
	status, h, body := c.do(http.MethodGet, "/", nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, h.Get("Content-Type"), "text/html")
	assert.Contains(t, string(body), "/api/v1/results")
	status, _, _ = c.do(http.MethodGet, "/elsewhere", nil)
	assert.Equal(t, http.StatusNotFound, status)
}

// The address the server prints, /api/v1/, answers with the index of the endpoints.
func TestAPIRootListsTheEndpoints(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	c := newClient(t, api.New(in.store, api.Options{}))
	for _, path := range []string{"/api/v1/", "/api/v1", "/api/", "/api"} {
		var idx api.Index
		require.NoError(t, c.getJSON(path, nil, &idx), path)
		assert.Equal(t, "/api/v1/", idx.API)
		paths := map[string]api.EndpointInfo{}
		for _, e := range idx.Endpoints {
			paths[e.Path] = e
		}
		for _, want := range []string{"tests", "goals", "count", "value", "results", "analysis", "series", "dead-letters", "status", "tests/{test}/config"} {
			e, ok := paths["/api/v1/"+want]
			if assert.True(t, ok, "%s lists %s", path, want) {
				assert.NotEmpty(t, e.Description, want)
			}
		}
		// Every listed endpoint without a path parameter answers.
		for p, e := range paths {
			if e.Example == "" && !strings.Contains(p, "{") {
				status, _, _ := c.do(http.MethodGet, p, nil)
				assert.Equal(t, http.StatusOK, status, p)
			}
		}
	}
}

func TestMetricsAfterIngest(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	c := newClient(t, api.New(in.store, api.Options{Metrics: in.metrics}))
	var n query.CountAnswer
	require.NoError(t, c.getJSON("/api/v1/count", url.Values{"goal": {"viewed page"}}, &n))
	status, _, _ := c.do(http.MethodGet, "/api/v1/count", nil)
	require.Equal(t, http.StatusBadRequest, status)

	status, h, body := c.do(http.MethodGet, "/metrics", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, h.Get("Content-Type"), "text/plain")
	text := string(body)
	s := in.summary
	for _, want := range []string{
		fmt.Sprintf("manhattan_ingest_records_committed_total %d", s.Records),
		fmt.Sprintf("manhattan_ingest_epochs_committed_total %d", s.Epochs),
		fmt.Sprintf("manhattan_ingest_dead_letters_total %d", s.DeadLetters),
		fmt.Sprintf("manhattan_ingest_records_read_total %d", s.Records+s.DeadLetters),
		fmt.Sprintf("manhattan_ingest_commit_duration_seconds_count %d", s.Epochs),
		"manhattan_ingest_restarts_total 0",
		`manhattan_query_duration_seconds_count{endpoint="count"} 2`,
		`manhattan_query_errors_total{code="400",endpoint="count"} 1`,
	} {
		assert.Contains(t, text, "\n"+want+"\n")
	}
	assert.Positive(t, s.Records)
}

func TestServeShutsDownOnCancel(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- api.Serve(ctx, ln, api.New(in.store, api.Options{}), nil) }()

	c := &client{t: t, base: "http://" + ln.Addr().String()}
	status, _, _ := c.do(http.MethodGet, "/healthz", nil)
	require.Equal(t, http.StatusOK, status)
	cancel()
	require.NoError(t, <-done)
	_, err = http.Get("http://" + ln.Addr().String() + "/healthz")
	require.Error(t, err, "the listener is closed")
}

func TestCheckTokenRejectsWeakTokens(t *testing.T) {
	require.NoError(t, api.CheckToken(""), "no token: an open API on loopback")
	require.NoError(t, api.CheckToken("0123456789abcdef"))
	for token, want := range map[string]string{
		" ":                  "blank",
		"\t\n":               "blank",
		"short":              "fewer than 16",
		"0123456789abcde":    "fewer than 16",
		" 0123456789abcdef ": "white space",
	} {
		assert.ErrorContains(t, api.CheckToken(token), want, "%q", token)
	}
}

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		addr            string
		token, insecure bool
		ok              bool
	}{
		{"127.0.0.1:8080", false, false, true},
		{"127.0.0.2:0", false, false, true},
		{"[::1]:8080", false, false, true},
		{"localhost:8080", false, false, true},
		{":8080", false, false, false},
		{"0.0.0.0:8080", false, false, false},
		{"192.168.1.10:8080", false, false, false},
		{"example.com:8080", false, false, false},
		{"0.0.0.0:8080", true, false, true},
		{":8080", false, true, true},
	} {
		err := api.CheckListen(tc.addr, tc.token, tc.insecure)
		if tc.ok {
			assert.NoError(t, err, tc.addr)
		} else {
			assert.ErrorContains(t, err, "without a token", tc.addr)
		}
	}
	assert.ErrorContains(t, api.CheckListen("8080", false, false), "missing port")
}
