package analysis

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomTest returns a two-population test with a conversion goal and a sum goal
// whose counts are drawn from rng (values of converting visitors between 1 and 100,
// so the value squares are consistent with the sums).
func randomTest(rng *rand.Rand) Input {
	pops := []Population{{Name: "a", Exposures: 20 + rng.Int64N(5000)}, {Name: "b", Exposures: 20 + rng.Int64N(5000)}}
	rate := 0.01 + 0.5*rng.Float64()
	conv := make([]Counts, 2)
	for i, p := range pops {
		r := rate * (0.8 + 0.4*rng.Float64())
		c := int64(r * float64(p.Exposures))
		sum, sq := decimal.Zero, decimal.Zero
		for range c {
			x := decimal.NewFromInt(1 + rng.Int64N(100))
			sum, sq = sum.Add(x), sq.Add(x.Mul(x))
		}
		conv[i] = Counts{Conversions: c, Sum: sum, SumSquares: sq}
	}
	rates := []Counts{{Conversions: conv[0].Conversions}, {Conversions: conv[1].Conversions}}
	return Input{Populations: pops, Goals: []Goal{
		{Name: "converted", Counts: rates},
		{Name: "revenue", ValueType: Sum, Counts: conv},
		{Name: "order value", ValueType: Average, Counts: conv},
	}}
}

func variant(t *testing.T, r Result, goal int) *Comparison {
	t.Helper()
	c := r.Goals[goal].Populations[1].Comparison
	require.NotNil(t, c)
	return c
}

func TestIntervalExcludesZeroIffPBelowAlpha(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	significant := 0
	for i := range 400 {
		in := randomTest(rng)
		in.Config.Sequential = i%2 == 1
		r, err := Analyze(in)
		require.NoError(t, err)
		for g := range r.Goals {
			c := variant(t, r, g)
			if !c.Defined {
				continue
			}
			sig := c.P < r.Config.Alpha
			if sig {
				significant++
			}
			assert.Equal(t, sig, c.Significant, "case %d goal %d", i, g)
			assert.Equal(t, sig, c.Diff.Excludes(0), "case %d goal %d: p = %v, diff %+v", i, g, c.P, c.Diff)
			if c.Lift.Defined {
				assert.Equal(t, sig, c.Lift.Excludes(0), "case %d goal %d: p = %v, lift %+v", i, g, c.P, c.Lift)
			}
		}
	}
	assert.Greater(t, significant, 100, "the cases cover both verdicts")
}

func TestIntervalsShrinkWithN(t *testing.T) {
	for _, seq := range []bool{false, true} {
		prev := [3]float64{}
		for k := int64(1); k <= 64; k *= 2 {
			in := Input{
				Populations: []Population{{Name: "a", Exposures: 1000 * k}, {Name: "b", Exposures: 1000 * k}},
				Goals: []Goal{
					{Name: "g", Counts: []Counts{{Conversions: 100 * k}, {Conversions: 120 * k}}},
					{Name: "v", ValueType: Sum, Counts: []Counts{
						{Conversions: 100 * k, Sum: decimal.NewFromInt(1000 * k), SumSquares: decimal.NewFromInt(20000 * k)},
						{Conversions: 120 * k, Sum: decimal.NewFromInt(1300 * k), SumSquares: decimal.NewFromInt(25000 * k)}}},
				},
				Config: Config{Sequential: seq},
			}
			r, err := Analyze(in)
			require.NoError(t, err)
			c := variant(t, r, 0)
			w := [3]float64{c.Diff.High - c.Diff.Low, c.Lift.High - c.Lift.Low, c.Bayes.Lift.High - c.Bayes.Lift.Low}
			for i := range w {
				assert.Greater(t, w[i], 0.0)
				if k > 1 {
					assert.Less(t, w[i], prev[i], "interval %d at %d× (sequential %v)", i, k, seq)
				}
			}
			prev = w
			v := variant(t, r, 1)
			assert.True(t, v.Diff.Defined && v.Lift.Defined && v.Bayes.Lift.Defined)
		}
	}
}

func TestChanceToWinIsHalfForIdenticalData(t *testing.T) {
	for _, c := range [][2]int64{{0, 10}, {1, 2}, {3, 1000}, {500, 1000}, {37, 100000}, {99999, 100000}, {10, 10}} {
		in := Input{
			Populations: []Population{{Name: "a", Exposures: c[1]}, {Name: "b", Exposures: c[1]}},
			Goals: []Goal{{Name: "g", Counts: []Counts{{Conversions: c[0]}, {Conversions: c[0]}}},
				{Name: "v", ValueType: Sum, Counts: []Counts{
					{Conversions: c[0], Sum: decimal.NewFromInt(3 * c[0]), SumSquares: decimal.NewFromInt(10 * c[0])},
					{Conversions: c[0], Sum: decimal.NewFromInt(3 * c[0]), SumSquares: decimal.NewFromInt(10 * c[0])}}}},
		}
		r, err := Analyze(in)
		require.NoError(t, err)
		for g := range r.Goals {
			b := variant(t, r, g).Bayes
			if g == 1 && c[0] == 0 {
				assert.False(t, b.Defined, "no values, no posterior spread")
				continue
			}
			require.True(t, b.Defined, "%v goal %d", c, g)
			assert.InDelta(t, 0.5, b.ChanceToWin, 1e-10, "%v goal %d", c, g)
			assert.InDelta(t, b.Risk, b.RiskControl, 1e-10, "%v goal %d", c, g)
		}
	}
}

func TestCorrectionsNeverLowerAPValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		ps := make([]float64, 1+rng.IntN(20))
		for i := range ps {
			ps[i] = rng.Float64() * rng.Float64()
			if rng.IntN(5) == 0 && i > 0 {
				ps[i] = ps[i-1] // ties
			}
		}
		for _, c := range []Correction{NoCorrection, Holm, BenjaminiHochberg} {
			adj, err := Adjust(ps, c)
			require.NoError(t, err)
			for i := range ps {
				assert.GreaterOrEqual(t, adj[i], ps[i], "%s", c)
				assert.LessOrEqual(t, adj[i], 1.0)
				for j := range ps {
					if ps[i] < ps[j] {
						assert.LessOrEqual(t, adj[i], adj[j], "%s keeps the order", c)
					}
				}
			}
		}
	}
}

func TestSequentialIntervalContainsFixed(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 200 {
		in := randomTest(rng)
		in.Config.SequentialTuning = 1 + rng.Int64N(1e6)
		fixed, err := Analyze(in)
		require.NoError(t, err)
		in.Config.Sequential = true
		seq, err := Analyze(in)
		require.NoError(t, err)
		for g := range fixed.Goals {
			f, s := variant(t, fixed, g), variant(t, seq, g)
			if !f.Defined {
				continue
			}
			assert.True(t, s.Sequential)
			assert.GreaterOrEqual(t, s.P, f.P, "case %d goal %d", i, g)
			assert.LessOrEqual(t, s.Diff.Low, f.Diff.Low, "case %d goal %d", i, g)
			assert.GreaterOrEqual(t, s.Diff.High, f.Diff.High, "case %d goal %d", i, g)
			if s.Lift.Defined {
				assert.True(t, f.Lift.Defined)
				assert.LessOrEqual(t, s.Lift.Low, f.Lift.Low, "case %d goal %d", i, g)
				assert.GreaterOrEqual(t, s.Lift.High, f.Lift.High, "case %d goal %d", i, g)
			}
		}
	}
}
