package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Reference values computed independently with Python: χ² = Σ (o − e)²/e, and the
// closed-form chi-square survival function for 1, 2 and 3 degrees of freedom.
func TestSampleRatioMismatch(t *testing.T) {
	for _, tc := range []struct {
		name       string
		counts     []int64
		weights    []float64
		chi2, p    float64
		warn       bool
		wantDF     int
		wantTotals int64
	}{
		{"balanced", []int64{5000, 5100}, nil, 0.9900990099009901, 0.3197181768128704, false, 1, 10100},
		{"classic mismatch", []int64{821588, 815482}, nil, 22.77436884189436, 1.821792872619186e-06, true, 1, 1637070},
		{"weighted 1:2 fits", []int64{300, 700}, []float64{1, 2}, 5.0, 0.025347318677468252, false, 1, 1000},
		{"weighted 1:3 does not", []int64{300, 700}, []float64{1, 3}, 13.333333333333334, 0.0002607296328553168, true, 1, 1000},
		{"weights on any scale", []int64{300, 700}, []float64{0.25, 0.75}, 13.333333333333334, 0.0002607296328553168, true, 1, 1000},
		{"three populations", []int64{1000, 1100, 1200}, nil, 18.181818181818183, 0.00011268558050780067, true, 2, 3300},
		{"four populations", []int64{1000, 1200, 1100, 1300}, nil, 43.47826086956522, 1.9478553983749244e-09, true, 3, 4600},
		{"100 visitors, p above the threshold", []int64{60, 40}, nil, 4.0, 0.045500263896358396, false, 1, 100},
		{"bad weights mean equal shares", []int64{49, 51}, []float64{1, -1}, 0.04, 0.841480581121794, false, 1, 100},
		{"wrong number of weights", []int64{49, 51}, []float64{1}, 0.04, 0.841480581121794, false, 1, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chi2, p := SampleRatioMismatch(tc.counts, tc.weights)
			assert.InDelta(t, tc.chi2, chi2, 1e-9*tc.chi2)
			assert.InDelta(t, tc.p, p, 1e-9*tc.p)
			r := CheckSampleRatio(tc.counts, tc.weights)
			assert.Equal(t, tc.warn, r.Warn)
			assert.Equal(t, tc.wantDF, r.DF)
			assert.Equal(t, tc.wantTotals, r.Total)
		})
	}
}

func TestSampleRatioMismatchNeedsVisitors(t *testing.T) {
	// 0 against 99 is wildly off, but below 100 visitors the rule stays silent.
	r := CheckSampleRatio([]int64{0, 99}, nil)
	assert.Less(t, r.P, SRMAlpha)
	assert.False(t, r.Warn)
	r = CheckSampleRatio([]int64{0, 100}, nil)
	assert.InDelta(t, 100.0, r.Chi2, 1e-12)
	assert.True(t, r.Warn)
}

func TestSampleRatioMismatchNothingToTest(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts []int64
		total  int64
	}{
		{"no populations", nil, 0},
		{"one population", []int64{500}, 500},
		{"no visitors", []int64{0, 0, 0}, 0},
		{"negative count", []int64{100, -5}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := CheckSampleRatio(tc.counts, nil)
			assert.Equal(t, SRM{P: 1, Total: tc.total}, r)
		})
	}
	chi2, p := SampleRatioMismatch([]int64{10, 20}, []float64{math.MaxFloat64, math.MaxFloat64})
	assert.InDelta(t, 10.0/3, chi2, 1e-12, "huge weights do not overflow")
	assert.False(t, math.IsNaN(p))
	_, p = SampleRatioMismatch([]int64{10, 20}, []float64{1, math.Inf(1)})
	assert.False(t, math.IsNaN(p))
}
