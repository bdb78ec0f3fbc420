package analysis

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomCounts draws counts of every kind, valid or not: zeros, everything
// converting, tiny and huge populations, negative and huge values, missing or
// inconsistent value squares.
func randomCounts(rng *rand.Rand, n int64) Counts {
	c := Counts{}
	switch rng.IntN(4) {
	case 0:
		c.Conversions = 0
	case 1:
		c.Conversions = n
	default:
		c.Conversions = rng.Int64N(n + 1)
	}
	if rng.IntN(20) == 0 {
		c.Conversions = n + 1 - 2*rng.Int64N(2)*(n+2) // above n or negative
	}
	exp := []int32{0, 2, 10, 300, 400}[rng.IntN(5)]
	c.Sum = decimal.New(rng.Int64N(2000)-100, exp-2)
	switch rng.IntN(3) {
	case 0: // consistent: a single converter holding the whole sum
		c.SumSquares = c.Sum.Mul(c.Sum)
	case 1:
		c.SumSquares = decimal.Zero
	default:
		c.SumSquares = decimal.New(rng.Int64N(1000)-10, 2*exp-2)
	}
	if rng.IntN(10) == 0 {
		c.Viewers = rng.Int64N(n+2) - 1
	}
	return c
}

func TestAnalyzeNeverPanicsAndStaysFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	types := []ValueType{NoValue, Sum, Average, PerVisitor, Rate}
	ok := 0
	for i := range 3000 {
		k := 1 + rng.IntN(4)
		in := Input{Config: Config{
			Sequential: rng.IntN(2) == 0,
			Correction: []Correction{"", NoCorrection, Holm, BenjaminiHochberg}[rng.IntN(4)],
		}}
		for p := range k {
			n := []int64{0, 1, 2, 50, 100000, 1 << 40}[rng.IntN(6)]
			in.Populations = append(in.Populations, Population{Name: string(rune('a' + p)), Exposures: n})
		}
		if rng.IntN(5) == 0 {
			in.Config.Weights = make([]float64, k)
			for j := range in.Config.Weights {
				in.Config.Weights[j] = rng.Float64() * 3
			}
		}
		for g := range 1 + rng.IntN(3) {
			goal := Goal{Name: string(rune('A' + g)), ValueType: types[rng.IntN(len(types))], LowerIsBetter: rng.IntN(2) == 0}
			for _, p := range in.Populations {
				goal.Counts = append(goal.Counts, randomCounts(rng, p.Exposures))
			}
			in.Goals = append(in.Goals, goal)
		}
		r, err := Analyze(in)
		if err != nil {
			continue
		}
		ok++
		_, err = json.Marshal(r) // fails on NaN or ±Inf
		if err != nil {
			for _, g := range r.Goals {
				for _, p := range g.Populations {
					if _, e := json.Marshal(p); e != nil {
						t.Logf("%s %+v", g.Metric, p)
						if p.Comparison != nil {
							t.Logf("%+v", *p.Comparison)
						}
					}
				}
			}
		}
		require.NoError(t, err, "case %d", i)
		for _, g := range r.Goals {
			for _, p := range g.Populations {
				c := p.Comparison
				if c == nil {
					continue
				}
				assert.GreaterOrEqual(t, c.AdjustedP, c.P)
				assert.True(t, c.P >= 0 && c.P <= 1, "case %d: p = %v", i, c.P)
				if !c.Defined {
					assert.False(t, c.Significant)
					assert.NotEmpty(t, c.Reason)
				}
				if c.Bayes.Defined {
					assert.True(t, c.Bayes.ChanceToWin >= 0 && c.Bayes.ChanceToWin <= 1)
					assert.GreaterOrEqual(t, c.Bayes.Risk, 0.0)
					assert.False(t, math.IsNaN(c.Bayes.Lift.Low))
				}
			}
		}
	}
	assert.Greater(t, ok, 1000, "most cases are valid input")
}

