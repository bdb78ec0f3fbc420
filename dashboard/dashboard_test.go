package dashboard_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/dashboard"
)

func TestIndexListsTests(t *testing.T) {
	srv := clickstreamServer(t, dashboard.Options{Title: "Shop experiments"})
	answers := expectedAnswers(t)
	var tests []struct {
		Name  string `json:"name"`
		First int64  `json:"first_timestamp"`
		Last  int64  `json:"last_timestamp"`
	}
	require.NoError(t, json.Unmarshal(find(t, answers, "tests", map[string]any{}).Expected, &tests))
	require.Len(t, tests, 1)
	require.Equal(t, int64(1602), tests[0].First, "1602 s after the epoch is 00:26:42")
	require.Equal(t, int64(7246), tests[0].Last, "7246 s after the epoch is 02:00:46")

	status, ctype, body := get(t, srv, "/")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "text/html; charset=utf-8", ctype)
	assert.Contains(t, body, "Shop experiments")
	assert.Contains(t, body, `<a href="/tests/red%20checkout%20form">red checkout form</a>`)
	assert.Contains(t, body, "1970-01-01 00:26:42 UTC")
	assert.Contains(t, body, "1970-01-01 02:00:46 UTC")
	assert.Contains(t, body, `<span class="pill">False</span> <span class="pill">True</span>`)
}

func TestTestPageShowsTheFixtureNumbers(t *testing.T) {
	srv := clickstreamServer(t, dashboard.Options{})
	answers := expectedAnswers(t)
	visitors := fixtureVisitors(t, redCheckout)
	require.Equal(t, map[string]int64{"False": 2, "True": 2}, visitors)

	for _, query := range []string{"site=1", ""} { // the test runs on site 1 only
		t.Run("query="+query, func(t *testing.T) {
			status, _, page := get(t, srv, testPath(redCheckout, query))
			require.Equal(t, http.StatusOK, status, page)
			checkFixtureNumbers(t, page, answers, visitors)
		})
	}
}

