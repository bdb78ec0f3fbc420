package api_test

import (
	"encoding/json"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/visitor"
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

// TestCohortAnalysis checks the cohort ranges of the 20k log: all the cohorts together
// are the all-time analysis, and two ranges that split the week add up to it.
func TestCohortAnalysis(t *testing.T) {
	store := pgtest.NewStore(t)
	const cohort = "first_day_America/Los_Angeles"
	fixtures.Ingest(t, store, fixtures.Generated20k, func(cfg *actors.Config) {
		r, err := rollups.Parse("first_day:America/Los_Angeles")
		require.NoError(t, err)
		cfg.Rules, err = visitor.NewRules(append(slices.Clone(cfg.Rules.Rollups), r), cfg.Rules.Complex)
		require.NoError(t, err)
	})
	c := newClient(t, api.New(store, withRules(t, fixtures.Generated20k)))
	analyse := func(extra url.Values) *analysis.Result {
		t.Helper()
		v := url.Values{"test": {"homepage hero"}, "goals": {"add to cart,completed checkout,order margin"}}
		for k, vs := range extra {
			v[k] = vs
		}
		var a query.AnalysisAnswer
		require.NoError(t, c.getJSON("/api/v1/analysis", v, &a))
		require.Len(t, a.Segments, 1)
		require.NotNil(t, a.Segments[0].Analysis, a.Segments[0].Error)
		return a.Segments[0].Analysis
	}
	all := analyse(nil)
	whole := analyse(url.Values{"cohort": {cohort}})
	early := analyse(url.Values{"cohort": {cohort}, "to": {"2013-03-10"}})
	late := analyse(url.Values{"cohort": {cohort}, "from": {"2013-03-11"}})
	for gi, g := range all.Goals {
		for pi, p := range g.Populations {
			name := g.Goal + " / " + p.Population
			w, e, l := whole.Goals[gi].Populations[pi], early.Goals[gi].Populations[pi], late.Goals[gi].Populations[pi]
			assert.Equal(t, p.Exposures, w.Exposures, name)
			assert.Equal(t, p.Counts.Conversions, w.Counts.Conversions, name)
			assert.True(t, p.Counts.Sum.Equal(w.Counts.Sum), "%s: sum %s, all time %s", name, w.Counts.Sum, p.Counts.Sum)
			assert.True(t, p.Counts.SumSquares.Equal(w.Counts.SumSquares), "%s: squares %s, all time %s", name, w.Counts.SumSquares, p.Counts.SumSquares)
			assert.Positive(t, e.Exposures, name)
			assert.Positive(t, l.Exposures, name)
			assert.Equal(t, p.Exposures, e.Exposures+l.Exposures, name)
			assert.Equal(t, p.Counts.Conversions, e.Counts.Conversions+l.Counts.Conversions, name)
			assert.True(t, p.Counts.SumSquares.Equal(e.Counts.SumSquares.Add(l.Counts.SumSquares)), name)
		}
	}
	require.NotNil(t, all.Goals[2].Populations[0].Comparison)
	assert.True(t, all.Goals[2].Populations[0].Comparison.Defined, "value goals have intervals: %s", all.Goals[2].Populations[0].Comparison.Reason)

	// Summing the buckets of a rollup that is not per visitor would count visitors twice.
	status, _, body := c.do("GET", "/api/v1/analysis?test=homepage+hero&cohort=pst_day&from=1362700000", nil)
	assert.Equal(t, 400, status)
	assert.Contains(t, string(body), `rollup \"pst_day\" is not a cohort rollup`)
	status, _, body = c.do("GET", "/api/v1/analysis?test=homepage+hero&cohort=first_day_Mars&from=2013-03-08", nil)
	assert.Equal(t, 400, status)
	assert.Contains(t, string(body), `the zone \"Mars\" of rollup`)
	status, _, body = c.do("GET", "/api/v1/analysis?test=homepage+hero&from=2013-03-08", nil)
	assert.Equal(t, 400, status)
	assert.Contains(t, string(body), "from needs a cohort rollup (cohort)")
}

// checkValueAnalysis compares the API's analysis of the value goals of the 20k log with
// figures computed here from the sequential oracle's counts (internal/reference):
// mean Σx/u over the goal's units (exposed visitors for S, converting visitors for A,
// visitors with a page view for I), sample variance (u·Σx² − (Σx)²)/(u(u − 1)), the
// unpooled z test of the difference, d ± 1.959963984540054·s, p = erfc(|z|/√2), and the
// normal-posterior chance to win Φ(d/s).
func checkValueAnalysis(t *testing.T, c *client, logBase string) {
	recs, err := reference.ReadLog(t.Context(), logBase, messages.Pointer{})
	require.NoError(t, err)
	d := reference.Accumulate(fixtures.Rules(t, fixtures.Generated20k), recs)
	site := int64(1)
	all := func(b string) bool { return b == "0" }
	goals := map[string]string{"completed checkout": "S", "order margin": "A", "margin per session": "I"}
	compared := 0
	for _, test := range reference.Tests(d) {
		moments := reference.TestMoments(d, test.Name, "all", all, &site)
		var a query.AnalysisAnswer
		require.NoError(t, c.getJSON("/api/v1/analysis", url.Values{
			"test": {test.Name}, "site": {"1"}, "goals": {"completed checkout,order margin,margin per session"},
		}, &a))
		res := a.Segments[0].Analysis
		require.NotNil(t, res, a.Segments[0].Error)
		type unit struct{ mean, se2 float64 }
		units := map[[2]string]unit{}
		for _, pop := range test.Populations {
			n, err := reference.Count(d, reference.Query{Test: test.Name, Population: pop, Site: &site})
			require.NoError(t, err)
			for g, vt := range goals {
				m := moments[[2]string{pop, g}]
				require.True(t, m.Squares.Valid, "%s %s: the oracle keeps squares", pop, g)
				u := map[string]int64{"S": n, "A": m.Count, "I": moments[[2]string{pop, "viewed page"}].Count}[vt]
				ud := decimal.NewFromInt(u)
				num := ud.Mul(m.Squares.Decimal).Sub(m.Sum.Mul(m.Sum)).InexactFloat64()
				variance := num / (float64(u) * float64(u-1))
				units[[2]string{pop, g}] = unit{mean: m.Sum.InexactFloat64() / float64(u), se2: variance / float64(u)}
			}
		}
		for _, g := range res.Goals {
			control := units[[2]string{res.Control, g.Goal}]
			for _, p := range g.Populations {
				name := test.Name + " / " + g.Goal + " / " + p.Population
				w := units[[2]string{p.Population, g.Goal}]
				assert.InDelta(t, w.mean, p.Mean, 1e-9*math.Max(1, w.mean), name)
				if p.Control {
					continue
				}
				pc := p.Comparison
				require.True(t, pc.Defined, "%s: %s", name, pc.Reason)
				diff, s := w.mean-control.mean, math.Sqrt(w.se2+control.se2)
				z := diff / s
				for field, f := range map[string][2]float64{
					"diff": {diff, pc.Diff.Estimate}, "low": {diff - 1.959963984540054*s, pc.Diff.Low},
					"high": {diff + 1.959963984540054*s, pc.Diff.High}, "z": {z, pc.Z},
					"p": {math.Erfc(math.Abs(z) / math.Sqrt2), pc.P}, "chance": {0.5 * math.Erfc(-z/math.Sqrt2), pc.Bayes.ChanceToWin},
				} {
					assert.InDelta(t, f[0], f[1], 1e-9*math.Max(1, math.Abs(f[0])), "%s %s", name, field)
				}
				compared++
			}
		}
	}
	assert.GreaterOrEqual(t, compared, 15, "value comparisons checked")
}
