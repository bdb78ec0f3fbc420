package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Reference values: the critical values of the chi-square table (p = 0.05, 0.001), and
// closed forms of the survival function computed independently with Python's math
// module: df 1 → erfc(√(x/2)); df 2 → e^(−x/2); df 3 → erfc(√(x/2)) + √(2x/π)e^(−x/2);
// even df 2k → e^(−x/2) Σ_{j<k} (x/2)^j / j!.
func TestChiSquareSurvival(t *testing.T) {
	for _, tc := range []struct{ df, x, want float64 }{
		{1, 3.841458820694124, 0.05},
		{1, 0.5, 0.4795001221869535},
		{1, 40, 2.53962858947086e-10},
		{1, 200, 2.088487583762545e-45},
		{2, 0.001, 0.9995001249791693},
		{2, 5.991464547107979, 0.05},
		{3, 2.5, 0.4752910833430206},
		{3, 7.814727903251178, 0.05},
		{4, 0.1, 0.9987908957257497},
		{4, 9.487729036781154, 0.05},
		{6, 3.0, 0.8088468305380581},
		{6, 60, 4.501016648012124e-11},
		{10, 4, 0.9473469826562889},
		{10, 18.307038053275146, 0.05},
		{10, 29.58829844507442, 0.001},
		{100, 124.342, 0.05}, // table value, 3 significant digits
	} {
		tol := 1e-12 * tc.want
		if tc.df == 100 {
			tol = 5e-5
		}
		assert.InDelta(t, tc.want, ChiSquareSurvival(tc.x, tc.df), tol, "Q(χ²=%v, df=%v)", tc.x, tc.df)
	}
}

func TestChiSquareSurvivalEdges(t *testing.T) {
	assert.Equal(t, 1.0, ChiSquareSurvival(0, 3))
	assert.Equal(t, 1.0, ChiSquareSurvival(-2, 3))
	assert.Equal(t, 1.0, ChiSquareSurvival(5, 0))
	assert.Equal(t, 1.0, ChiSquareSurvival(math.NaN(), 2))
	assert.Equal(t, 0.0, ChiSquareSurvival(math.Inf(1), 2))
	assert.Equal(t, 0.0, ChiSquareSurvival(1e6, 2), "underflows to 0, not NaN")
	for x := 0.25; x < 80; x *= 1.5 {
		q := ChiSquareSurvival(x, 7)
		assert.True(t, q > 0 && q < 1, "Q(%v, 7) = %v", x, q)
		assert.Greater(t, q, ChiSquareSurvival(x*1.5, 7), "Q decreases in x")
	}
}
