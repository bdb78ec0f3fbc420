package dashboard_test

import (
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
)

// TestValueGoalsShowCurrency checks that a currency goal's means (the demo's
// "completed checkout", a sum in format C) are shown as money in the table and on the
// chart's axis and legend, with the figures of the analysis.
func TestValueGoalsShowCurrency(t *testing.T) {
	srv, svc := demoServer(t, 20000)
	a, err := svc.Analysis(t.Context(), query.Request{Kind: query.KindAnalysis, Query: persistence.Query{Test: "red checkout form"}})
	require.NoError(t, err)
	gi := slices.IndexFunc(a.Goals, func(g query.AnalysisGoal) bool { return g.Name == "completed checkout" })
	require.GreaterOrEqual(t, gi, 0)

	code, _, body := get(t, srv, testPath("red checkout form", ""))
	require.Equal(t, http.StatusOK, code, body)
	body = html.UnescapeString(body)
	for _, p := range a.Segments[0].Analysis.Goals[gi].Populations {
		want := "$" + strconv.FormatFloat(p.Mean, 'f', 2, 64)
		row := regexp.MustCompile(`data-goal="completed checkout" data-role="primary" data-population="` + p.Population + `"[\s\S]*?<td class="num mean">([^<]+)<br><span class="ci">\[\$[0-9.]+, \$[0-9.]+\]`).FindStringSubmatch(body)
		require.NotNil(t, row, "the mean of %s with its interval in dollars", p.Population)
		assert.Equal(t, want, row[1], p.Population)
		assert.Contains(t, body, `data-population="`+p.Population+`" data-last="`+want+`"`, "the legend ends at the table's figure")
	}
	chart := body[strings.Index(body, `id="rate-chart"`):]
	chart = chart[:strings.Index(chart, "</svg>")]
	assert.Regexp(t, `<text class="tick"[^>]*>\$[0-9]+</text>`, chart, "the y axis is in dollars")
	assert.NotContains(t, chart, `%</text>`, "not a rate")
	assert.Contains(t, body, "Value per visitor ($)")

	code, _, body = get(t, srv, testPath("red checkout form", "stats=bayesian"))
	require.Equal(t, http.StatusOK, code, body)
	assert.Regexp(t, `data-goal="completed checkout" data-role="primary" data-population="true"[\s\S]*?<td class="num risk">\$[0-9.]+</td>`, body, "the risk is in the unit of the mean")
}
