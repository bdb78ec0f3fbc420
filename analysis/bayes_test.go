package analysis

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected values from `python3 testdata/reference.py beta` (mpmath, 50 digits): the
// chance to win by Evan Miller's exact finite sum, the risks by
// m_A·P(A⁺ > B) − m_B·P(A > B⁺) with both probabilities from the same exact sum, and
// the lift bounds by mpmath.findroot on P(B ≤ sA) = ∫ f_A(y)·I_{sy}(α_B, β_B) dy
// integrated with mpmath.quad at 30 digits (lift bounds only for the two smaller
// cases: the quadrature is slow at 100,000 visitors). The Go code integrates all of
// them numerically by other formulas (integrate.go).
func TestBetaBayesReference(t *testing.T) {
	for _, tc := range []struct {
		cA, nA, cB, nB         int64
		win, risk, riskControl float64
		liftLo, liftHi         float64 // 0, 0: not computed
	}{
		{200, 1000, 250, 1000, 0.99628332913044021, 2.1363626802606041e-5, 0.049921563227601009,
			0.061232773014176084, 0.47265656995497533},
		{3, 40, 7, 45, 0.86197511755522163, 0.00512126630599031, 0.08009593702534188,
			-0.38226364633774333, 5.8346490589956809},
		{37, 100000, 45, 100000, 0.81004986870613127, 9.5726328722945604e-6, 8.957103290429392e-5, 0, 0},
		{20000, 100000, 20300, 100000, 0.95277255192922444, 3.5081691962792613e-5, 0.0030350216931627686, 0, 0},
	} {
		r, err := Analyze(rateInput(tc.cA, tc.nA, tc.cB, tc.nB, Config{}))
		require.NoError(t, err)
		b := variant(t, r, 0).Bayes
		require.True(t, b.Defined)
		assert.InDelta(t, tc.win, b.ChanceToWin, 1e-10, "%v", tc)
		assert.InDelta(t, tc.risk, b.Risk, 1e-12, "%v", tc)
		assert.InDelta(t, tc.riskControl, b.RiskControl, 1e-12, "%v", tc)
		if tc.liftHi != 0 {
			assert.InDelta(t, tc.liftLo, b.Lift.Low, 1e-9, "%v", tc)
			assert.InDelta(t, tc.liftHi, b.Lift.High, 1e-9, "%v", tc)
		}
		// Lower is better: the same posteriors, the other direction.
		in := rateInput(tc.cA, tc.nA, tc.cB, tc.nB, Config{})
		in.Goals[0].LowerIsBetter = true
		r, err = Analyze(in)
		require.NoError(t, err)
		lb := variant(t, r, 0).Bayes
		assert.InDelta(t, 1-tc.win, lb.ChanceToWin, 1e-10)
		assert.InDelta(t, tc.riskControl, lb.Risk, 1e-12)
		assert.InDelta(t, tc.risk, lb.RiskControl, 1e-12)
	}
}

func TestBetaBayesExtremes(t *testing.T) {
	// Nobody converts in either population: the posteriors are identical; a variant
	// that converts every visitor against one that never does wins for sure.
	for _, tc := range []struct {
		cA, nA, cB, nB int64
		win            float64
	}{
		{0, 100000, 0, 100000, 0.5},
		{0, 1, 1, 1, 5.0 / 6}, // Beta(2,1) against Beta(1,2): 5/6 by hand
		{0, 50, 50, 50, 1},
		{100000, 100000, 0, 100000, 0},
	} {
		r, err := Analyze(rateInput(tc.cA, tc.nA, tc.cB, tc.nB, Config{}))
		require.NoError(t, err)
		b := variant(t, r, 0).Bayes
		require.True(t, b.Defined)
		assert.InDelta(t, tc.win, b.ChanceToWin, 1e-10, "%v", tc)
		assert.GreaterOrEqual(t, b.Lift.High, b.Lift.Low)
		assert.GreaterOrEqual(t, b.Lift.Low, -1.0)
	}
}

func TestBetaChanceToWinWithoutConversions(t *testing.T) {
	// With no conversions the posteriors are Beta(1, 1 + n), whose distribution function
	// is 1 − (1 − x)^(1+n), so P(B > A) = 1 − E[(1 − B)^(1+n_A)] = (1 + n_A)/(2 + n_A + n_B)
	// in closed form: a check of the quadrature on the most skewed posteriors and on
	// widths that differ by a factor of 10⁶.
	for _, nA := range []int64{1, 10, 10000, 10000000} {
		for _, nB := range []int64{1, 10, 10000, 10000000} {
			r, err := Analyze(rateInput(0, nA, 0, nB, Config{}))
			require.NoError(t, err)
			b := variant(t, r, 0).Bayes
			want := float64(1+nA) / float64(2+nA+nB)
			assert.InDelta(t, want, b.ChanceToWin, 1e-10, "n_A %d, n_B %d", nA, nB)
		}
	}
}
