package analysis

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// betaBayes returns the Bayesian figures of a conversion goal from independent
// Beta(1 + c, 1 + n − c) posteriors (a uniform prior). With A the control and B the
// variant, the chance to win P(B > A) and the risks E[max(A − B, 0)] (of choosing B)
// and E[max(B − A, 0)] (of keeping A) come from one numerical integral (winAndLoss);
// the lift interval is made of the quantiles of B/A − 1 at α/2 and 1 − α/2, and its
// estimate is the ratio of the posterior means minus 1.
func betaBayes(a, b moments, alpha float64, lowerIsBetter bool) Bayes {
	if a.exposures <= 0 || b.exposures <= 0 {
		return Bayes{}
	}
	pa, pb := posterior(a), posterior(b)
	bayes := Bayes{Defined: true}
	win, lossB := winAndLoss(pa, pb)
	lossA := max(lossB+pb.mean-pa.mean, 0)
	bayes.ChanceToWin, bayes.Risk, bayes.RiskControl = win, lossB, lossA
	if lowerIsBetter {
		bayes.ChanceToWin = 1 - win
		bayes.Risk, bayes.RiskControl = lossA, lossB
	}
	bayes.Lift = Interval{
		Estimate:    pb.mean/pa.mean - 1,
		HasEstimate: true,
		Low:         ratioQuantile(pa, pb, alpha/2) - 1,
		High:        ratioQuantile(pa, pb, 1-alpha/2) - 1,
		Defined:     true,
	}
	return bayes
}

// posterior returns Beta(1 + c, 1 + n − c) with its quadrature nodes.
func posterior(m moments) *betaVar {
	return newBetaVar(distuv.Beta{Alpha: 1 + float64(m.conversions), Beta: 1 + float64(m.exposures-m.conversions)})
}

// normalBayes returns the Bayesian figures of a value goal from normal posteriors of
// the two means (a flat prior and the normal approximation: mean ~ N(m̂, se²)). The
// difference D = B − A is then N(d, s²) with s² = se_A² + se_B², so
//
//	chance to win  P(D > 0) = Φ(d/s)
//	risk of B      E[max(−D, 0)] = s·φ(d/s) − d·Φ(−d/s)
//	risk of A      E[max(D, 0)]  = s·φ(d/s) + d·Φ(d/s)
//
// and, since B − r·A is normal for every r, P(B ≤ r·A) = Φ((r·m_A − m_B)/√(se_B² +
// r²·se_A²)): its quantiles are the roots of Fieller's quadratic, so the credible
// interval of the ratio is Fieller's interval at z_{1−α/2} (defined when the control
// mean is clearly positive), its median m_B/m_A.
func normalBayes(a, b moments, alpha float64, lowerIsBetter bool) Bayes {
	va, vb := a.variance/float64(a.units), b.variance/float64(b.units)
	s := math.Sqrt(va + vb)
	if s == 0 {
		return Bayes{}
	}
	d := b.mean - a.mean
	z := d / s
	n := distuv.UnitNormal
	bayes := Bayes{Defined: true, ChanceToWin: n.CDF(z)}
	lossB := s*n.Prob(z) - d*n.CDF(-z)
	lossA := s*n.Prob(z) + d*n.CDF(z)
	bayes.Risk, bayes.RiskControl = math.Max(lossB, 0), math.Max(lossA, 0)
	if lowerIsBetter {
		bayes.ChanceToWin = n.CDF(-z)
		bayes.Risk, bayes.RiskControl = bayes.RiskControl, bayes.Risk
	}
	bayes.Lift = fieller(a.mean, va, b.mean, vb, n.Quantile(1-alpha/2))
	return bayes
}
