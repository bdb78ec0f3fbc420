package analysis

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// SampleRatio tests whether the exposures per population fit the expected shares:
// Pearson's chi-square goodness of fit, χ² = Σ (oᵢ − eᵢ)²/eᵢ with eᵢ = total·wᵢ/Σw, and
// its p-value from the chi-square distribution with len(exposures) − 1 degrees of
// freedom. weights give the shares (any positive scale, in the order of exposures);
// nil means equal shares. Weights of the wrong length, or that are not positive and
// finite, are an error. With fewer than two populations or no exposures there is
// nothing to test: DF = 0, χ² = 0 and P = 1.
func SampleRatio(exposures []int64, weights []float64) (SRM, error) {
	r := SRM{P: 1}
	if weights != nil {
		if len(weights) != len(exposures) {
			return r, fmt.Errorf("%d weights for %d populations", len(weights), len(exposures))
		}
		for _, w := range weights {
			if !(w > 0) || math.IsInf(w, 1) {
				return r, fmt.Errorf("weight %v is not a positive number", w)
			}
		}
	}
	for _, n := range exposures {
		if n < 0 {
			return r, fmt.Errorf("negative exposures %d", n)
		}
		r.Total += n
	}
	if len(exposures) < 2 || r.Total == 0 {
		return r, nil
	}
	// Shares relative to the largest weight, so that huge weights cannot overflow.
	shares := make([]float64, len(exposures))
	wmax, wsum := 0.0, 0.0
	for i := range shares {
		shares[i] = 1
		if weights != nil {
			shares[i] = weights[i]
			wmax = max(wmax, weights[i])
		}
	}
	for i := range shares {
		if weights != nil {
			shares[i] /= wmax
		}
		wsum += shares[i]
	}
	total := float64(r.Total)
	r.Expected = make([]float64, len(exposures))
	for i, n := range exposures {
		e := total * shares[i] / wsum
		r.Expected[i] = e
		d := float64(n) - e
		r.Chi2 += d * d / e
	}
	r.DF = len(exposures) - 1
	r.P = distuv.ChiSquared{K: float64(r.DF)}.Survival(r.Chi2)
	r.Warn = r.P < SRMAlpha && r.Total >= SRMMinTotal
	return r, nil
}
