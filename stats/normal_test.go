package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Reference values: standard normal tables, and Python's statistics.NormalDist.
func TestNormalCDF(t *testing.T) {
	for _, tc := range []struct{ x, want float64 }{
		{0, 0.5},
		{1.96, 0.9750021048517796},
		{-1, 0.15865525393145707},
		{3, 0.9986501019683699},
		{-8.5, 9.479534822203355e-18}, // the far tail keeps its relative precision
		{math.Inf(1), 1},
		{math.Inf(-1), 0},
	} {
		assert.InDelta(t, tc.want, NormalCDF(tc.x), 1e-15*math.Max(tc.want, 1e-3), "Φ(%v)", tc.x)
	}
	assert.InDelta(t, 1-0.9750021048517796, NormalSurvival(1.96), 1e-15)
	assert.Equal(t, 0.5, NormalCDF(math.NaN()))
}

func TestNormalQuantile(t *testing.T) {
	for _, tc := range []struct{ p, want float64 }{
		{0.5, 0},
		{0.975, 1.9599639845400536},
		{0.995, 2.5758293035489},
		{0.9, 1.2815515655446008},
		{0.001, -3.090232306167813},
		{1e-10, -6.361340902404056},
		{0.8413447460685429, 1},
	} {
		assert.InDelta(t, tc.want, NormalQuantile(tc.p), 1e-12, "Φ⁻¹(%v)", tc.p)
	}
	assert.True(t, math.IsInf(NormalQuantile(0), -1))
	assert.True(t, math.IsInf(NormalQuantile(1), 1))
	assert.True(t, math.IsInf(NormalQuantile(-3), -1))
	assert.Equal(t, 0.0, NormalQuantile(math.NaN()))
	assert.InDelta(t, 1.959963984540054, zConfidence, 1e-12)
}

func TestTwoSidedP(t *testing.T) {
	assert.InDelta(t, 0.05, TwoSidedP(1.959963984540054), 1e-14)
	assert.InDelta(t, 0.05, TwoSidedP(-1.959963984540054), 1e-14)
	assert.InDelta(t, 0.01, TwoSidedP(2.5758293035489), 1e-14)
	assert.Equal(t, 1.0, TwoSidedP(0))
	assert.Equal(t, 1.0, TwoSidedP(math.NaN()))
	assert.Equal(t, 0.0, TwoSidedP(math.Inf(1)))
}
