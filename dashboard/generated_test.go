package dashboard_test

import (
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/dashboard"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
)

// generatedAnswers reads the answers of the generated-20k fixture.
// It returns the assertions, the tests with their populations, and the goals (complex
// goals, which have no metadata and no variant conversions, are not among them).
func generatedAnswers(t *testing.T) ([]assertion, map[string][]string, []string) {
	t.Helper()
	b, err := os.ReadFile(fixtures.Expected(fixtures.Generated20k))
	require.NoError(t, err)
	var doc struct {
		Tests      map[string][]string `json:"tests"`
		Goals      []string            `json:"goals"`
		Assertions []assertion         `json:"assertions"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	return doc.Assertions, doc.Tests, doc.Goals
}

// shownDecimal reads a displayed value ("1,234.50", "26.10%") as a decimal.
func shownDecimal(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(strings.NewReplacer(",", "", "%", "", "\u2212", "-").Replace(s))
	require.NoError(t, err, "shown value %q", s)
	return d
}

// TestGeneratedFixture checks every variant answer on site 1 of the generated 20k log
// (three tests, a week of days) against the pages, and the sample-ratio check.
func TestGeneratedFixture(t *testing.T) {
	store := pgtest.NewStore(t)
	fixtures.Ingest(t, store, fixtures.Generated20k, nil)
	h, err := dashboard.New(store, dashboard.Options{})
	require.NoError(t, err)
	srv := newServer(t, h)
	answers, tests, goals := generatedAnswers(t)

	pages := map[string]string{}
	for name := range tests {
		status, _, page := get(t, srv, testPath(name, "site=1"))
		require.Equal(t, http.StatusOK, status)
		pages[name] = page
	}
	checked := 0
	for _, a := range answers {
		test, _ := a.Args["test"].(string)
		site, _ := a.Args["site"].(float64)
		if test == "" || site != 1 || a.Args["rollup"] != "all" {
			continue
		}
		page, pop := pages[test], a.Args["population"].(string)
		goal, _ := a.Args["goal"].(string)
		if goal != "" && !slices.Contains(goals, goal) {
			continue // a complex goal: not a goal of the store
		}
		switch {
		case a.Query == "count" && goal == "":
			assert.Equal(t, string(a.Expected), visitorsShown(page, pop), "visitors of %s/%s", test, pop)
		case a.Query == "count":
			cells := resultCells(page, goal, pop)
			require.NotNil(t, cells, "row %s/%s/%s", test, goal, pop)
			assert.Equal(t, string(a.Expected), cells["conversions"], "conversions of %s/%s/%s", test, goal, pop)
		case a.Query == "goal_value":
			cells := resultCells(page, goal, pop)
			require.NotNil(t, cells, "row %s/%s/%s", test, goal, pop)
			var n int64
			if json.Unmarshal(a.Expected, &n) == nil { // no value type: the count
				assert.Equal(t, strconv.FormatInt(n, 10), cells["conversions"])
				continue
			}
			want := asDecimal(t, a.Expected)
			if a.Exact != "" {
				want = decimal.RequireFromString(a.Exact)
			}
			assert.True(t, want.Round(2).Equal(shownDecimal(t, cells["value"])),
				"value of %s/%s/%s: shown %s, expected %s", test, goal, pop, cells["value"], want)
		default:
			continue
		}
		checked++
	}
	assert.Greater(t, checked, 100)

	// Visitors per population on site 1 (expected.json), χ² and p computed with Python:
	// free shipping threshold 120/291/190 → χ² = 73.78, p = 9.5e-17 (a mismatch against
	// equal shares: the generator weights it); homepage hero 129/106/137 → χ² = 4.18,
	// p = 0.124; red checkout form 34/40 → p = 0.485.
	assert.Contains(t, pages["free shipping threshold"], `id="srm-warning"`)
	assert.Contains(t, text(pages["free shipping threshold"]), "χ² = 73.78, p < 0.001")
	assert.NotContains(t, pages["homepage hero"], `id="srm-warning"`)
	assert.Contains(t, text(pages["homepage hero"]), "χ² = 4.18, p = 0.124 — no mismatch")
	assert.NotContains(t, pages["red checkout form"], `id="srm-warning"`)
	assert.Contains(t, text(pages["red checkout form"]), "p = 0.485")

	// A week of local days, across the daylight-saving change of 2013-03-10: eight day
	// buckets from Thu Mar 7 to Thu Mar 14 (Los Angeles).
	for _, mode := range []string{"cumulative", "daily"} {
		status, _, page := get(t, srv, testPath("homepage hero", "site=1&chart=viewed+page&mode="+mode))
		require.Equal(t, http.StatusOK, status)
		svg := chartSVG(page)
		require.NotEmpty(t, svg)
		assert.Equal(t, 3, strings.Count(svg, `<g class="series `))
		for _, day := range []string{"Mar 7", "Mar 8", "Mar 9", "Mar 10", "Mar 11", "Mar 12", "Mar 13", "Mar 14"} {
			assert.Contains(t, svg, ">"+day+"</text>", mode)
		}
		assert.Contains(t, svg, "Thu 2013-03-07")
		assert.Contains(t, svg, "Thu 2013-03-14")
	}
}
