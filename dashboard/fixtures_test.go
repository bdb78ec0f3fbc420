package dashboard_test

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/manhattan-analytics/manhattan/dashboard"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// assertion is one answer of a fixture's expected.json.
type assertion struct {
	ID       int             `json:"id"`
	Query    string          `json:"query"`
	Args     map[string]any  `json:"args"`
	Expected json.RawMessage `json:"expected"`
	Exact    string          `json:"exact"` // the unrounded value, when expected is rounded
}

// fixtureDoc is a fixture's expected.json.
type fixtureDoc struct {
	Tests      map[string][]string `json:"tests"`
	Goals      []string            `json:"goals"`
	Assertions []assertion         `json:"assertions"`
}

func readFixture(t *testing.T, name string) fixtureDoc {
	t.Helper()
	b, err := os.ReadFile(fixtures.Expected(name))
	require.NoError(t, err)
	var doc fixtureDoc
	require.NoError(t, json.Unmarshal(b, &doc))
	return doc
}

// fixtureServer ingests fixture name with its rules into a new store and serves the
// dashboard over it.
func fixtureServer(t *testing.T, name string) *httptest.Server {
	t.Helper()
	store := pgtest.NewStore(t)
	fixtures.Ingest(t, store, name, nil)
	var complexGoals []string
	for _, spec := range fixtures.ComplexFlags(t, name) {
		c, err := visitor.ParseComplex(spec)
		require.NoError(t, err)
		complexGoals = append(complexGoals, c.Name)
	}
	h, err := dashboard.New(store, dashboard.Options{ComplexGoals: complexGoals})
	require.NoError(t, err)
	return newServer(t, h)
}

// asDecimal reads an expected value: a JSON number or a decimal string.
func asDecimal(t *testing.T, raw json.RawMessage) decimal.Decimal {
	t.Helper()
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	d, err := decimal.NewFromString(s)
	require.NoError(t, err, "expected value %s", raw)
	return d
}

