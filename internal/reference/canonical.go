package reference

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/messages"
)

// Canonical renders deltas as sorted lines, one per entry (zero entries included), with
// decimals written by value ("1.50" and "1.5" alike). Two deltas are identical when
// their canonical forms are equal.
func Canonical(d *messages.Deltas) []string {
	var lines []string
	for k, c := range d.Conversions {
		lines = append(lines, fmt.Sprintf("conversion goal=%q rollup=%q bucket=%q site=%d: count=%d value=%s squares=%s",
			k.Goal, k.Rollup, k.Bucket, k.Site, c.Count, c.Value.String(), squares(c.Squares)))
	}
	for k, n := range d.Impressions {
		lines = append(lines, fmt.Sprintf("impression test=%q population=%q rollup=%q bucket=%q site=%d: count=%d",
			k.Test, k.Population, k.Rollup, k.Bucket, k.Site, n))
	}
	for k, c := range d.VariantConversions {
		lines = append(lines, fmt.Sprintf("variant conversion goal=%q test=%q population=%q rollup=%q bucket=%q site=%d: count=%d value=%s squares=%s",
			k.Goal, k.Test, k.Population, k.Rollup, k.Bucket, k.Site, c.Count, c.Value.String(), squares(c.Squares)))
	}
	for name, m := range d.Tests {
		pops := make([]string, 0, len(m.Populations))
		for p := range m.Populations {
			pops = append(pops, p)
		}
		slices.Sort(pops)
		lines = append(lines, fmt.Sprintf("test %q: first=%d last=%d populations=%q", name, m.First, m.Last, pops))
	}
	for name, m := range d.Goals {
		lines = append(lines, fmt.Sprintf("goal %q: type=%q format=%q at=%s", name, m.ValueType, m.ValueFormat, m.At))
	}
	slices.Sort(lines)
	return lines
}

// squares renders value squares by value, "none" when the counter keeps none.
func squares(sq decimal.NullDecimal) string {
	if !sq.Valid {
		return "none"
	}
	return sq.Decimal.String()
}

// CanonicalNonZero is Canonical without counters that sum to nothing. A complex goal that
// is added and taken back leaves a zero row when both happen in different epochs and no
// row when they happen in one, so results split into epochs differently compare equal
// only in this form.
func CanonicalNonZero(d *messages.Deltas) []string {
	c := messages.NewDeltas()
	for k, v := range d.Conversions {
		if !v.IsZero() {
			c.Conversions[k] = v
		}
	}
	for k, v := range d.Impressions {
		if v != 0 {
			c.Impressions[k] = v
		}
	}
	for k, v := range d.VariantConversions {
		if !v.IsZero() {
			c.VariantConversions[k] = v
		}
	}
	c.Tests, c.Goals = d.Tests, d.Goals
	return Canonical(c)
}
