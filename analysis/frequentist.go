package analysis

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// test is the frequentist test of a comparison: the critical multiplier of the
// intervals and the p-value of an observed standardized difference, either at a fixed
// horizon or always valid.
type test struct {
	alpha float64
	// crit is the multiplier of the standard error in every interval: the normal
	// quantile z_{1−α/2}, or the confidence sequence's boundary at this look.
	crit float64
	// r is s²/τ² of the normal mixture (sequential only).
	r          float64
	sequential bool
}

// fixedTest is the fixed-horizon two-sided z test at level alpha.
func fixedTest(alpha float64) test {
	return test{alpha: alpha, crit: distuv.UnitNormal.Quantile(1 - alpha/2)}
}

// sequentialTest is the normal-mixture confidence sequence at level alpha for an
// estimate from n exposures whose mixture is tuned to be tightest at tuneAt exposures
// (see the package doc: r = s²/τ² = tuneAt/(k·n)).
func sequentialTest(alpha float64, n, tuneAt int64) test {
	k := mixtureRatio(alpha)
	r := float64(tuneAt) / (k * float64(max(n, 1)))
	return test{alpha: alpha, r: r, sequential: true, crit: mixtureBoundary(alpha, r)}
}

// mixtureRatio returns the x > 0 with x = log(1/α²) + log(1 + x): the ratio τ²/s²
// at which the normal-mixture boundary is tightest (Howard et al. 2021, §3.5: the
// optimal ρ = m/x). The map is a contraction (derivative 1/(1+x) < 1), so iterating
// it converges; 60 rounds reach the float64 fixed point.
func mixtureRatio(alpha float64) float64 {
	l := -2 * math.Log(alpha)
	x := l
	for range 60 {
		x = l + math.Log1p(x)
	}
	return x
}

// mixtureBoundary is the multiplier c of the standard error s at which the mixture
// likelihood ratio Λ = √(r/(1+r))·exp(z²/(2(1+r))) reaches 1/α:
// c² = (1 + r)·(log(1/α²) + log(1 + 1/r)).
func mixtureBoundary(alpha, r float64) float64 {
	return math.Sqrt((1 + r) * (-2*math.Log(alpha) + math.Log1p(1/r)))
}

// pValue is the two-sided p-value of the standardized difference z: 2·Φ(−|z|) at a
// fixed horizon, min(1, 1/Λ(z)) for the confidence sequence (Ville's inequality makes
// it valid at every look).
func (t test) pValue(z float64) float64 {
	if !t.sequential {
		// Φ(−|z|) keeps its precision in the tail (gonum's Survival is 1 − erf).
		return 2 * distuv.UnitNormal.CDF(-math.Abs(z))
	}
	logLambda := 0.5*math.Log(t.r/(1+t.r)) + z*z/(2*(1+t.r))
	return math.Min(1, math.Exp(-logLambda))
}

// compare fills the frequentist figures of c from the control's moments a and the
// variant's b: the unpooled Wald interval of the difference, Fieller's interval of the
// ratio (the lift values not rejected by the same test) and the p-value.
func (t test) compare(c *Comparison, a, b moments) {
	va, vb := a.variance/float64(a.units), b.variance/float64(b.units)
	d := b.mean - a.mean
	se := math.Sqrt(va + vb)
	c.Diff = Interval{Estimate: d, HasEstimate: true}
	c.Lift = fieller(a.mean, va, b.mean, vb, t.crit)
	if se == 0 {
		c.Defined, c.Reason = false, "no variance in either population (every unit alike)"
		c.Lift.Defined, c.Lift.Low, c.Lift.High = false, 0, 0
		return
	}
	c.Z = d / se
	c.P = t.pValue(c.Z)
	c.Diff.Low, c.Diff.High, c.Diff.Defined = d-t.crit*se, d+t.crit*se, true
}

// fieller returns the lift mB/mA − 1 with Fieller's interval: the ρ with
// (mB − ρ·mA)² ≤ k²·(vB + ρ²·vA), the ratios that the Wald test of mB − ρ·mA = 0
// does not reject (Fieller 1954). At ρ = 1 this is the Wald test of the difference,
// so the interval excludes a lift of 0 exactly when that test rejects. The set is a
// bounded interval when mA² > k²·vA (the control mean is itself distinguishable from
// 0); otherwise it is unbounded and the interval is not Defined. The lift is only
// defined for a positive control mean.
func fieller(mA, vA, mB, vB, k float64) Interval {
	if mA <= 0 {
		return Interval{}
	}
	lift := Interval{Estimate: mB/mA - 1, HasEstimate: true}
	k2 := k * k
	a := mA*mA - k2*vA
	if a <= 0 {
		return lift
	}
	disc := mA*mA*vB + mB*mB*vA - k2*vA*vB
	h := k * math.Sqrt(math.Max(disc, 0))
	lo, hi := (mA*mB-h)/a-1, (mA*mB+h)/a-1
	if hi > lo {
		lift.Low, lift.High, lift.Defined = lo, hi, true
	}
	return lift
}
