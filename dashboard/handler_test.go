package dashboard

import (
	"bytes"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/persistence"
)

func serve(t *testing.T, src source, opts Options, path string) (int, string) {
	t.Helper()
	h, err := newHandler(src, opts)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, err := io.ReadAll(rec.Result().Body)
	require.NoError(t, err)
	return rec.Code, string(b)
}

// serveText is serve with the body's character references resolved (html/template
// writes "+" as "&#43;").
func serveText(t *testing.T, src source, opts Options, path string) (int, string) {
	t.Helper()
	code, body := serve(t, src, opts, path)
	return code, html.UnescapeString(body)
}

func TestStoreFailureIsA500WithoutDetails(t *testing.T) {
	f := newFake()
	f.tests = []persistence.TestInfo{{Name: "t", Populations: []string{"a", "b"}}}
	f.err = errStore
	var logged bytes.Buffer
	opts := Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))}
	for _, path := range []string{"/", "/tests/t", "/tests/t/results.csv"} {
		code, body := serve(t, f, opts, path)
		assert.Equal(t, http.StatusInternalServerError, code, path)
		assert.Contains(t, body, "could not be read")
		assert.NotContains(t, body, "10.0.0.7", "the error's details stay in the log")
	}
	assert.Contains(t, logged.String(), "10.0.0.7")
}

func TestNamesAreEscaped(t *testing.T) {
	f := newFake()
	name := `<script>alert("x")</script>`
	f.tests = []persistence.TestInfo{{Name: name, First: 1, Last: 2, Populations: []string{"<b>", "a&b"}}}
	f.goals = []persistence.GoalInfo{{Name: `"><img src=x>`}}
	code, body := serve(t, f, Options{}, "/")
	require.Equal(t, http.StatusOK, code)
	assert.NotContains(t, body, "<script>alert")
	assert.Contains(t, body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	assert.Contains(t, body, `href="/tests/%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E"`)

	code, body = serve(t, f, Options{}, "/tests/%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E")
	require.Equal(t, http.StatusOK, code)
	assert.NotContains(t, body, "<script>alert")
	assert.NotContains(t, body, "<b>")
	assert.NotContains(t, body, "<img")
	assert.Contains(t, body, "a&amp;b")
}

func TestTestNamesWithSlashes(t *testing.T) {
	f := newFake()
	f.tests = []persistence.TestInfo{{Name: "checkout/v2", Populations: []string{"a", "b"}}}
	code, body := serve(t, f, Options{}, "/")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `href="/tests/checkout%2Fv2"`)
	code, body = serve(t, f, Options{}, "/tests/checkout%2Fv2")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "<h1>checkout/v2</h1>")
	code, _ = serve(t, f, Options{}, "/tests/checkout%2Fv2/results.csv")
	assert.Equal(t, http.StatusOK, code)
}

func TestSampleRatioMismatchBanner(t *testing.T) {
	f := newFake()
	f.tests = []persistence.TestInfo{{Name: "t", Populations: []string{"b", "a"}}}
	f.goals = []persistence.GoalInfo{{Name: "buy", ValueType: "S", ValueFormat: "C"}}
	f.values["t"] = map[string]decimal.Decimal{"a": decimal.RequireFromString("1234.5"), "b": decimal.RequireFromString("-3")}
	// 60 against 40 is within chance (χ² = 4, p = 0.0455) …
	f.set("", "t", "a", "all", "0", 60)
	f.set("", "t", "b", "all", "0", 40)
	_, body := serve(t, f, Options{}, "/tests/t")
	assert.NotContains(t, body, `id="srm-warning"`)
	assert.Contains(t, body, "χ² = 4.00, p = 0.046")
	assert.Contains(t, body, "1,234.50")
	assert.Contains(t, body, "\u22123.00")
	// … 80 against 20 is not (χ² = 36, p = 2e-9).
	f.set("", "t", "a", "all", "0", 80)
	f.set("", "t", "b", "all", "0", 20)
	_, body = serve(t, f, Options{}, "/tests/t")
	assert.Contains(t, body, `id="srm-warning"`)
	assert.Contains(t, body, "χ² = 36.00, p &lt; 0.001")
	assert.Contains(t, body, "50.0% per population")
	// … but with fewer than 100 visitors the rule stays silent, however skewed.
	f.set("", "t", "a", "all", "0", 99)
	f.set("", "t", "b", "all", "0", 0)
	_, body = serve(t, f, Options{}, "/tests/t")
	assert.NotContains(t, body, `id="srm-warning"`)
}

