package analysis

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// power returns the power figures of the comparison of b with the control a for a
// relative minimum detectable effect mde, for the fixed-horizon two-sided z test at
// alpha (Chow, Shao & Wang, Sample Size Calculations in Clinical Research, §4.2):
// with δ = mde·m_A and per-unit variances v_A, v_B (for a rate, p_A(1 − p_A) and
// p₁(1 − p₁) at p₁ = p_A·(1 + mde); for a value goal, the control's variance for
// both), the standard error at n_A, n_B units is s = √(v_A/n_A + v_B/n_B) and
//
//	power = Φ(δ/s − z_{1−α/2}) + Φ(−δ/s − z_{1−α/2})
//	n_A*  = (z_{1−α/2} + z_{power})²·(v_A + v_B/k)/δ²,  n_B* = k·n_A*
//
// with k = n_B/n_A the current allocation. Units are turned into exposures by each
// population's exposures per unit (1 except for average and per-page-viewer goals).
func power(a, b moments, metric Metric, alpha, mde, want float64) Power {
	p := Power{MDE: mde}
	delta := mde * math.Abs(a.mean)
	if a.units <= 0 || b.units <= 0 || delta == 0 {
		return p
	}
	va, vb := a.variance, a.variance
	if metric == ConversionRate {
		p1 := min(a.mean*(1+mde), 1)
		vb = p1 * (1 - p1)
	}
	if va == 0 && vb == 0 {
		return p
	}
	na, nb := float64(a.units), float64(b.units)
	n := distuv.UnitNormal
	zc := n.Quantile(1 - alpha/2)
	s := math.Sqrt(va/na + vb/nb)
	p.Power = n.CDF(delta/s-zc) + n.CDF(-delta/s-zc)
	k := nb / na
	needA := math.Pow(zc+n.Quantile(want), 2) * (va + vb/k) / (delta * delta)
	p.NeededControl = exposuresFor(needA, a)
	p.NeededVariant = exposuresFor(k*needA, b)
	p.Remaining = satAdd(max(0, p.NeededControl-a.exposures), max(0, p.NeededVariant-b.exposures))
	p.Defined = true
	return p
}

// exposuresFor turns a number of units of m into exposures, rounded up and capped at
// the largest int64.
func exposuresFor(units float64, m moments) int64 {
	e := math.Ceil(units * float64(m.exposures) / float64(m.units))
	if !(e < math.MaxInt64) {
		return math.MaxInt64
	}
	return int64(e)
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