// checkFixtureNumbers checks a test page (served, or as Chromium rendered it) of the
// red checkout form against the fixture's answers.
func checkFixtureNumbers(t *testing.T, page string, answers map[int]assertion, visitors map[string]int64) {
	t.Helper()
	// Visitors per population: the impressions answer and the event table agree.
	impressions := asDecimal(t, find(t, answers, "count", variantArgs("", "False")).Expected)
	assert.Equal(t, impressions.IntPart(), visitors["False"])
	for pop, n := range visitors {
		assert.Equal(t, strconv.FormatInt(n, 10), visitorsShown(page, pop), "visitors of %s", pop)
	}

	// The results answer: per population, each goal's value; goals without a value type
	// give their count, which the page shows as conversions, and the others their value.
	res := find(t, answers, "results", map[string]any{
		"test": redCheckout, "goals": []string{"viewed page", "add to cart", "began checkout", "completed checkout"}, "site": 1})
	var goals []string
	require.NoError(t, json.Unmarshal(mustJSON(t, res.Args["goals"]), &goals))
	var results map[string][]json.RawMessage
	require.NoError(t, json.Unmarshal(res.Expected, &results))
	require.Len(t, results, 2)
	for pop, values := range results {
		for i, goal := range goals {
			cells := resultCells(page, goal, pop)
			require.NotNil(t, cells, "results row of %q, %s", goal, pop)
			if goal == "completed checkout" { // type S, format C: the sum, two decimals
				assert.Equal(t, asDecimal(t, values[i]).StringFixed(2), cells["value"], "value of %q, %s", goal, pop)
			} else {
				assert.Equal(t, string(values[i]), cells["conversions"], "conversions of %q, %s", goal, pop)
				assert.Equal(t, "—", cells["value"], "%q has no value type", goal)
			}
		}
	}

	// Variant conversions and values of the control, False.
	completed := resultCells(page, "completed checkout", "False")
	assert.Equal(t, asDecimal(t, find(t, answers, "count", variantArgs("completed checkout", "False")).Expected).String(), completed["conversions"])
	assert.Equal(t, asDecimal(t, find(t, answers, "goal_value", variantArgs("completed checkout", "False")).Expected).StringFixed(2), completed["value"])
	perSession := resultCells(page, "margin per session", "False")
	require.NotNil(t, perSession)
	assert.Equal(t, asDecimal(t, find(t, answers, "goal_value", variantArgs("margin per session", "False")).Expected).StringFixed(2), perSession["value"])
	assert.Contains(t, page, "value: per visitor, currency")
	assert.Contains(t, page, "value: sum, currency")
	assert.Contains(t, page, "value: average per converting visitor, percentage")

	// The comparison of True (1 of 2 completed) with the control False (2 of 2), by
	// hand: rates 50% and 100%, lift −50%; unpooled z = −0.5/√(0 + 0.5·0.5/2) = −√2,
	// two-sided p = erfc(1) = 0.157: not significant.
	assert.Equal(t, "100.00%", completed["rate"])
	assert.Equal(t, "", completed["lift"], "the control has no lift")
	assert.Contains(t, completed["row"], "control")
	treated := resultCells(page, "completed checkout", "True")
	assert.Equal(t, "1", treated["conversions"])
	assert.Equal(t, "50.00%", treated["rate"])
	assert.Equal(t, "\u221250.0%", treated["lift"])
	assert.Equal(t, "0.157", treated["p"])
	assert.Contains(t, treated["row"], "not significant")
	assert.Contains(t, treated["row"], "small sample")
	assert.Regexp(t, `^\[\S+%, \S+%\]$`, treated["ci"])
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestTestPageOptions(t *testing.T) {
	srv := clickstreamServer(t, dashboard.Options{Goals: []string{"completed checkout", "no such goal", "began checkout"}})

	// The default goals come from the options, in their order; unknown ones are left out.
	status, _, page := get(t, srv, testPath(redCheckout, ""))
	require.Equal(t, http.StatusOK, status)
	assert.NotNil(t, resultCells(page, "completed checkout", "True"))
	assert.NotNil(t, resultCells(page, "began checkout", "True"))
	assert.Nil(t, resultCells(page, "viewed page", "True"))
	assert.Less(t, strings.Index(page, `data-goal="completed checkout"`), strings.Index(page, `data-goal="began checkout"`))
	assert.Contains(t, chartSVG(page), "completed checkout", "the chart shows the first goal")
	assert.NotContains(t, page, `id="srm-warning"`, "4 visitors are too few for the SRM rule")

	// Another control: False is now compared with True (2 of 2 against 1 of 2).
	status, _, page = get(t, srv, testPath(redCheckout, "control=True&goal=completed+checkout&goal=order+margin"))
	require.Equal(t, http.StatusOK, status)
	assert.Less(t, strings.Index(page, `data-goal="completed checkout" data-population="True"`),
		strings.Index(page, `data-goal="completed checkout" data-population="False"`), "the control comes first")
	assert.Equal(t, "+100.0%", resultCells(page, "completed checkout", "False")["lift"])
	assert.Equal(t, "", resultCells(page, "completed checkout", "True")["lift"])
	// order margin is an average per converting visitor, as a percentage: True's only
	// converter has 20.1, False's two have 22.5 and 27.8 (events.tsv).
	assert.Equal(t, "20.10%", resultCells(page, "order margin", "True")["value"])
	assert.Equal(t, "25.15%", resultCells(page, "order margin", "False")["value"])
	assert.Nil(t, resultCells(page, "began checkout", "True"), "only the goals asked for")

	// Site 2 has no visitors in the test: zeros and no statistics.
	status, _, page = get(t, srv, testPath(redCheckout, "site=2&goal=completed+checkout"))
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "0", visitorsShown(page, "True"))
	cells := resultCells(page, "completed checkout", "True")
	assert.Equal(t, "0", cells["conversions"])
	assert.Equal(t, "—", cells["rate"])
	assert.Equal(t, "—", cells["lift"])
	assert.Contains(t, page, "site 2")
	assert.Contains(t, page, "No daily data for this goal yet.")
}

func TestDailyChart(t *testing.T) {
	srv := clickstreamServer(t, dashboard.Options{})
	for _, mode := range []string{"cumulative", "daily"} {
		t.Run(mode, func(t *testing.T) {
			status, _, page := get(t, srv, testPath(redCheckout, "chart=completed+checkout&mode="+mode))
			require.Equal(t, http.StatusOK, status)
			svg := chartSVG(page)
			require.NotEmpty(t, svg)
			assert.Contains(t, svg, `data-mode="`+mode+`"`)
			// All events are on 1969-12-31 in Los Angeles (the first 2 hours after the
			// epoch), one day bucket: one point per population.
			assert.Equal(t, 2, strings.Count(svg, "<circle"))
			assert.Contains(t, svg, "<title>False, Wed 1969-12-31: 100.00% (2 of 2)</title>")
			assert.Contains(t, svg, "<title>True, Wed 1969-12-31: 50.00% (1 of 2)</title>")
			assert.Contains(t, svg, ">Dec 31</text>")
			assert.Contains(t, svg, "Day (America/Los_Angeles)")
			assert.Contains(t, page, `<ul class="legend">`)
		})
	}
}

