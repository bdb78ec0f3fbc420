package messages

import "github.com/shopspring/decimal"

// ConversionKey identifies a conversion counter: goal, rollup key, bucket, site.
type ConversionKey struct {
	Goal   string
	Rollup string
	Bucket string
	Site   int64
}

// ImpressionKey identifies an impression counter of one test population.
type ImpressionKey struct {
	Test       string
	Population string
	Rollup     string
	Bucket     string
	Site       int64
}

// VariantConversionKey identifies a conversion counter of a goal within a test population.
type VariantConversionKey struct {
	Goal       string
	Test       string
	Population string
	Rollup     string
	Bucket     string
	Site       int64
}

// Counter is an additive count and value. Count may be negative (complex goals subtract).
// Squares is the sum over visitors of the square of each visitor's running total of the
// counter's values (docs/semantics.md, "Value squares"). It is kept (Valid) for the
// counters of per-visitor rollups (all time, cohorts) only: elsewhere a visitor's total
// is not one number, and Squares is not valid. All three add up across visitors, so
// merging is a plain sum; a counter has squares when either part has (the zero Counter
// has none).
type Counter struct {
	Count   int64
	Value   decimal.Decimal
	Squares decimal.NullDecimal
}

// Add returns c + d.
func (c Counter) Add(d Counter) Counter {
	return Counter{Count: c.Count + d.Count, Value: c.Value.Add(d.Value), Squares: AddSquares(c.Squares, d.Squares)}
}

// AddSquares returns a + b: valid when either is.
func AddSquares(a, b decimal.NullDecimal) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: a.Decimal.Add(b.Decimal), Valid: a.Valid || b.Valid}
}

// IsZero reports whether the counter adds nothing (whether or not it keeps squares).
func (c Counter) IsZero() bool {
	return c.Count == 0 && c.Value.IsZero() && c.Squares.Decimal.IsZero()
}

// TestMeta is what is known of a split test: first and last impression timestamps and
// the populations seen. Merging takes the minimum first, the maximum last and the union.
type TestMeta struct {
	First       int64
	Last        int64
	Populations map[string]struct{}
}

// GoalMeta is a goal's value type and format, fixed by the first conversion record of the
// goal in log order; At is the pointer of that record and decides between candidates.
type GoalMeta struct {
	ValueType   string
	ValueFormat string
	At          Pointer
}

// Deltas are counter increments and metadata produced by applying records. All maps may be
// nil when empty; use NewDeltas for a ready one.
type Deltas struct {
	Conversions        map[ConversionKey]Counter
	Impressions        map[ImpressionKey]int64
	VariantConversions map[VariantConversionKey]Counter
	Tests              map[string]TestMeta
	Goals              map[string]GoalMeta
}

// NewDeltas returns empty deltas with all maps allocated.
func NewDeltas() *Deltas {
	return &Deltas{
		Conversions:        map[ConversionKey]Counter{},
		Impressions:        map[ImpressionKey]int64{},
		VariantConversions: map[VariantConversionKey]Counter{},
		Tests:              map[string]TestMeta{},
		Goals:              map[string]GoalMeta{},
	}
}

// Empty reports whether d holds nothing.
func (d *Deltas) Empty() bool {
	return d == nil || len(d.Conversions)+len(d.Impressions)+len(d.VariantConversions)+len(d.Tests)+len(d.Goals) == 0
}

// AddConversion adds c to the conversion counter k.
func (d *Deltas) AddConversion(k ConversionKey, c Counter) {
	d.Conversions[k] = d.Conversions[k].Add(c)
}

// AddImpression adds n to the impression counter k.
func (d *Deltas) AddImpression(k ImpressionKey, n int64) {
	d.Impressions[k] += n
}

// AddVariantConversion adds c to the variant conversion counter k.
func (d *Deltas) AddVariantConversion(k VariantConversionKey, c Counter) {
	d.VariantConversions[k] = d.VariantConversions[k].Add(c)
}

// SeeTest merges one impression (or a whole TestMeta) of test into the metadata.
func (d *Deltas) SeeTest(test string, m TestMeta) {
	cur, ok := d.Tests[test]
	if !ok {
		pops := make(map[string]struct{}, len(m.Populations))
		for p := range m.Populations {
			pops[p] = struct{}{}
		}
		d.Tests[test] = TestMeta{First: m.First, Last: m.Last, Populations: pops}
		return
	}
	cur.First = min(cur.First, m.First)
	cur.Last = max(cur.Last, m.Last)
	for p := range m.Populations {
		cur.Populations[p] = struct{}{}
	}
	d.Tests[test] = cur
}

// SeeGoal records goal metadata; the candidate that stands first in the log wins.
func (d *Deltas) SeeGoal(goal string, m GoalMeta) {
	if cur, ok := d.Goals[goal]; ok && !m.At.Less(cur.At) {
		return
	}
	d.Goals[goal] = m
}

// Merge adds every delta of o into d. Merging is commutative and associative, so deltas of
// shards and epochs can be combined in any order.
func (d *Deltas) Merge(o *Deltas) {
	if o == nil {
		return
	}
	for k, c := range o.Conversions {
		d.AddConversion(k, c)
	}
	for k, n := range o.Impressions {
		d.AddImpression(k, n)
	}
	for k, c := range o.VariantConversions {
		d.AddVariantConversion(k, c)
	}
	for t, m := range o.Tests {
		d.SeeTest(t, m)
	}
	for g, m := range o.Goals {
		d.SeeGoal(g, m)
	}
}
