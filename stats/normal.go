package stats

import "math"

// Alpha is the significance level of the two-proportion test: a difference is
// significant when its two-sided p-value is below Alpha.
const Alpha = 0.05

// Confidence is the level of the confidence intervals this package reports.
const Confidence = 1 - Alpha

// zConfidence is the two-sided critical value of the standard normal at Confidence,
// about 1.959964.
var zConfidence = NormalQuantile(1 - Alpha/2)

// NormalCDF returns P(Z ≤ x) for a standard normal Z.
func NormalCDF(x float64) float64 {
	if math.IsNaN(x) {
		return 0.5
	}
	return 0.5 * math.Erfc(-x/math.Sqrt2)
}

// NormalSurvival returns P(Z > x) for a standard normal Z, accurate far into the tail.
func NormalSurvival(x float64) float64 {
	if math.IsNaN(x) {
		return 0.5
	}
	return 0.5 * math.Erfc(x/math.Sqrt2)
}

// NormalQuantile returns the x with NormalCDF(x) = p. It returns -Inf for p ≤ 0,
// +Inf for p ≥ 1 and 0 for NaN.
func NormalQuantile(p float64) float64 {
	switch {
	case math.IsNaN(p):
		return 0
	case p <= 0:
		return math.Inf(-1)
	case p >= 1:
		return math.Inf(1)
	}
	x := -math.Sqrt2 * math.Erfcinv(2*p)
	// math.Erfcinv loses relative precision in the tails; Halley steps on
	// NormalCDF(x) − p, whose Erfc is accurate there, restore it.
	for range 2 {
		e := NormalCDF(x) - p
		u := e * math.Sqrt(2*math.Pi) * math.Exp(x*x/2)
		if math.IsNaN(u) || math.IsInf(u, 0) {
			break
		}
		x -= u / (1 + x*u/2)
	}
	return x
}

// TwoSidedP returns the two-sided p-value of a standard normal test statistic z:
// P(|Z| ≥ |z|).
func TwoSidedP(z float64) float64 {
	if math.IsNaN(z) {
		return 1
	}
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}
