package query_test

import (
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/query/querytest"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// TestBreakdownBySite checks breakdown=site on the 20k log, in PostgreSQL and in the
// reference store: one segment per site in the order of the ids, each exactly the
// analysis of that site alone (site=N), of all time and of a cohort range; and both
// stores answer the same.
func TestBreakdownBySite(t *testing.T) {
	const cohort = "first_day_America/Los_Angeles"
	c, err := rollups.Parse("first_day:America/Los_Angeles")
	require.NoError(t, err)
	base := fixtures.Rules(t, fixtures.Generated20k)
	rules, err := visitor.NewRules(append(slices.Clone(base.Rollups), c), base.Complex)
	require.NoError(t, err)

	store := pgtest.NewStore(t)
	fixtures.Ingest(t, store, fixtures.Generated20k, func(cfg *actors.Config) { cfg.Rules = rules })
	recs, err := reference.ReadLog(t.Context(), fixtures.CopyLog(t, fixtures.Generated20k), messages.Pointer{})
	require.NoError(t, err)
	services := map[string]*query.Service{
		"postgres":  query.New(store),
		"reference": query.New(querytest.New(reference.Accumulate(rules, recs))),
	}
	goals := "add to cart,completed checkout,order margin"
	answers := map[string][]query.AnalysisAnswer{}
	for name, svc := range services {
		analyse := func(v url.Values) query.AnalysisAnswer {
			t.Helper()
			v.Set("test", "homepage hero")
			v.Set("goals", goals)
			req, err := query.Parser{}.Parse(query.KindAnalysis, v)
			require.NoError(t, err)
			a, err := svc.Analysis(t.Context(), req)
			require.NoError(t, err)
			return a
		}
		for _, extra := range []url.Values{{}, {"cohort": {cohort}, "to": {"2013-03-10"}}} {
			v := url.Values{"breakdown": {"site"}}
			for k, vs := range extra {
				v[k] = vs
			}
			sites := analyse(v)
			answers[name] = append(answers[name], sites)
			assert.True(t, sites.BySite, name)
			assert.False(t, sites.Breakdown, name)
			assert.Equal(t, extra.Has("cohort"), sites.Cohort, name)
			var ids []string
			for _, seg := range sites.Segments {
				ids = append(ids, seg.Bucket)
			}
			require.Equal(t, []string{"1", "2", "3"}, ids, "%s: the generated log's sites, in order", name)
			var exposures int64
			for _, seg := range sites.Segments {
				require.NotNil(t, seg.Analysis, "%s site %s: %s", name, seg.Bucket, seg.Error)
				one := url.Values{"site": {seg.Bucket}}
				for k, vs := range extra {
					one[k] = vs
				}
				alone := analyse(one)
				require.Len(t, alone.Segments, 1)
				assert.Equal(t, alone.Segments[0].Analysis, seg.Analysis, "%s: site %s is the analysis of site=%s", name, seg.Bucket, seg.Bucket)
				exposures += seg.Analysis.SRM.Total
				for _, p := range seg.Analysis.Goals[1].Populations { // completed checkout, a sum
					if c := p.Comparison; c != nil {
						assert.True(t, c.Defined && c.Diff.Defined, "%s site %s: a value goal has its interval per site (value squares): %s", name, seg.Bucket, c.Reason)
					}
				}
			}
			whole := analyse(extra)
			assert.Equal(t, whole.Segments[0].Analysis.SRM.Total, exposures, "%s: every exposure is on one site", name)
		}
	}
	assert.Equal(t, answers["reference"], answers["postgres"], "PostgreSQL answers as the reference")

	_, err = query.Parser{}.Parse(query.KindAnalysis, url.Values{"test": {"t"}, "breakdown": {"browser"}, "cohort": {cohort}})
	assert.ErrorIs(t, err, query.ErrInvalid, "only the breakdown by site takes a cohort range")
	req, err := query.Parser{}.Parse(query.KindAnalysis, url.Values{"test": {"t"}, "breakdown": {"site"}, "site": {"2"}})
	require.NoError(t, err)
	assert.True(t, req.BySite)
	assert.Equal(t, "2", strconv.FormatInt(*req.Query.Site, 10))
}
