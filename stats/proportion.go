package stats

import "math"

// Comparison compares the conversion rate of a variant B with that of a control A.
type Comparison struct {
	// Valid is false when the counts are not well formed (a negative count, or more
	// conversions than visitors in a group); every other field is then zero, and P is 1.
	Valid bool

	RateA, RateB float64 // conversions ÷ visitors; 0 for a group without visitors

	// Diff is RateB − RateA, with its 95% confidence interval (unpooled Wald
	// interval: Diff ± z·√(pA(1−pA)/nA + pB(1−pB)/nB)).
	Diff, DiffLow, DiffHigh float64

	// Lift is the relative lift RateB/RateA − 1, with its 95% confidence interval by
	// the delta method on the ratio: Lift ± z·SE with
	// SE² = pB(1−pB)/(nB·pA²) + pB²·pA(1−pA)/(nA·pA⁴).
	// The lift cannot fall below −100%, so neither does LiftLow (the interval is cut
	// there). LiftDefined is false when the control rate is 0 or a group has no visitors; the
	// three lift fields are then 0. IntervalDefined is false when the interval
	// collapses to a point because SE is 0 (each group converts never or always, or
	// the variant never converts): LiftLow and LiftHigh are then 0, not Lift.
	Lift, LiftLow, LiftHigh float64
	LiftDefined             bool
	IntervalDefined         bool

	// Z is the two-proportion z statistic with the pooled standard error,
	// (pB − pA) / √(p(1−p)(1/nA + 1/nB)), p = (convA+convB)/(nA+nB); P is its
	// two-sided p-value. When the test is undefined (a group without visitors, or a
	// pooled rate of 0 or 1, where both groups agree exactly) Z is 0 and P is 1.
	Z, P float64

	// Significant reports P < Alpha (0.05).
	Significant bool

	// SmallSample reports that the normal approximation behind Z and the intervals is
	// rough: a group has fewer than SmallCount conversions or non-conversions (the
	// textbook rule n·p ≥ 5 and n·(1−p) ≥ 5).
	SmallSample bool
}

// SmallCount is the least number of conversions and of non-conversions per group for
// which the normal approximation is considered adequate.
const SmallCount = 5

// TwoProportion compares convB conversions of nB visitors (the variant) with convA of
// nA (the control) by the two-proportion z-test. See Comparison for the formulas and
// for the values of degenerate inputs.
func TwoProportion(convA, nA, convB, nB int64) Comparison {
	if convA < 0 || nA < 0 || convB < 0 || nB < 0 || convA > nA || convB > nB {
		return Comparison{P: 1}
	}
	c := Comparison{Valid: true, P: 1}
	c.RateA, c.RateB = rate(convA, nA), rate(convB, nB)
	pa, pb := c.RateA, c.RateB
	fa, fb := float64(nA), float64(nB)

	c.Diff = pb - pa
	if nA > 0 && nB > 0 {
		se := math.Sqrt(pa*(1-pa)/fa + pb*(1-pb)/fb)
		c.DiffLow, c.DiffHigh = c.Diff-zConfidence*se, c.Diff+zConfidence*se

		pooled := float64(convA+convB) / (fa + fb)
		if sePooled := math.Sqrt(pooled * (1 - pooled) * (1/fa + 1/fb)); sePooled > 0 {
			c.Z = c.Diff / sePooled
			c.P = TwoSidedP(c.Z)
		}
	}
	if pa > 0 && nB > 0 {
		c.LiftDefined = true
		c.Lift = pb/pa - 1
		varB := pb * (1 - pb) / fb
		varA := pa * (1 - pa) / fa
		if se := math.Sqrt(varB/(pa*pa) + pb*pb*varA/(pa*pa*pa*pa)); se > 0 {
			c.IntervalDefined = true
			c.LiftLow, c.LiftHigh = max(c.Lift-zConfidence*se, -1), c.Lift+zConfidence*se
		}
	}
	c.Significant = c.P < Alpha
	c.SmallSample = min(convA, nA-convA, convB, nB-convB) < SmallCount
	return c
}

func rate(conv, n int64) float64 {
	if n <= 0 {
		return 0
	}
	return float64(conv) / float64(n)
}