func TestAnalyzeRejectsBadInput(t *testing.T) {
	pops := []Population{{Name: "a", Exposures: 10}, {Name: "b", Exposures: 10}}
	good := []Counts{{Conversions: 1}, {Conversions: 2}}
	for _, tc := range []struct {
		name string
		in   Input
		want string
	}{
		{"no populations", Input{}, "at least one population"},
		{"unknown control", Input{Populations: pops, Config: Config{Control: "z"}}, `control population "z"`},
		{"counts of the wrong length", Input{Populations: pops, Goals: []Goal{{Name: "g", Counts: good[:1]}}}, "1 counts for 2 populations"},
		{"negative conversions", Input{Populations: pops, Goals: []Goal{{Name: "g", Counts: []Counts{{Conversions: -1}, {}}}}}, "negative conversions"},
		{"negative exposures", Input{Populations: []Population{{Name: "a", Exposures: -1}}, Goals: []Goal{{Name: "g", Counts: []Counts{{}}}}}, "negative exposures"},
		{"negative value squares", Input{Populations: pops, Goals: []Goal{{Name: "g", ValueType: Sum, Counts: []Counts{{SumSquares: decimal.NewFromInt(-1)}, {}}}}}, "negative sum of squares"},
		{"unknown value type", Input{Populations: pops, Goals: []Goal{{Name: "g", ValueType: "X", Counts: good}}}, `value type "X"`},
		{"unknown correction", Input{Populations: pops, Config: Config{Correction: "bonferroni"}}, "correction"},
		{"alpha out of range", Input{Populations: pops, Config: Config{Alpha: 1.5}}, "alpha"},
		{"power out of range", Input{Populations: pops, Config: Config{Power: -0.5}}, "power"},
		{"negative mde", Input{Populations: pops, Config: Config{MDE: -0.1}}, "minimum detectable effect"},
		{"weights of the wrong length", Input{Populations: pops, Config: Config{Weights: []float64{1}}}, "1 weights for 2 populations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Analyze(tc.in)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestUndefinedComparisonsSayWhy(t *testing.T) {
	d := decimal.NewFromInt
	in := Input{
		Populations: []Population{{Name: "a", Exposures: 100}, {Name: "b", Exposures: 0}, {Name: "c", Exposures: 100}},
		Goals: []Goal{
			{Name: "rate", Counts: []Counts{{Conversions: 10}, {}, {Conversions: 0}}},
			{Name: "revenue without squares", ValueType: Sum, Counts: []Counts{
				{Conversions: 10, Sum: d(100)}, {}, {Conversions: 10, Sum: d(120)}}},
			{Name: "nobody", Counts: []Counts{{}, {}, {}}},
		},
	}
	r, err := Analyze(in)
	require.NoError(t, err)
	b := r.Goals[0].Populations[1].Comparison
	assert.False(t, b.Defined)
	assert.Equal(t, `population "b" has no units`, b.Reason)
	assert.False(t, b.Bayes.Defined)
	c := r.Goals[0].Populations[2].Comparison
	assert.True(t, c.Defined, "a variant that never converts is still compared")
	assert.InDelta(t, -1.0, c.Lift.Estimate, 1e-15)
	assert.True(t, c.Significant)
	v := r.Goals[1].Populations[2].Comparison
	assert.False(t, v.Defined)
	assert.Contains(t, v.Reason, "no value squares")
	n := r.Goals[2].Populations[2].Comparison
	assert.False(t, n.Defined)
	assert.Contains(t, n.Reason, "no variance")
	assert.Equal(t, 1.0, n.P)
	assert.False(t, n.Lift.HasEstimate, "no lift over a control rate of 0")
	assert.True(t, n.Diff.HasEstimate)
	assert.InDelta(t, 0.5, n.Bayes.ChanceToWin, 1e-10, "identical posteriors")

	// With a site filter a visitor exposed elsewhere can convert here.
	r, err = Analyze(rateInput(5, 100, 12, 10, Config{}))
	require.NoError(t, err)
	o := variant(t, r, 0)
	assert.False(t, o.Defined)
	assert.Equal(t, `population "variant": 12 conversions of 10 exposed visitors (conversions on a site other than the exposure's?)`, o.Reason)
	assert.False(t, o.Bayes.Defined)
	assert.Zero(t, r.Goals[0].Populations[1].Mean)
}
