package stats

import "math"

// ChiSquareSurvival returns P(X > x) for X chi-square distributed with df degrees of
// freedom: the regularized upper incomplete gamma function Q(df/2, x/2). It returns 1
// for x ≤ 0 and for df ≤ 0 (no test), and 0 for x = +Inf.
func ChiSquareSurvival(x, df float64) float64 {
	if math.IsNaN(x) || math.IsNaN(df) || x <= 0 || df <= 0 {
		return 1
	}
	if math.IsInf(x, 1) {
		return 0
	}
	return upperGamma(df/2, x/2)
}

// Convergence limits of the series and the continued fraction below.
const (
	gammaEpsilon = 1e-15
	gammaMaxIter = 10000
	gammaTiny    = 1e-300
)

// upperGamma returns Q(a, x) = Γ(a, x)/Γ(a) for a > 0, x > 0: by the power series of
// P(a, x) when x < a+1, where it converges fast, and otherwise by the continued
// fraction of Q(a, x) (modified Lentz), which avoids the cancellation of 1 − P in the
// tail (Numerical Recipes §6.2).
func upperGamma(a, x float64) float64 {
	lga, _ := math.Lgamma(a)
	// logPrefix = log(x^a e^-x / Γ(a)).
	logPrefix := a*math.Log(x) - x - lga
	if x < a+1 {
		// P(a, x) = x^a e^-x / Γ(a+1) · Σ x^n / ((a+1)…(a+n)).
		term := 1 / a
		sum := term
		for n := 1; n < gammaMaxIter; n++ {
			term *= x / (a + float64(n))
			sum += term
			if math.Abs(term) < math.Abs(sum)*gammaEpsilon {
				break
			}
		}
		p := sum * math.Exp(logPrefix)
		return clamp01(1 - p)
	}
	// Q(a, x) = x^a e^-x / Γ(a) · 1/(x+1-a- 1·(1-a)/(x+3-a- 2·(2-a)/(x+5-a- …))).
	b := x + 1 - a
	c := 1 / gammaTiny
	d := 1 / b
	h := d
	for i := 1; i < gammaMaxIter; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < gammaTiny {
			d = gammaTiny
		}
		c = b + an/c
		if math.Abs(c) < gammaTiny {
			c = gammaTiny
		}
		d = 1 / d
		delta := d * c
		h *= delta
		if math.Abs(delta-1) < gammaEpsilon {
			break
		}
	}
	return clamp01(math.Exp(logPrefix) * h)
}

func clamp01(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return 1
	case v < 0:
		return 0
	case v > 1:
		return 1
	}
	return v
}
