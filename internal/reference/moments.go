package reference

import (
	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/messages"
)

// Moments are a goal's sums over visitors, as persistence.Moments: the count, the value
// sum, and the sum of the squares of the visitors' totals, valid only when every counter
// summed keeps squares.
type Moments struct {
	Count   int64
	Sum     decimal.Decimal
	Squares decimal.NullDecimal
}

// add adds counter c.
func (m Moments) add(c messages.Counter, first bool) Moments {
	m.Count += c.Count
	m.Sum = m.Sum.Add(c.Value)
	m.Squares.Decimal = m.Squares.Decimal.Add(c.Squares.Decimal)
	m.Squares.Valid = c.Squares.Valid && (first || m.Squares.Valid)
	return m
}

// ConversionMoments sums the conversions of every goal in rollup whose bucket satisfies
// in (a single bucket, a cohort range) and at site (nil: every site), by goal.
func ConversionMoments(d *messages.Deltas, rollup string, in func(bucket string) bool, site *int64) map[string]Moments {
	out := map[string]Moments{}
	for k, c := range d.Conversions {
		if k.Rollup != rollup || !in(k.Bucket) || (site != nil && *site != k.Site) {
			continue
		}
		m, seen := out[k.Goal]
		out[k.Goal] = m.add(c, !seen)
	}
	return out
}

// TestMoments sums the variant conversions of test as ConversionMoments does, by
// population and goal.
func TestMoments(d *messages.Deltas, test, rollup string, in func(bucket string) bool, site *int64) map[[2]string]Moments {
	out := map[[2]string]Moments{}
	for k, c := range d.VariantConversions {
		if k.Test != test || k.Rollup != rollup || !in(k.Bucket) || (site != nil && *site != k.Site) {
			continue
		}
		key := [2]string{k.Population, k.Goal}
		m, seen := out[key]
		out[key] = m.add(c, !seen)
	}
	return out
}
