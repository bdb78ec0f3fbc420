package dashboard_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/dashboard"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// demoCohort is the cohort rollup the demo counts (cmd/manhattan's DemoCohort).
const demoCohort = "first_day:" + rollups.DefaultZone

// demoServer serves the dashboard over what the demo shows: a generated shop log of
// records lines ingested with the default rollups, a day cohort rollup and the complex
// goals, and the tests' settings (loggen.Settings).
func demoServer(t *testing.T, records int) (*httptest.Server, *query.Service) {
	t.Helper()
	d := newDemo(t, records)
	// Mounted in the API as the commands serve it: the settings form writes through it.
	return newServer(t, d.api(t, "")), d.svc
}

// demo is the demo's data in a store, with the dashboard over it.
type demo struct {
	store        *persistence.Store
	svc          *query.Service
	dashboard    http.Handler
	complexGoals []string
}

// api returns the API over the demo, with the dashboard at "/", behind token when it
// is not empty.
func (d *demo) api(t *testing.T, token string) http.Handler {
	t.Helper()
	return api.New(d.store, api.Options{Dashboard: d.dashboard, ComplexGoals: d.complexGoals, Token: token})
}

// newDemo ingests a generated shop log of records lines as the demo does and applies
// the demo's settings.
func newDemo(t *testing.T, records int) *demo {
	t.Helper()
	base := filepath.Join(t.TempDir(), "manhattan.log")
	_, err := loggen.Write(base, loggen.Options{Seed: 1, Records: records})
	require.NoError(t, err)
	rs, err := rollups.ParseList(append(rollups.DefaultSpecs(), demoCohort))
	require.NoError(t, err)
	var cs []visitor.ComplexGoal
	var names []string
	for _, spec := range loggen.ComplexGoals {
		c, err := visitor.ParseComplex(spec)
		require.NoError(t, err)
		cs = append(cs, c)
		names = append(names, c.Name)
	}
	rules, err := visitor.NewRules(rs, cs)
	require.NoError(t, err)
	store := pgtest.NewStore(t)
	_, err = actors.Run(t.Context(), actors.Config{Store: store, Rules: rules, LogBase: base, Shards: 2, FlushInterval: time.Hour}, ingest.Events{})
	require.NoError(t, err)
	svc := query.New(store, names...)
	require.NoError(t, svc.ApplySettings(t.Context(), demoSettings()))
	h, err := dashboard.New(store, dashboard.Options{ComplexGoals: names})
	require.NoError(t, err)
	return &demo{store: store, svc: svc, dashboard: h, complexGoals: names}
}

// TestDemoPages checks the index, a test page in both views with a breakdown and a
// date range, and the CSV export, on the demo's data.
func TestDemoPages(t *testing.T) {
	srv, _ := demoServer(t, 20000)
	code, _, body := get(t, srv, "/")
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `<span class="badge status-stopped">stopped</span>`, "free shipping threshold is stopped")
	assert.Regexp(t, `id="freshness">\d{4}-\d\d-\d\d `, body)

	code, _, body = get(t, srv, testPath("red checkout form", "stats=bayesian&breakdown=browser&from=2024-03-04"))
	require.Equal(t, http.StatusOK, code, body)
	body = html.UnescapeString(body)
	assert.Contains(t, body, `Breakdown by browser`)
	assert.Regexp(t, `<section class="slice" data-bucket="(Chrome|Firefox|Safari)`, body)
	assert.Contains(t, body, `visitors who arrived from 2024-03-04`)
	assert.Contains(t, body, `<th scope="col" class="num">Chance to win</th>`)

	code, _, body = get(t, srv, testPath("homepage hero", ""))
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `corrected p`, "holm is configured: the corrected p-values are shown")
	assert.Contains(t, body, `<strong>none</strong>`, "the configured control")

	code, ctype, body := get(t, srv, testPath("free shipping threshold", "")+"/results.csv")
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, ctype, "text/csv")
	assert.Contains(t, body, "test,site,goal,role,")
	assert.Contains(t, body, "free shipping threshold,,completed checkout,primary,false,")
	assert.Contains(t, body, ",50,true,", "the control is the configured 50, not the first by name")

	code, _, _ = get(t, srv, testPath("red checkout form", "from=2024-13-01"))
	assert.Equal(t, http.StatusBadRequest, code)
	code, _, _ = get(t, srv, testPath("red checkout form", "stats=maybe"))
	assert.Equal(t, http.StatusBadRequest, code)
}

// TestOverTimeEndsAtAllTime checks the cumulative analysis by day of arrival: the
// exposures and conversions never fall from one day to the next, and the last day's
// figures are exactly those of the analysis of all time.
func TestOverTimeEndsAtAllTime(t *testing.T) {
	_, svc := demoServer(t, 20000)
	key := "first_day_" + rollups.DefaultZone
	for _, test := range loggen.Tests {
		q := persistence.Query{Test: test.Name}
		all, err := svc.Analysis(t.Context(), query.Request{Kind: query.KindAnalysis, Query: q})
		require.NoError(t, err)
		q.Rollup = key
		over, err := svc.OverTime(t.Context(), query.Request{Kind: query.KindAnalysis, Query: q})
		require.NoError(t, err)
		require.NotEmpty(t, over.Segments)
		want := all.Segments[0].Analysis
		for i, seg := range over.Segments {
			require.NotNil(t, seg.Analysis, seg.Error)
			for gi, g := range seg.Analysis.Goals {
				for pi, p := range g.Populations {
					assert.LessOrEqual(t, p.Counts.Conversions, p.Exposures)
					if i > 0 {
						prev := over.Segments[i-1].Analysis.Goals[gi].Populations[pi]
						assert.GreaterOrEqual(t, p.Exposures, prev.Exposures)
						assert.GreaterOrEqual(t, p.Counts.Conversions, prev.Counts.Conversions)
					}
				}
			}
		}
		last := over.Segments[len(over.Segments)-1].Analysis
		require.Len(t, last.Goals, len(want.Goals), test.Name)
		for gi := range want.Goals {
			for pi, p := range want.Goals[gi].Populations {
				got := last.Goals[gi].Populations[pi]
				assert.Equal(t, p.Exposures, got.Exposures, "%s %s %s", test.Name, want.Goals[gi].Goal, p.Population)
				assert.Equal(t, p.Counts.Conversions, got.Counts.Conversions)
				assert.True(t, p.Counts.Sum.Equal(got.Counts.Sum), "%s: %s vs %s", want.Goals[gi].Goal, p.Counts.Sum, got.Counts.Sum)
				assert.Equal(t, p.Mean, got.Mean)
			}
		}
	}
}
