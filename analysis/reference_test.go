package analysis

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The expected values in this file were computed independently of the Go code by
// testdata/reference.py (mpmath at 50 digits: normal quantiles from erfinv, p-values
// from erfc, Fieller's bounds as the roots of its quadratic by mpmath.polyroots, the
// sequential boundary by solving the mixture likelihood ratio Λ(c) = 1/α with
// mpmath.findroot, chi-square survival as the regularized upper incomplete gamma
// function, the normal risks by quadrature of E[max(∓D, 0)]); its output is quoted
// to 17 digits. The first rate case is the Physicians' Health Study (aspirin: 104
// heart attacks in 11,037; placebo: 189 in 11,034).

func rateInput(cA, nA, cB, nB int64, cfg Config) Input {
	return Input{
		Populations: []Population{{Name: "control", Exposures: nA}, {Name: "variant", Exposures: nB}},
		Goals:       []Goal{{Name: "g", Counts: []Counts{{Conversions: cA}, {Conversions: cB}}}},
		Config:      cfg,
	}
}

func TestRateComparisonReference(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		cA, nA, cB, nB       int64
		diff, diffLo, diffHi float64
		z, p                 float64
		lift, liftLo, liftHi float64
	}{
		{"aspirin", 189, 11034, 104, 11037,
			-0.0077060239760047806, -0.010724297276960123, -0.0046877506750494379,
			-5.0040297716548589, 5.6144080333141349e-7,
			-0.44988501878961243, -0.57131027488900061, -0.30603240197276038},
		{"20% vs 25%", 200, 1000, 250, 1000,
			0.05, 0.013463621687539845, 0.086536378312460155,
			2.6822089039291005, 0.0073137772217106565,
			0.25, 0.062016877887313682, 0.47699719412386168},
		{"just not significant", 1200, 10000, 1290, 10000,
			0.009, -0.00015030339988609886, 0.018150303399886099,
			1.9277695055532326, 0.053883802321227287,
			0.075, -0.0012079170055564624, 0.15728172742743914},
		{"tiny: 2 of 2 against 1 of 2, cut at -100%", 2, 2, 1, 2,
			-0.5, -1.192951912174839, 0.19295191217483897,
			-1.414213562373095, 0.15729920705028513,
			-0.5, -1, 0.19295191217483897},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Analyze(rateInput(tc.cA, tc.nA, tc.cB, tc.nB, Config{}))
			require.NoError(t, err)
			c := variant(t, r, 0)
			require.True(t, c.Defined)
			const eps = 1e-13
			assert.InDelta(t, tc.diff, c.Diff.Estimate, eps)
			assert.InDelta(t, tc.diffLo, c.Diff.Low, eps)
			assert.InDelta(t, tc.diffHi, c.Diff.High, eps)
			assert.InDelta(t, tc.z, c.Z, 1e-12)
			assert.InEpsilon(t, tc.p, c.P, 1e-11)
			assert.InDelta(t, tc.lift, c.Lift.Estimate, eps)
			require.True(t, c.Lift.Defined)
			assert.InDelta(t, tc.liftLo, c.Lift.Low, 1e-12)
			assert.InDelta(t, tc.liftHi, c.Lift.High, 1e-12)
			assert.Equal(t, tc.p < 0.05, c.Significant)
		})
	}
}

