package analysis

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With two populations the joint figures are the pairwise ones, computed by another
// integral (integrate.go's winAndLoss on the narrower posterior's nodes against
// best.go's integral over the union of both bulks), so they check each other.
func TestBestOfTwoIsThePairwiseFigures(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 200 {
		in := randomTest(rng)
		in.Goals[i%3].LowerIsBetter = i%2 == 0
		r, err := Analyze(in)
		require.NoError(t, err)
		for g, gr := range r.Goals {
			a, b := gr.Populations[0], gr.Populations[1]
			if !b.Comparison.Bayes.Defined {
				continue
			}
			require.True(t, a.Best.Defined && b.Best.Defined, "case %d goal %d", i, g)
			bayes := b.Comparison.Bayes
			assert.InDelta(t, bayes.ChanceToWin, b.Best.ChanceToBeBest, 1e-9, "case %d goal %d", i, g)
			assert.InDelta(t, 1-bayes.ChanceToWin, a.Best.ChanceToBeBest, 1e-9, "case %d goal %d", i, g)
			tol := 1e-9 * max(1, b.Mean)
			assert.InDelta(t, bayes.Risk, b.Best.Risk, tol, "case %d goal %d", i, g)
			assert.InDelta(t, bayes.RiskControl, a.Best.Risk, tol, "case %d goal %d", i, g)
		}
	}
}

func TestBestOfMany(t *testing.T) {
	d := decimal.NewFromInt
	pops := []Population{{Name: "a", Exposures: 5000}, {Name: "b", Exposures: 5000}, {Name: "c", Exposures: 5000}, {Name: "d", Exposures: 200}}
	same := Goal{Name: "same", Counts: []Counts{{Conversions: 500}, {Conversions: 500}, {Conversions: 500}, {Conversions: 20}}}
	spread := Goal{Name: "spread", Counts: []Counts{{Conversions: 500}, {Conversions: 540}, {Conversions: 470}, {Conversions: 25}}}
	value := Goal{Name: "value", ValueType: Sum, Counts: []Counts{
		{Conversions: 500, Sum: d(5000), SumSquares: d(100000)}, {Conversions: 540, Sum: d(5600), SumSquares: d(110000)},
		{Conversions: 470, Sum: d(4600), SumSquares: d(90000)}, {Conversions: 25, Sum: d(260), SumSquares: d(5000)}}}
	for _, lower := range []bool{false, true} {
		for _, g := range []Goal{same, spread, value} {
			g.LowerIsBetter = lower
			r, err := Analyze(Input{Populations: pops, Goals: []Goal{g}})
			require.NoError(t, err)
			total := 0.0
			for _, p := range r.Goals[0].Populations {
				require.True(t, p.Best.Defined)
				total += p.Best.ChanceToBeBest
				assert.GreaterOrEqual(t, p.Best.Risk, 0.0)
			}
			assert.InDelta(t, 1.0, total, 1e-9, "%s: the chances add up to 1", g.Name)
			ps := r.Goals[0].Populations
			if g.Name == "same" {
				// Three identical posteriors share the chance the wider fourth leaves.
				assert.InDelta(t, ps[0].Best.ChanceToBeBest, ps[1].Best.ChanceToBeBest, 1e-12)
				assert.InDelta(t, ps[0].Best.ChanceToBeBest, ps[2].Best.ChanceToBeBest, 1e-12)
				assert.InDelta(t, ps[0].Best.Risk, ps[2].Best.Risk, 1e-12)
			} else if !lower {
				assert.Greater(t, ps[1].Best.ChanceToBeBest, ps[0].Best.ChanceToBeBest, g.Name)
				assert.Less(t, ps[1].Best.Risk, ps[2].Best.Risk, g.Name)
			} else {
				assert.Greater(t, ps[2].Best.ChanceToBeBest, ps[1].Best.ChanceToBeBest, g.Name)
			}
		}
	}
	// A population without exposures leaves the goal without joint figures.
	r, err := Analyze(Input{Populations: []Population{{Name: "a", Exposures: 10}, {Name: "b"}},
		Goals: []Goal{{Name: "g", Counts: []Counts{{Conversions: 1}, {}}}}})
	require.NoError(t, err)
	assert.False(t, r.Goals[0].Populations[0].Best.Defined)
}
