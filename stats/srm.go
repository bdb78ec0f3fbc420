package stats

import "math"

// The sample-ratio-mismatch rule: warn when the chi-square test rejects the expected
// split at SRMAlpha, once at least SRMMinTotal visitors have been assigned.
const (
	SRMAlpha    = 0.001
	SRMMinTotal = 100
)

// SRM is the outcome of a sample-ratio-mismatch check.
type SRM struct {
	Chi2  float64 // Pearson's statistic against the expected shares
	DF    int     // degrees of freedom: populations − 1
	P     float64 // P(χ²(DF) ≥ Chi2); 1 when there is nothing to test
	Total int64   // visitors over all populations
	Warn  bool    // P < SRMAlpha and Total ≥ SRMMinTotal
}

// SampleRatioMismatch tests whether visitor counts per population fit the expected
// shares: Pearson's chi-square goodness of fit, χ² = Σ (oᵢ − eᵢ)² / eᵢ with
// eᵢ = total · wᵢ / Σw, and its p-value from the chi-square distribution with
// len(counts) − 1 degrees of freedom.
//
// weights give the expected shares (any positive scale); nil, a slice of the wrong
// length, or one with a weight that is not a positive finite number means equal
// shares. With fewer than two populations, a zero total or a negative count there is
// nothing to test: χ² = 0 and p = 1.
func SampleRatioMismatch(counts []int64, weights []float64) (chi2, p float64) {
	r := CheckSampleRatio(counts, weights)
	return r.Chi2, r.P
}

// CheckSampleRatio is SampleRatioMismatch with the warning rule applied.
func CheckSampleRatio(counts []int64, weights []float64) SRM {
	r := SRM{P: 1}
	if len(counts) < 2 {
		for _, c := range counts {
			r.Total += max(c, 0)
		}
		return r
	}
	for _, c := range counts {
		if c < 0 {
			return SRM{P: 1}
		}
		r.Total += c
	}
	if r.Total == 0 {
		return r
	}
	if !validWeights(weights, len(counts)) {
		weights = nil
	}
	// Shares relative to the largest weight, so that huge weights cannot overflow.
	wmax, wsum := 1.0, float64(len(counts))
	if weights != nil {
		wmax, wsum = 0, 0
		for _, w := range weights {
			wmax = max(wmax, w)
		}
		for _, w := range weights {
			wsum += w / wmax
		}
	}
	total := float64(r.Total)
	for i, c := range counts {
		w := 1.0
		if weights != nil {
			w = weights[i] / wmax
		}
		e := total * w / wsum
		d := float64(c) - e
		r.Chi2 += d * d / e
	}
	r.DF = len(counts) - 1
	r.P = ChiSquareSurvival(r.Chi2, float64(r.DF))
	r.Warn = r.P < SRMAlpha && r.Total >= SRMMinTotal
	return r
}

func validWeights(w []float64, n int) bool {
	if len(w) != n {
		return false
	}
	for _, v := range w {
		if !(v > 0) || math.IsInf(v, 1) {
			return false
		}
	}
	return true
}
