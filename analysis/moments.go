package analysis

import (
	"fmt"
	"math"

	"github.com/shopspring/decimal"
)

// moments are the figures of one population on one goal that every method uses.
type moments struct {
	units    int64   // denominator of the mean
	mean     float64 // rate or mean value per unit
	variance float64 // variance of one unit's value
	// Conversion goals only: the Beta posterior parameters.
	conversions int64
	exposures   int64
	// ok is false when the variance is unknown (a value goal without value squares).
	ok     bool
	reason string
}

func (m moments) stdErr() float64 {
	if m.units <= 0 {
		return 0
	}
	return math.Sqrt(m.variance / float64(m.units))
}

// metricOf returns the mean a value type analyses.
func metricOf(vt ValueType) (Metric, error) {
	switch vt {
	case NoValue:
		return ConversionRate, nil
	case Sum:
		return MeanPerExposed, nil
	case Average:
		return MeanPerConverter, nil
	case PerVisitor, Rate:
		return MeanPerPageVisitor, nil
	}
	return "", fmt.Errorf("value type %q is not one of \"\", S, A, I, R", vt)
}

// momentsOf computes the moments of counts c of a population with exposures n.
func momentsOf(metric Metric, n int64, c Counts) moments {
	m := moments{conversions: c.Conversions, exposures: n, ok: true}
	if c.Conversions > n && metric != MeanPerConverter {
		// Possible with a site filter: a visitor exposed on one site who converts on
		// another counts as a conversion there but not as an exposure.
		m.ok = false
		m.reason = fmt.Sprintf("%d conversions of %d exposed visitors (conversions on a site other than the exposure's?)", c.Conversions, n)
	}
	switch metric {
	case ConversionRate:
		m.units = n
		if n > 0 && m.ok {
			m.mean = float64(c.Conversions) / float64(n)
			m.variance = m.mean * (1 - m.mean)
		}
		return m
	case MeanPerExposed:
		m.units = n
	case MeanPerConverter:
		m.units = c.Conversions
	case MeanPerPageVisitor:
		m.units = c.Viewers
		if m.units == 0 {
			m.units = n
		}
	}
	if m.units <= 0 || !m.ok {
		return m
	}
	m.mean = c.Sum.InexactFloat64() / float64(m.units)
	if math.IsInf(m.mean, 0) {
		m.ok, m.reason, m.mean = false, "values too large for floating point", 0
		return m
	}
	if m.units == 1 {
		// One unit: the sample variance is undefined.
		m.ok, m.reason = false, "one unit has no sample variance"
		return m
	}
	if c.SumSquares.IsZero() && !c.Sum.IsZero() {
		m.ok, m.reason = false, "no value squares (the variance of the values is unknown)"
		return m
	}
	// The sample variance (Σx² − (Σx)²/u)/(u − 1), with the numerator
	// u·Σx² − (Σx)² computed exactly in decimals: no cancellation.
	u := decimal.NewFromInt(m.units)
	num := u.Mul(c.SumSquares).Sub(c.Sum.Mul(c.Sum))
	if num.IsNegative() {
		m.ok, m.reason = false, "value squares below the square of the sum over the units (inconsistent counts)"
		return m
	}
	m.variance = num.InexactFloat64() / (float64(m.units) * float64(m.units-1))
	if math.IsInf(m.variance, 0) {
		m.ok, m.reason, m.variance = false, "values too large for floating point", 0
	}
	return m
}

// validateCounts reports counts that cannot come from the store.
func validateCounts(goal, pop string, n int64, c Counts) error {
	switch {
	case c.Conversions < 0:
		return fmt.Errorf("goal %q, population %q: negative conversions %d", goal, pop, c.Conversions)
	case c.Viewers < 0:
		return fmt.Errorf("goal %q, population %q: negative viewers %d", goal, pop, c.Viewers)
	case c.SumSquares.IsNegative():
		return fmt.Errorf("goal %q, population %q: negative sum of squares %s", goal, pop, c.SumSquares)
	}
	return nil
}