func TestValueComparisonReference(t *testing.T) {
	d := decimal.NewFromInt
	for _, tc := range []struct {
		name                   string
		vt                     ValueType
		meanA, sdA, meanB, sdB float64
		diffLo, diffHi, z, p   float64
		liftLo, liftHi         float64
		win, risk, riskControl float64
	}{
		// 1000 exposed each; sums 2000 and 2600; value squares 40000 and 50000.
		{"sum per exposed visitor", Sum, 2, 6.0030022518766421, 2.6, 6.5790032135030367,
			0.048001903218269063, 1.1519980967817309, 2.1304029806991048, 0.033138357934474105,
			0.021313094732053862, 0.67189266212023837,
			0.98343082103276295, 0.0016743541484715582, 0.60167435414847156},
		// The same counts per converting visitor: 200 and 250 converters.
		{"average per converting visitor", Average, 10, 10.02509414234171, 10.4, 9.6025431705025655,
			-1.4295483301634324, 2.2295483301634324, 0.42851319142030467, 0.66827753159994627,
			-0.12967775278778148, 0.250620026176178,
			0.66586123420002686, 0.20607340930251202, 0.60607340930251202},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{
				Populations: []Population{{Name: "a", Exposures: 1000}, {Name: "b", Exposures: 1000}},
				Goals: []Goal{{Name: "revenue", ValueType: tc.vt, Counts: []Counts{
					{Conversions: 200, Sum: d(2000), SumSquares: d(40000)},
					{Conversions: 250, Sum: d(2600), SumSquares: d(50000)}}}},
			}
			r, err := Analyze(in)
			require.NoError(t, err)
			a, b := r.Goals[0].Populations[0], r.Goals[0].Populations[1]
			const eps = 1e-12
			assert.InDelta(t, tc.meanA, a.Mean, eps)
			assert.InDelta(t, tc.sdA, a.StdDev, eps)
			assert.InDelta(t, tc.meanB, b.Mean, eps)
			assert.InDelta(t, tc.sdB, b.StdDev, eps)
			c := b.Comparison
			require.True(t, c.Defined)
			assert.InDelta(t, tc.diffLo, c.Diff.Low, eps)
			assert.InDelta(t, tc.diffHi, c.Diff.High, eps)
			assert.InDelta(t, tc.z, c.Z, eps)
			assert.InEpsilon(t, tc.p, c.P, 1e-11)
			assert.InDelta(t, tc.liftLo, c.Lift.Low, eps)
			assert.InDelta(t, tc.liftHi, c.Lift.High, eps)
			require.True(t, c.Bayes.Defined)
			assert.InDelta(t, tc.win, c.Bayes.ChanceToWin, eps)
			assert.InDelta(t, tc.risk, c.Bayes.Risk, eps)
			assert.InDelta(t, tc.riskControl, c.Bayes.RiskControl, eps)
			// Normal posteriors: the credible interval of the lift is Fieller's.
			assert.InDelta(t, tc.liftLo, c.Bayes.Lift.Low, eps)
			assert.InDelta(t, tc.liftHi, c.Bayes.Lift.High, eps)
		})
	}
}

func TestSequentialReference(t *testing.T) {
	// 200/1000 against 250/1000, tuned at 10,000 per population: x = 8.2119680620682542
	// solves x = log(1/α²) + log(1 + x), r = 20000/(x·2000) = 1.2177348869865691, and
	// Λ(c) = 1/α at c = 3.823218333037801.
	assert.InDelta(t, 8.2119680620682542, mixtureRatio(0.05), 1e-13)
	r, err := Analyze(rateInput(200, 1000, 250, 1000, Config{Sequential: true}))
	require.NoError(t, err)
	c := variant(t, r, 0)
	assert.True(t, c.Sequential)
	assert.InDelta(t, -0.021269958269045793, c.Diff.Low, 1e-13)
	assert.InDelta(t, 0.12126995826904579, c.Diff.High, 1e-13)
	assert.InDelta(t, 0.26653935658589063, c.P, 1e-13)
	assert.False(t, c.Significant, "significant at a fixed horizon (p = 0.0073), not yet always-valid")
	// The same data with ten times the visitors is significant both ways.
	r, err = Analyze(rateInput(2000, 10000, 2500, 10000, Config{Sequential: true}))
	require.NoError(t, err)
	assert.True(t, variant(t, r, 0).Significant)
}

func TestSampleRatioReference(t *testing.T) {
	for _, tc := range []struct {
		name      string
		exposures []int64
		weights   []float64
		chi2, p   float64
		warn      bool
	}{
		{"balanced", []int64{5000, 5100}, nil, 0.9900990099009901, 0.3197181768128704, false},
		{"classic mismatch", []int64{821588, 815482}, nil, 22.77436884189436, 1.8217928726191872e-6, true},
		{"three populations", []int64{1000, 1100, 1200}, nil, 18.181818181818182, 0.00011268558050780076, true},
		{"weighted 1:3", []int64{300, 700}, []float64{1, 3}, 13.333333333333333, 0.00026072963285531671, true},
		{"weights on any scale", []int64{300, 700}, []float64{0.25, 0.75}, 13.333333333333333, 0.00026072963285531671, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := SampleRatio(tc.exposures, tc.weights)
			require.NoError(t, err)
			assert.InEpsilon(t, tc.chi2, r.Chi2, 1e-12)
			assert.InEpsilon(t, tc.p, r.P, 1e-9)
			assert.Equal(t, tc.warn, r.Warn)
			assert.Equal(t, len(tc.exposures)-1, r.DF)
		})
	}
}

