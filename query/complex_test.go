package query_test

import (
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/query"
)

// Complex goals within a test's variants answer, from PostgreSQL, what
// reference.ComplexVariantCounts computes from the log without the pipeline: in count,
// results and analysis alike.
func TestComplexGoalsWithinVariantsAnswerTheReference(t *testing.T) {
	name := fixtures.Generated20k
	store := pgtest.NewStore(t)
	fixtures.Ingest(t, store, name, nil)
	recs, err := reference.ReadLog(t.Context(), fixtures.CopyLog(t, name), messages.Pointer{})
	require.NoError(t, err)
	complex := fixtures.Rules(t, name).Complex
	want := reference.ComplexVariantCounts(recs, complex)
	var names []string
	for _, c := range complex {
		names = append(names, c.Name)
	}
	svc := query.New(store, names...)
	ctx := t.Context()

	tests, err := svc.Tests(ctx)
	require.NoError(t, err)
	positive := 0
	for _, test := range tests.Tests {
		for _, site := range []int64{1, 2, 3} {
			v := url.Values{"test": {test.Name}, "goals": names, "site": {strconv.FormatInt(site, 10)}}
			req, err := query.Parser{}.Parse(query.KindResults, v)
			require.NoError(t, err)
			res, err := svc.Results(ctx, req)
			require.NoError(t, err)
			require.NotNil(t, res.Analysis, res.AnalysisError)
			req, err = query.Parser{}.Parse(query.KindAnalysis, v)
			require.NoError(t, err)
			an, err := svc.Analysis(ctx, req)
			require.NoError(t, err)
			require.Len(t, an.Segments, 1)
			require.NotNil(t, an.Segments[0].Analysis, an.Segments[0].Error)

			for _, pop := range test.Populations {
				for i, goal := range names {
					n := want[reference.ComplexKey{Goal: goal, Test: test.Name, Population: pop, Site: site}]
					if n > 0 {
						positive++
					}
					what := goal + " in " + test.Name + "/" + pop + " on site " + strconv.FormatInt(site, 10)
					req, err := query.Parser{}.Parse(query.KindCount, url.Values{"goal": {goal}, "test": {test.Name}, "population": {pop}, "site": {strconv.FormatInt(site, 10)}})
					require.NoError(t, err)
					c, err := svc.Count(ctx, req)
					require.NoError(t, err, what)
					assert.Equal(t, n, c.Count, what)
					assert.Equal(t, strconv.FormatInt(n, 10), res.Results[pop][i], "results: %s", what)
					for _, a := range []*analysis.Result{res.Analysis, an.Segments[0].Analysis} {
						g := a.Goals[i]
						require.Equal(t, goal, g.Goal)
						p := g.Populations[slices.IndexFunc(g.Populations, func(p analysis.PopulationResult) bool { return p.Population == pop })]
						assert.Equal(t, n, p.Counts.Conversions, "analysis: %s", what)
					}
				}
			}
		}
	}
	assert.Greater(t, positive, 10, "complex goals counted within variants")
}
