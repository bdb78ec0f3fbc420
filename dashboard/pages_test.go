package dashboard_test

import (
	"bytes"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/dashboard"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// Names that must reach the pages as text, never as markup.
const (
	scriptTest = `<script>alert("x")</script> & 'co'`
	markupPop  = `<b>`
	ampPop     = `a&b`
	markupGoal = `"><img src=x>`
	slashTest  = "a/b"
)

// visit is what one generated visitor does: it sees a page, loads the pixel, enters a
// test's population and converts on goal when goal is not empty.
type visit struct {
	test, population, goal string
}

// writeVisits writes visits as a version-1 log (one file, one hour) and returns its base.
func writeVisits(t *testing.T, visits []visit) string {
	t.Helper()
	const start = 1_700_000_000 // 2023-11-14 22:13:20 UTC
	base := filepath.Join(t.TempDir(), "manhattan.log")
	var buf []byte
	ts := int64(start)
	for i, v := range visits {
		vid := "v" + strconv.Itoa(i)
		for _, r := range []messages.Record{
			{Kind: messages.KindPage, IP: "10.0.0.1", Method: "GET", URL: "http://shop.example/", UserAgent: "Mozilla/5.0 Chrome/120.0"},
			{Kind: messages.KindPixel},
			{Kind: messages.KindSplit, Test: v.test, Population: v.population},
			{Kind: messages.KindGoal, Goal: v.goal},
		} {
			if r.Kind == messages.KindGoal && v.goal == "" {
				continue
			}
			r.Timestamp, r.VID, r.Site = ts, vid, 1
			ts++
			buf = messages.AppendLine(buf, &r)
		}
	}
	// One file: the log's hour files are named by the hour of writing, not of the events.
	require.NoError(t, os.WriteFile(base+"."+strconv.Itoa(start-start%3600), buf, 0o644))
	return base
}

// ingestVisits ingests visits with the default rollups into a new store.
func ingestVisits(t *testing.T, visits []visit) *persistence.Store {
	t.Helper()
	rs, err := rollups.ParseList(rollups.DefaultSpecs())
	require.NoError(t, err)
	rules, err := visitor.NewRules(rs, nil)
	require.NoError(t, err)
	store := pgtest.NewStore(t)
	_, err = actors.Run(t.Context(), actors.Config{Store: store, Rules: rules, LogBase: writeVisits(t, visits), Shards: 2, FlushInterval: time.Hour}, ingest.Events{})
	require.NoError(t, err)
	return store
}

// namesServer serves the dashboard, mounted in the API, over two tests with awkward
// names: one full of markup characters, one with a slash.
func namesServer(t *testing.T) *httptest.Server {
	t.Helper()
	var visits []visit
	for i := range 40 {
		pops := []string{markupPop, ampPop}
		v := visit{test: scriptTest, population: pops[i%2]}
		if i%3 == 0 {
			v.goal = markupGoal
		}
		visits = append(visits, v)
		w := visit{test: slashTest, population: []string{"a", "b"}[i%2]}
		if i%4 == 0 {
			w.goal = "buy"
		}
		visits = append(visits, w)
	}
	store := ingestVisits(t, visits)
	h, err := dashboard.New(store, dashboard.Options{})
	require.NoError(t, err)
	return newServer(t, api.New(store, api.Options{Dashboard: h}))
}

// TestNamesAreEscaped checks that test, population and goal names full of markup
// characters reach the index, the test page, its links and the CSV as text.
func TestNamesAreEscaped(t *testing.T) {
	srv := namesServer(t)
	code, _, body := get(t, srv, "/")
	require.Equal(t, http.StatusOK, code, body)
	assert.NotContains(t, body, "<script>alert")
	assert.Contains(t, body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;co&#39;`)
	href := "/tests/" + "%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E%20&amp;%20%27co%27"
	assert.Contains(t, body, `href="`+href+`"`, "the link escapes the name for the path and the attribute")
	assert.NotContains(t, body, "<b>")

	code, _, page := get(t, srv, html.UnescapeString(href))
	require.Equal(t, http.StatusOK, code, "the index's link leads to the test's page: %s", page)
	for _, raw := range []string{"<script>alert", "<b>", "<img"} {
		assert.NotContains(t, page, raw, "no raw markup from the names")
	}
	assert.Contains(t, page, `<h1>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;co&#39; `)
	assert.Contains(t, page, `data-population="a&amp;b"`)
	assert.Contains(t, page, `&lt;b&gt; <span class="tag">control</span>`, "the control is named <b>, as text")
	assert.Contains(t, page, `data-goal="&#34;&gt;&lt;img src=x&gt;"`)
	assert.Contains(t, page, `&#34;&gt;&lt;img src=x&gt; <span class="tag">`, "the goal's head shows the name as text")
	text := html.UnescapeString(page)
	cells := rowCells(text, markupGoal, ampPop)
	require.NotNil(t, cells, "the goal's row of population a&b")
	assert.Equal(t, "20", cells["units"])
	assert.Equal(t, "7", cells["conversions"], "visitors 1, 7, …, 37 of a&b converted")

	// The page's own links keep the name escaped.
	for _, m := range regexp.MustCompile(`(?:href|data-api)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		u := html.UnescapeString(m[1])
		if strings.Contains(u, "/tests/") {
			assert.Contains(t, u, "%3Cscript%3E", "link %s", u)
		}
	}

	code, ctype, csv := get(t, srv, html.UnescapeString(href)+"/results.csv")
	require.Equal(t, http.StatusOK, code, csv)
	assert.Contains(t, ctype, "text/csv")
	assert.Contains(t, csv, `"<script>alert(""x"")</script> & 'co'",,"""><img src=x>",`, "CSV quotes, not HTML escapes")

	// A markup name in a parameter comes back escaped in the error.
	code, _, body = get(t, srv, testPath(slashTest, "goal=%3Cscript%3Ealert(1)%3C/script%3E"))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.NotContains(t, body, "<script>alert")
	assert.Contains(t, html.UnescapeString(body), `unknown goal "<script>alert(1)</script>"`)
}

// TestNamesWithSlashes checks a test named "a/b": its link, its page, the links of the
// page (CSV, views, the settings form's API address) and the CSV.
func TestNamesWithSlashes(t *testing.T) {
	srv := namesServer(t)
	_, _, body := get(t, srv, "/")
	assert.Contains(t, body, `href="/tests/a%2Fb"`)
	code, _, page := get(t, srv, "/tests/a%2Fb")
	require.Equal(t, http.StatusOK, code, page)
	assert.Contains(t, page, "<h1>a/b ")
	assert.Contains(t, page, `href="/tests/a%2Fb/results.csv"`)
	assert.Contains(t, page, `id="view-bayesian"`)
	assert.Regexp(t, `href="/tests/a%2Fb\?stats=bayesian" id="view-bayesian"`, page)
	api := regexp.MustCompile(`<form id="settings-form" data-api="([^"]+)">`).FindStringSubmatch(page)
	require.NotNil(t, api)
	assert.Equal(t, "/api/v1/tests/a%2Fb/config", api[1])
	code, _, cfg := get(t, srv, api[1])
	assert.Equal(t, http.StatusOK, code, "the form's API address names the test: %s", cfg)

	code, _, csv := get(t, srv, "/tests/a%2Fb/results.csv")
	require.Equal(t, http.StatusOK, code, csv)
	assert.Contains(t, csv, "\na/b,,buy,")
	code, _, _ = get(t, srv, "/tests/a/b")
	assert.Equal(t, http.StatusNotFound, code, "a/b unescaped is another path")
}

// TestStoreFailureIsA500WithoutDetails breaks the store under the dashboard (a table
// renamed away) and checks that every page answers 500 with a plain message, while
// the details (the SQL error) go to the log only.
func TestStoreFailureIsA500WithoutDetails(t *testing.T) {
	store := ingestVisits(t, []visit{{test: "t", population: "a", goal: "buy"}, {test: "t", population: "b"}})
	var logged bytes.Buffer
	h, err := dashboard.New(store, dashboard.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	require.NoError(t, err)
	srv := newServer(t, h)
	rename := func(from, to string) {
		t.Helper()
		_, err := store.Pool().Exec(t.Context(), "ALTER TABLE "+pgx.Identifier{store.Schema(), from}.Sanitize()+" RENAME TO "+pgx.Identifier{to}.Sanitize())
		require.NoError(t, err)
	}
	check := func(paths ...string) {
		t.Helper()
		for _, path := range paths {
			logged.Reset()
			code, ctype, body := get(t, srv, path)
			assert.Equal(t, http.StatusInternalServerError, code, path)
			assert.Equal(t, "text/html; charset=utf-8", ctype, path)
			assert.Contains(t, body, "The results could not be read; the server log has the details.", path)
			for _, detail := range []string{"SQLSTATE", "relation", "does not exist", store.Schema(), "SELECT", "goroutine", ".go:"} {
				assert.NotContains(t, body, detail, "%s: the page shows no internal detail", path)
			}
			assert.Contains(t, logged.String(), "SQLSTATE 42P01", "%s: the details are in the log", path)
		}
	}
	// The goals are read after the test is found: the page fails half way.
	rename("goals", "goals_gone")
	check("/tests/t", "/tests/t/results.csv")
	rename("goals_gone", "goals")
	rename("tests", "tests_gone")
	check("/", "/tests/t", "/tests/t/results.csv")
}

// TestBadParameters checks that every parameter that does not fit is answered with
// 400 and a message saying what is wrong, on the page and on the CSV.
func TestBadParameters(t *testing.T) {
	srv := namesServer(t)
	for _, tc := range []struct{ query, message string }{
		{"site=abc", `site must be an integer site id or "all", not "abc"`},
		{"site=1.5", `site must be an integer site id`},
		{"goal=no+such+goal", `unknown goal "no such goal"`},
		{"chart=nothing", `unknown chart goal "nothing"`},
		{"stats=maybe", `stats must be "frequentist" or "bayesian", not "maybe"`},
		{"breakdown=nosuch", `breakdown: no rollup "nosuch" to break the results down by (site, `},
		{"from=yesterday", `from must be a date YYYY-MM-DD, not "yesterday"`},
		{"to=2024-03", `to must be a date YYYY-MM-DD, not "2024-03"`},
	} {
		t.Run(tc.query, func(t *testing.T) {
			for _, suffix := range []string{"", "/results.csv"} {
				code, ctype, body := get(t, srv, "/tests/a%2Fb"+suffix+"?"+tc.query)
				assert.Equal(t, http.StatusBadRequest, code, suffix)
				assert.Equal(t, "text/html; charset=utf-8", ctype, suffix)
				msg := regexp.MustCompile(`<p class="message">([^<]*)</p>`).FindStringSubmatch(body)
				require.NotNil(t, msg, "the error page states the problem: %s", body)
				assert.Contains(t, html.UnescapeString(msg[1]), tc.message, suffix)
			}
		})
	}
	for _, path := range []string{"/tests/no%20such%20test", "/tests/no%20such%20test/results.csv"} {
		code, _, body := get(t, srv, path)
		assert.Equal(t, http.StatusNotFound, code, path)
		assert.Contains(t, html.UnescapeString(body), `There is no split test named "no such test".`)
	}
	code, _, _ := get(t, srv, "/nothing/here")
	assert.Equal(t, http.StatusNotFound, code)
}

// rowCells returns the cells of the results row of goal and population in page (with
// its character references resolved), nil when there is none: units, conversions,
// mean, lift, p, verdict.
func rowCells(page, goal, population string) map[string]string {
	m := regexp.MustCompile(`<tr data-goal="` + regexp.QuoteMeta(goal) + `" data-role="[^"]*" data-population="` + regexp.QuoteMeta(population) + `" data-judged="([^"]*)">([\s\S]*?)</tr>`).FindStringSubmatch(page)
	if m == nil {
		return nil
	}
	cells := map[string]string{"judged": m[1]}
	tds := regexp.MustCompile(`<td class="([^"]*)">([\s\S]*?)</td>`).FindAllStringSubmatch(m[2], -1)
	for _, td := range tds {
		first, _, _ := strings.Cut(td[2], "<br>")
		switch td[1] {
		case "num":
			if _, ok := cells["units"]; !ok {
				cells["units"] = first
			}
		case "num conversions":
			cells["conversions"] = first
		case "num mean":
			cells["mean"] = first
		case "num lift":
			cells["lift"] = first
		case "num p":
			cells["p"] = first
		}
	}
	return cells
}

// visitorsShown returns the visitors of population in the visitors table of page.
func visitorsShown(page, population string) string {
	m := regexp.MustCompile(`<tr data-population="` + regexp.QuoteMeta(population) + `">\s*<td>[\s\S]*?</td>\s*<td class="num visitors-count">([^<]*)</td>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// shownDecimal reads a displayed figure ("1,234.50", "$57.27", "26.10%", "−3.00") as a decimal.
func shownDecimal(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(strings.NewReplacer(",", "", "%", "", "$", "", "\u2212", "-").Replace(s))
	require.NoError(t, err, "shown figure %q", s)
	return d
}

// TestComparisonByHand checks the page's figures of a comparison worked out by hand:
// 200 of 1000 visitors of a converted against 250 of 1000 of b. Rates 20% and 25%,
// lift +25%; unpooled z = 0.05 / √(0.2·0.8/1000 + 0.25·0.75/1000) = 2.68, two-sided
// p = 0.007: b is better. With b as the control, a's lift is −20%, and a is worse.
func TestComparisonByHand(t *testing.T) {
	var visits []visit
	for i := range 1000 {
		a, b := visit{test: "t", population: "a"}, visit{test: "t", population: "b"}
		if i < 200 {
			a.goal = "buy"
		}
		if i < 250 {
			b.goal = "buy"
		}
		visits = append(visits, a, b)
	}
	store := ingestVisits(t, visits)
	h, err := dashboard.New(store, dashboard.Options{})
	require.NoError(t, err)
	srv := newServer(t, api.New(store, api.Options{Dashboard: h}))

	code, _, page := get(t, srv, testPath("t", "goal=buy"))
	require.Equal(t, http.StatusOK, code, page)
	page = html.UnescapeString(page)
	a, b := rowCells(page, "buy", "a"), rowCells(page, "buy", "b")
	require.NotNil(t, a)
	require.NotNil(t, b)
	assert.Equal(t, map[string]string{"judged": "control", "units": "1,000", "conversions": "200", "mean": "20.00%", "lift": "", "p": ""}, a)
	assert.Equal(t, "1,000", b["units"])
	assert.Equal(t, "250", b["conversions"])
	assert.Equal(t, "25.00%", b["mean"])
	assert.Equal(t, "+25.0%", b["lift"])
	assert.Contains(t, page, `<td class="num lift">+25.0%<br><span class="ci">[+6.2%, +47.7%]</span>`, "Fieller's interval from the same test (package analysis)")
	assert.Equal(t, "0.007", b["p"])
	assert.Equal(t, "better", b["judged"])
	assert.Contains(t, page, "Sample ratio is sane (p = 1.000).")

	// b as the control, set through the API as the settings form does.
	req, err := http.NewRequest(http.MethodPatch, srv.URL+"/api/v1/tests/t/config", strings.NewReader(`{"control":"b"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, _, page = get(t, srv, testPath("t", "goal=buy"))
	page = html.UnescapeString(page)
	a = rowCells(page, "buy", "a")
	require.NotNil(t, a)
	assert.Equal(t, "\u221220.0%", a["lift"])
	assert.Equal(t, "0.007", a["p"])
	assert.Equal(t, "worse", a["judged"])
	assert.Equal(t, "control", rowCells(page, "buy", "b")["judged"])
}

// TestEmptyStoreAndHeaders checks the pages of a store without tests, the security
// headers, the assets, that only GET and HEAD are answered, and that a page loads
// nothing from another host.
func TestEmptyStoreAndHeaders(t *testing.T) {
	h, err := dashboard.New(pgtest.NewStore(t), dashboard.Options{})
	require.NoError(t, err)
	empty := newServer(t, h)
	code, ctype, body := get(t, empty, "/")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "text/html; charset=utf-8", ctype)
	assert.Contains(t, body, "No split tests yet.")
	code, _, _ = get(t, empty, "/tests/t")
	assert.Equal(t, http.StatusNotFound, code)

	_, err = dashboard.New(nil, dashboard.Options{})
	assert.Error(t, err, "a dashboard needs a store")

	srv := namesServer(t)
	resp, err := srv.Client().Get(srv.URL + "/tests/a%2Fb")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	for path, want := range map[string]string{"/assets/style.css": "text/css; charset=utf-8", "/assets/dashboard.js": "text/javascript; charset=utf-8"} {
		code, ctype, _ := get(t, srv, path)
		assert.Equal(t, http.StatusOK, code, path)
		assert.Equal(t, want, ctype, path)
	}
	code, _, _ = get(t, srv, "/assets/missing.css")
	assert.Equal(t, http.StatusNotFound, code)
	for _, path := range []string{"/", "/tests/a%2Fb", "/tests/a%2Fb/results.csv"} {
		resp, err := srv.Client().Post(srv.URL+path, "text/plain", strings.NewReader("x"))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, path)
		req, err := http.NewRequest(http.MethodHead, srv.URL+path, nil)
		require.NoError(t, err)
		resp, err = srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
	for _, path := range []string{"/", "/tests/a%2Fb", "/tests/a%2Fb?breakdown=site&stats=bayesian"} {
		_, _, page := get(t, srv, path)
		assert.NotRegexp(t, `(?i)(src|href|action)="(https?:)?//`, page, "%s loads nothing from another host", path)
	}
}
