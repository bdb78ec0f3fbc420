package query_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/query/querytest"
)

// TestAnalysisFollowsTheConfiguration checks that the configured goals, their roles and
// directions, the control, the weights and the correction reach the analysis.
func TestAnalysisFollowsTheConfiguration(t *testing.T) {
	recs, err := reference.ReadLog(t.Context(), fixtures.CopyLog(t, fixtures.Generated20k), messages.Pointer{})
	require.NoError(t, err)
	svc := query.New(querytest.New(reference.Accumulate(fixtures.Rules(t, fixtures.Generated20k), recs)))
	ctx := t.Context()
	str := func(s string) *string { return &s }
	_, err = svc.SetTestConfig(ctx, "homepage hero", query.ConfigChange{
		Control: str("video"), Primary: str("completed checkout"), Secondary: &[]string{"add to cart"},
		Guardrails: &[]query.Guardrail{{Goal: "payment failed", LowerIsBetter: true}},
		Weights:    &map[string]float64{"carousel": 1, "control": 2, "video": 1}, Correction: str("bh"),
	}, false)
	require.NoError(t, err)

	req, err := query.Parser{}.Parse(query.KindAnalysis, url.Values{"test": {"homepage hero"}, "site": {"1"}})
	require.NoError(t, err)
	a, err := svc.Analysis(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, []query.AnalysisGoal{
		{Name: "completed checkout", Role: query.RolePrimary, ValueType: "S"},
		{Name: "add to cart", Role: query.RoleSecondary},
		{Name: "payment failed", Role: query.RoleGuardrail, LowerIsBetter: true},
	}, a.Goals)
	require.Len(t, a.Segments, 1)
	res := a.Segments[0].Analysis
	require.NotNil(t, res)
	assert.Equal(t, "video", res.Control)
	assert.EqualValues(t, "bh", res.Config.Correction)
	assert.Equal(t, []float64{1, 2, 1}, res.Config.Weights, "in the order of the populations")
	assert.Equal(t, res.SRM.Total/2, int64(res.SRM.Expected[1]+0.5), "control expected at half the exposures")
	require.Len(t, res.Goals, 3)
	assert.True(t, res.Goals[2].LowerIsBetter)
	for _, g := range res.Goals {
		for _, p := range g.Populations {
			if c := p.Comparison; c != nil && c.Defined {
				assert.GreaterOrEqual(t, c.AdjustedP, c.P, "%s %s", g.Goal, p.Population)
			}
		}
	}

	// Goals asked for replace the configured ones, with their roles kept.
	req, err = query.Parser{}.Parse(query.KindAnalysis, url.Values{"test": {"homepage hero"}, "goals": {"viewed page,add to cart"}})
	require.NoError(t, err)
	a, err = svc.Analysis(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, []query.AnalysisGoal{{Name: "viewed page", Role: query.RoleOther}, {Name: "add to cart", Role: query.RoleSecondary}}, a.Goals)
}