func TestSampleRatioEdges(t *testing.T) {
	r, err := SampleRatio([]int64{0, 99}, nil)
	require.NoError(t, err)
	assert.Less(t, r.P, SRMAlpha)
	assert.False(t, r.Warn, "below 100 visitors the rule stays silent")
	for _, e := range [][]int64{nil, {500}, {0, 0, 0}} {
		r, err := SampleRatio(e, nil)
		require.NoError(t, err)
		assert.Equal(t, 0, r.DF)
		assert.Equal(t, 1.0, r.P)
	}
	_, err = SampleRatio([]int64{1, 2}, []float64{1})
	assert.ErrorContains(t, err, "1 weights for 2 populations")
	_, err = SampleRatio([]int64{1, 2}, []float64{1, -1})
	assert.ErrorContains(t, err, "not a positive number")
	_, err = SampleRatio([]int64{1, -2}, nil)
	assert.ErrorContains(t, err, "negative exposures")
	r, err = SampleRatio([]int64{10, 20}, []float64{1e308, 1e308})
	require.NoError(t, err)
	assert.InDelta(t, 10.0/3, r.Chi2, 1e-12, "huge weights do not overflow")
}

func TestPowerReference(t *testing.T) {
	// Control 200/1000, a 5% lift (p₁ = 0.21), 1000 each: power 0.085827824977273732;
	// 80% power needs 25579.499… per population, rounded up.
	r, err := Analyze(rateInput(200, 1000, 250, 1000, Config{}))
	require.NoError(t, err)
	p := variant(t, r, 0).Power
	require.True(t, p.Defined)
	assert.InDelta(t, 0.085827824977273732, p.Power, 1e-13)
	assert.Equal(t, int64(25580), p.NeededControl)
	assert.Equal(t, int64(25580), p.NeededVariant)
	assert.Equal(t, int64(2*(25580-1000)), p.Remaining)
}

func TestAdjustByHand(t *testing.T) {
	// p = 0.01, 0.04, 0.03, 0.005 sorted: 0.005, 0.01, 0.03, 0.04 (m = 4).
	// Holm: 4·0.005 = 0.02, 3·0.01 = 0.03, 2·0.03 = 0.06, max(1·0.04, 0.06) = 0.06.
	// BH: 4/1·0.005 = 0.02, 4/2·0.01 = 0.02, 4/3·0.03 = 0.04, 4/4·0.04 = 0.04, then the
	// running minimum from the largest.
	ps := []float64{0.01, 0.04, 0.03, 0.005}
	holm, err := Adjust(ps, Holm)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{0.03, 0.06, 0.06, 0.02}, holm, 1e-15)
	bh, err := Adjust(ps, BenjaminiHochberg)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{0.02, 0.04, 0.04, 0.02}, bh, 1e-15)
	_, err = Adjust(ps, "bonferroni")
	assert.ErrorContains(t, err, "not one of none, holm, bh")
}

func TestCorrectionAcrossGoalsAndPopulations(t *testing.T) {
	in := Input{
		Populations: []Population{{Name: "a", Exposures: 1000}, {Name: "b", Exposures: 1000}, {Name: "c", Exposures: 1000}},
		Goals: []Goal{
			{Name: "g1", Counts: []Counts{{Conversions: 200}, {Conversions: 250}, {Conversions: 205}}},
			{Name: "g2", Counts: []Counts{{Conversions: 100}, {Conversions: 130}, {Conversions: 0}}},
			{Name: "none", Counts: []Counts{{Conversions: 0}, {Conversions: 0}, {Conversions: 0}}},
		},
	}
	raw, err := Analyze(in)
	require.NoError(t, err)
	var ps []float64
	for _, g := range raw.Goals {
		for _, p := range g.Populations[1:] {
			if p.Comparison.Defined {
				ps = append(ps, p.Comparison.P)
			}
		}
	}
	require.Len(t, ps, 4, "the goal nobody converts on is no test and not in the family")
	for _, c := range []Correction{Holm, BenjaminiHochberg} {
		in.Config.Correction = c
		r, err := Analyze(in)
		require.NoError(t, err)
		want, err := Adjust(ps, c)
		require.NoError(t, err)
		i := 0
		for _, g := range r.Goals {
			for _, p := range g.Populations[1:] {
				if !p.Comparison.Defined {
					assert.Equal(t, 1.0, p.Comparison.AdjustedP)
					continue
				}
				assert.Equal(t, want[i], p.Comparison.AdjustedP)
				assert.Equal(t, want[i] < 0.05, p.Comparison.Significant)
				i++
			}
		}
	}
}