func TestCSVExport(t *testing.T) {
	srv := clickstreamServer(t, dashboard.Options{})
	answers := expectedAnswers(t)
	resp, err := srv.Client().Get(srv.URL + testPath(redCheckout, "site=1&goal=completed+checkout&goal=began+checkout"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp, err = srv.Client().Get(srv.URL + testPath(redCheckout, "") + "/results.csv?site=1&goal=completed+checkout&goal=began+checkout")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename=red-checkout-form-results.csv`, resp.Header.Get("Content-Disposition"))
	records, err := csv.NewReader(resp.Body).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 1+2*2, "a header and a row per goal and population")
	header := records[0]
	assert.Equal(t, []string{"population", "control", "visitors", "goal", "conversions", "rate",
		"lift", "lift_ci_low", "lift_ci_high", "p_value", "significant", "small_sample", "value_type", "value"}, header)
	rows := map[string]map[string]string{}
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, h := range header {
			row[h] = rec[i]
		}
		rows[row["goal"]+"/"+row["population"]] = row
	}

	control := rows["completed checkout/False"]
	require.NotNil(t, control)
	assert.Equal(t, "true", control["control"])
	assert.Equal(t, "2", control["visitors"])
	assert.Equal(t, string(find(t, answers, "count", variantArgs("completed checkout", "False")).Expected), control["conversions"])
	assert.Equal(t, "1", control["rate"])
	assert.Equal(t, "", control["lift"])
	assert.Equal(t, "", control["p_value"])
	assert.Equal(t, "S", control["value_type"])
	value, err := decimal.NewFromString(control["value"])
	require.NoError(t, err)
	assert.True(t, value.Equal(asDecimal(t, find(t, answers, "goal_value", variantArgs("completed checkout", "False")).Expected)), control["value"])

	variant := rows["completed checkout/True"]
	require.NotNil(t, variant)
	assert.Equal(t, "false", variant["control"])
	assert.Equal(t, "1", variant["conversions"])
	assert.Equal(t, "0.5", variant["rate"])
	assert.Equal(t, "-0.5", variant["lift"])
	p, err := strconv.ParseFloat(variant["p_value"], 64)
	require.NoError(t, err)
	assert.InDelta(t, 0.15729920705028513, p, 1e-12, "by hand: z = −√2, p = erfc(1)")
	lo, err := strconv.ParseFloat(variant["lift_ci_low"], 64)
	require.NoError(t, err)
	hi, err := strconv.ParseFloat(variant["lift_ci_high"], 64)
	require.NoError(t, err)
	assert.Less(t, lo, -0.5)
	assert.Greater(t, hi, -0.5)
	assert.Equal(t, "false", variant["significant"])
	assert.Equal(t, "true", variant["small_sample"])
	assert.True(t, decimal.RequireFromString("64.99").Equal(decimal.RequireFromString(variant["value"])))

	began := rows["began checkout/True"]
	assert.Equal(t, "2", began["conversions"])
	assert.Equal(t, "", began["value_type"])
	assert.Equal(t, "", began["value"])
	assert.Equal(t, "0", began["lift"], "2 of 2 against 2 of 2")
	assert.Equal(t, "", began["lift_ci_low"], "no interval when every visitor converts")
}

func TestNotFound(t *testing.T) {
	srv := clickstreamServer(t, dashboard.Options{})
	for _, path := range []string{
		"/tests/no%20such%20test",
		"/tests/no%20such%20test/results.csv",
		"/tests/red%20checkout%20form/other",
		"/nothing/here",
		"/assets/missing.css",
	} {
		t.Run(path, func(t *testing.T) {
			status, _, body := get(t, srv, path)
			assert.Equal(t, http.StatusNotFound, status)
			if strings.HasPrefix(path, "/tests/no") {
				assert.Contains(t, text(body), `There is no split test named "no such test".`)
			}
		})
	}
}

func TestBadParameters(t *testing.T) {
	srv := clickstreamServer(t, dashboard.Options{})
	for _, tc := range []struct{ query, message string }{
		{"site=abc", `site must be an integer site id or "all", not "abc"`},
		{"site=1.5", `site must be an integer site id`},
		{"control=Maybe", `control "Maybe" is not a population of test "red checkout form" (populations: False, True)`},
		{"goal=no+such+goal", `unknown goal "no such goal"`},
		{"goal=began+checkout&goal=%3Cscript%3E", `unknown goal "<script>"`},
		{"chart=nothing", `unknown chart goal "nothing"`},
		{"mode=weekly", `mode must be "cumulative" or "daily", not "weekly"`},
	} {
		t.Run(tc.query, func(t *testing.T) {
			for _, suffix := range []string{"", "/results.csv"} {
				status, ctype, body := get(t, srv, testPath(redCheckout, "")+suffix+"?"+tc.query)
				assert.Equal(t, http.StatusBadRequest, status)
				assert.Equal(t, "text/html; charset=utf-8", ctype)
				assert.Contains(t, text(body), tc.message)
				assert.NotContains(t, body, "<script>", "parameters are escaped")
			}
		})
	}
}

func TestAssetsAndHeaders(t *testing.T) {
	srv := clickstreamServer(t, dashboard.Options{})
	resp, err := srv.Client().Get(srv.URL + "/assets/style.css")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/css; charset=utf-8", resp.Header.Get("Content-Type"))

	resp, err = srv.Client().Get(srv.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))

	// Pages load nothing from other hosts.
	_, _, page := get(t, srv, testPath(redCheckout, ""))
	assert.NotRegexp(t, `(?i)(src|href)="(https?:)?//`, page)
}

func TestNewNeedsAStore(t *testing.T) {
	_, err := dashboard.New(nil, dashboard.Options{})
	assert.Error(t, err)
}