// goalMetric returns what the mean of goal is on page, from the goal's head
// ("conversion rate", "value per visitor", …).
func goalMetric(page, goal string) string {
	m := regexp.MustCompile(`<tr class="goal-head" data-goal="` + regexp.QuoteMeta(goal) + `"><th[^>]*>[^<]*<span class="tag">([^,<]+),`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// checkAnswers checks every variant answer of site (rollup all) against the test
// pages: visitors per population, conversions per goal and population, and each
// value goal's mean per unit. It returns how many answers it checked.
func checkAnswers(t *testing.T, doc fixtureDoc, pages map[string]string, site float64) int {
	t.Helper()
	checked := 0
	for _, a := range doc.Assertions {
		test, _ := a.Args["test"].(string)
		pop, _ := a.Args["population"].(string)
		goal, _ := a.Args["goal"].(string)
		if s, _ := a.Args["site"].(float64); test == "" || pop == "" || s != site || a.Args["rollup"] != "all" {
			continue
		}
		page := pages[test]
		require.NotEmpty(t, page, test)
		if goal == "" {
			require.Equal(t, "count", a.Query)
			assert.Equal(t, string(a.Expected), visitorsShown(page, pop), "visitors of %s/%s (answer %d)", test, pop, a.ID)
			checked++
			continue
		}
		if len(doc.Goals) > 0 && !slices.Contains(doc.Goals, goal) {
			continue // a complex goal: not counted within variants
		}
		cells := rowCells(page, goal, pop)
		require.NotNil(t, cells, "the row of %s/%s/%s", test, goal, pop)
		want := asDecimal(t, a.Expected)
		if a.Exact != "" {
			want = decimal.RequireFromString(a.Exact)
		}
		switch metric := goalMetric(page, goal); {
		case a.Query == "count", metric == "conversion rate":
			// A goal without values answers its count: the conversions shown.
			assert.Equal(t, want.String(), cells["conversions"], "conversions of %s/%s/%s (answer %d)", test, goal, pop, a.ID)
		case metric == "value per visitor":
			// A sum: the page shows it per exposed visitor.
			units := shownDecimal(t, cells["units"])
			require.True(t, units.IsPositive(), "%s/%s/%s", test, goal, pop)
			assertShown(t, want.Div(units), cells["mean"], fmt.Sprintf("mean of %s/%s/%s (answer %d: %s over %s)", test, goal, pop, a.ID, want, units))
		default:
			// Already an average: per converting or per page-viewing visitor.
			require.Contains(t, []string{"value per converting visitor", "value per page-viewing visitor"}, metric, goal)
			assertShown(t, want, cells["mean"], fmt.Sprintf("mean of %s/%s/%s (answer %d)", test, goal, pop, a.ID))
		}
		checked++
	}
	return checked
}

// assertShown checks that shown, a figure with two decimals, is want rounded: within
// half a cent of it (the page rounds a float, so an exact half may go either way).
func assertShown(t *testing.T, want decimal.Decimal, shown string, what string) {
	t.Helper()
	got := shownDecimal(t, shown)
	assert.True(t, got.Sub(want).Abs().LessThanOrEqual(decimal.RequireFromString("0.005")), "%s: shown %s, answer %s", what, shown, want)
}

// TestClickstreamNumbers checks the red checkout form's page of the reference
// clickstream against the fixture's answers: visitors, conversions, value means, and
// the results answer (each goal's value per population).
func TestClickstreamNumbers(t *testing.T) {
	srv := fixtureServer(t, fixtures.Clickstream)
	doc := readFixture(t, fixtures.Clickstream)
	const test = "red checkout form"
	for _, q := range []string{"site=1", ""} { // the test runs on site 1 only
		t.Run("query="+q, func(t *testing.T) {
			code, _, page := get(t, srv, testPath(test, q))
			require.Equal(t, http.StatusOK, code, page)
			page = html.UnescapeString(page)
			assert.Equal(t, 4, checkAnswers(t, doc, map[string]string{test: page}, 1), "the visitors, conversions, revenue and margin per session of False")

			// The results answer: per population, each goal's value (a count for goals
			// without values, the sum for completed checkout).
			var res assertion
			for _, a := range doc.Assertions {
				if a.Query == "results" {
					res = a
				}
			}
			require.Equal(t, test, res.Args["test"])
			var goals []string
			require.NoError(t, json.Unmarshal(mustJSON(t, res.Args["goals"]), &goals))
			var results map[string][]json.RawMessage
			require.NoError(t, json.Unmarshal(res.Expected, &results))
			require.Len(t, results, 2)
			for pop, values := range results {
				for i, goal := range goals {
					cells := rowCells(page, goal, pop)
					require.NotNil(t, cells, "results row of %q, %s", goal, pop)
					if goalMetric(page, goal) == "value per visitor" {
						assertShown(t, asDecimal(t, values[i]).Div(shownDecimal(t, cells["units"])), cells["mean"], goal+"/"+pop)
					} else {
						assert.Equal(t, string(values[i]), cells["conversions"], "conversions of %q, %s", goal, pop)
					}
				}
			}
			assert.Equal(t, "2", visitorsShown(page, "False"))
			assert.Equal(t, "value per visitor", goalMetric(page, "completed checkout"), "completed checkout sums its values")
			assert.Equal(t, "value per page-viewing visitor", goalMetric(page, "margin per session"))
			assert.Equal(t, "value per converting visitor", goalMetric(page, "order margin"))
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestGeneratedFixtureNumbers checks every variant answer on site 1 of the generated
// 20k log (three tests) against the pages, and the sample-ratio check against a χ²
// test of the fixture's visitor counts.
func TestGeneratedFixtureNumbers(t *testing.T) {
	srv := fixtureServer(t, fixtures.Generated20k)
	doc := readFixture(t, fixtures.Generated20k)
	require.Len(t, doc.Tests, 3)
	pages := map[string]string{}
	for name := range doc.Tests {
		code, _, page := get(t, srv, testPath(name, "site=1"))
		require.Equal(t, http.StatusOK, code, page)
		pages[name] = html.UnescapeString(page)
	}
	assert.Greater(t, checkAnswers(t, doc, pages, 1), 100)

	// The sample ratio against equal shares (no weights are configured), from the
	// fixture's visitor counts.
	for name, pops := range doc.Tests {
		var counts []float64
		for _, a := range doc.Assertions {
			if s, _ := a.Args["site"].(float64); a.Query == "count" && a.Args["test"] == name && a.Args["goal"] == nil && s == 1 && a.Args["rollup"] == "all" {
				n, err := strconv.ParseFloat(string(a.Expected), 64)
				require.NoError(t, err)
				counts = append(counts, n)
			}
		}
		require.Len(t, counts, len(pops), name)
		var total, chi2 float64
		for _, n := range counts {
			total += n
		}
		for _, n := range counts {
			e := total / float64(len(counts))
			chi2 += (n - e) * (n - e) / e
		}
		p := 1 - distuv.ChiSquared{K: float64(len(counts) - 1)}.CDF(chi2)
		srm := regexp.MustCompile(`<li class="([a-z]+)" id="verdict-srm">([\s\S]*?)</li>`).FindStringSubmatch(pages[name])
		require.NotNil(t, srm, name)
		if p < 0.001 {
			assert.Equal(t, "worse", srm[1], "%s: χ² = %.2f, p = %.3g", name, chi2, p)
			assert.Contains(t, srm[2], "Sample ratio mismatch", name)
			assert.Contains(t, srm[2], "χ² = "+strconv.FormatFloat(math.Round(chi2*10)/10, 'f', 1, 64)+", p < 0.001", name)
		} else {
			assert.Equal(t, "better", srm[1], "%s: χ² = %.2f, p = %.3g", name, chi2, p)
			assert.Contains(t, srm[2], "Sample ratio is sane (p = "+strconv.FormatFloat(p, 'f', 3, 64)+")", name)
		}
	}
	assert.Contains(t, pages["free shipping threshold"], "Sample ratio mismatch", "the generator weights free shipping threshold unequally")
}
