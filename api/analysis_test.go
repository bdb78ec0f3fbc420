package api_test

import (
	"encoding/json"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/query"
)

// independentFigures is api/testdata/analysis-20k.json: figures computed with mpmath
// from the fixture's own answers by api/testdata/analysis-20k.py (see there how).
type independentFigures struct {
	Tests []struct {
		Test      string           `json:"test"`
		Site      int64            `json:"site"`
		Control   string           `json:"control"`
		Exposures map[string]int64 `json:"exposures"`
		SRM       struct {
			Chi2 string `json:"chi2"`
			P    string `json:"p"`
		} `json:"srm"`
		Goals []struct {
			Goal        string                        `json:"goal"`
			Conversions map[string]int64              `json:"conversions"`
			Comparisons map[string]*map[string]string `json:"comparisons"`
		} `json:"goals"`
	} `json:"tests"`
}

// checkAnalysis compares the API's analysis of the 20k log with the independent figures.
func checkAnalysis(t *testing.T, c *client) {
	b, err := os.ReadFile("testdata/analysis-20k.json")
	require.NoError(t, err)
	var want independentFigures
	require.NoError(t, json.Unmarshal(b, &want))
	require.NotEmpty(t, want.Tests)
	compared := 0
	for _, wt := range want.Tests {
		var goals []string
		for _, g := range wt.Goals {
			goals = append(goals, g.Goal)
		}
		var got query.AnalysisAnswer
		require.NoError(t, c.getJSON("/api/v1/analysis", url.Values{
			"test": {wt.Test}, "site": {strconv.FormatInt(wt.Site, 10)}, "goals": {strings.Join(goals, ",")},
		}, &got))
		require.Len(t, got.Segments, 1)
		res := got.Segments[0].Analysis
		require.NotNil(t, res, got.Segments[0].Error)
		assert.Equal(t, wt.Control, res.Control, wt.Test)
		near(t, wt.SRM.Chi2, res.SRM.Chi2, wt.Test+" srm chi2")
		near(t, wt.SRM.P, res.SRM.P, wt.Test+" srm p")
		require.Len(t, res.Goals, len(wt.Goals))
		for i, wg := range wt.Goals {
			g := res.Goals[i]
			require.Equal(t, wg.Goal, g.Goal)
			assert.Equal(t, analysis.ConversionRate, g.Metric, g.Goal)
			for _, p := range g.Populations {
				name := wt.Test + " / " + g.Goal + " / " + p.Population
				assert.Equal(t, wt.Exposures[p.Population], p.Exposures, name)
				assert.Equal(t, wg.Conversions[p.Population], p.Counts.Conversions, name)
				if p.Control {
					assert.Equal(t, wt.Control, p.Population)
					continue
				}
				wc := wg.Comparisons[p.Population]
				require.NotNil(t, p.Comparison, name)
				if wc == nil {
					assert.False(t, p.Comparison.Defined, name)
					continue
				}
				require.True(t, p.Comparison.Defined, "%s: %s", name, p.Comparison.Reason)
				w, pc := *wc, p.Comparison
				for field, v := range map[string]float64{
					"diff": pc.Diff.Estimate, "diff_low": pc.Diff.Low, "diff_high": pc.Diff.High, "z": pc.Z, "p": pc.P,
					"chance_to_win": pc.Bayes.ChanceToWin, "risk": pc.Bayes.Risk, "risk_control": pc.Bayes.RiskControl,
				} {
					near(t, w[field], v, name+" "+field)
				}
				assert.Equal(t, pc.P < 0.05, pc.Significant, name)
				compared++
			}
		}
	}
	assert.Greater(t, compared, 15, "comparisons checked")
}

// near asserts that got is want (a decimal string) to 1e-9, relative for large values.
func near(t *testing.T, want string, got float64, name string) {
	t.Helper()
	w, err := strconv.ParseFloat(want, 64)
	require.NoError(t, err, name)
	assert.LessOrEqual(t, math.Abs(got-w), 1e-9*math.Max(1, math.Abs(w)), "%s: %v, want %v", name, got, w)
	if w != 0 && math.Abs(w) < 1e-6 {
		assert.InEpsilon(t, w, got, 1e-6, "%s: tiny values agree relatively", name)
	}
}