func TestSignificantResult(t *testing.T) {
	f := newFake()
	f.tests = []persistence.TestInfo{{Name: "t", Populations: []string{"a", "b"}}}
	f.goals = []persistence.GoalInfo{{Name: "buy"}}
	// 200 of 1000 against 250 of 1000: unpooled z = 2.68, p = 0.0073, and Fieller's
	// interval of the lift from the same test (see analysis' tests).
	f.set("", "t", "a", "all", "0", 1000)
	f.set("", "t", "b", "all", "0", 1000)
	f.set("buy", "t", "a", "all", "0", 200)
	f.set("buy", "t", "b", "all", "0", 250)
	_, body := serveText(t, f, Options{}, "/tests/t")
	assert.Contains(t, body, `<td class="num lift">+25.0%</td>`)
	assert.Contains(t, body, `<td class="num ci">[+6.2%, +47.7%]</td>`)
	assert.Contains(t, body, `<td class="num p">0.007</td>`)
	assert.Contains(t, body, `<span class="verdict sig">significant ↑</span>`)
	assert.NotContains(t, body, "small sample")

	// With b as the control, a's lift is −20% and the change is downwards.
	_, body = serveText(t, f, Options{}, "/tests/t?control=b")
	assert.Contains(t, body, `<td class="num lift">−20.0%</td>`)
	assert.Contains(t, body, `<span class="verdict sig">significant ↓</span>`)
}

func TestChartModesAndGaps(t *testing.T) {
	f := newFake()
	f.tests = []persistence.TestInfo{{Name: "t", Populations: []string{"a", "b"}}}
	f.goals = []persistence.GoalInfo{{Name: "buy"}}
	// a: days 0, 1 and 3; b: days 0 and 3 (none on day 1: a gap in the daily line).
	for i, n := range map[int][2]int64{0: {10, 1}, 1: {10, 3}, 3: {20, 2}} {
		f.set("", "t", "a", DefaultDayRollup, day(i), n[0])
		f.set("buy", "t", "a", DefaultDayRollup, day(i), n[1])
	}
	for i, n := range map[int][2]int64{0: {10, 5}, 3: {10, 0}} {
		f.set("", "t", "b", DefaultDayRollup, day(i), n[0])
		f.set("buy", "t", "b", DefaultDayRollup, day(i), n[1])
	}
	_, body := serve(t, f, Options{}, "/tests/t?mode=daily")
	svg := body[strings.Index(body, `<svg id="daily-chart"`):]
	svg = svg[:strings.Index(svg, "</svg>")]
	// Three days with data (Mar 7, 8 and 10; Mar 9 has none and is not an x position).
	assert.Contains(t, svg, ">Mar 7</text>")
	assert.Contains(t, svg, ">Mar 10</text>")
	assert.NotContains(t, svg, ">Mar 9</text>")
	assert.Equal(t, 5, strings.Count(svg, "<circle"))
	assert.Contains(t, svg, "a, Fri 2013-03-08: 30.00% (3 of 10)")
	assert.Contains(t, svg, "b, Sun 2013-03-10: 0.00% (0 of 10)")
	assert.Regexp(t, `data-population="b">\s*<path d="M\S+ \S+ M\S+ \S+">`, svg, "b's daily line breaks on the day without visitors")

	_, body = serve(t, f, Options{}, "/tests/t?mode=cumulative")
	assert.Contains(t, body, "a, Sun 2013-03-10: 15.00% (6 of 40)")
	assert.Contains(t, body, "b, Fri 2013-03-08: 50.00% (5 of 10)", "the cumulative line carries on over the gap")
	assert.Contains(t, body, "b, Sun 2013-03-10: 25.00% (5 of 20)")
	assert.Regexp(t, `data-population="b">\s*<path d="M\S+ \S+ L\S+ \S+ L\S+ \S+">`, body)

	// Another day rollup, without a zone: days are named by their UTC date 12 hours on.
	f.set("", "t", "a", "utc_day", "1362614400", 4) // 2013-03-07 00:00 UTC
	_, body = serve(t, f, Options{DayRollup: "utc_day"}, "/tests/t")
	assert.Contains(t, body, ">Mar 7</text>")
	assert.NotContains(t, body, "America/Los_Angeles")
}

func TestEmptyStore(t *testing.T) {
	f := newFake()
	code, body := serve(t, f, Options{}, "/")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "No split tests yet.")
	f.tests = []persistence.TestInfo{{Name: "t", Populations: []string{"a"}}}
	code, body = serve(t, f, Options{}, "/tests/t")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "No goals yet.")
	assert.NotContains(t, body, `id="daily-chart"`)
}

func TestOnlyGet(t *testing.T) {
	h, err := newHandler(newFake(), Options{})
	require.NoError(t, err)
	for _, path := range []string{"/", "/tests/t", "/elsewhere"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader("x")))
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, path)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
}
