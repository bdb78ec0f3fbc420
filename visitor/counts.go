package visitor

import (
	"math"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/messages"
)

// Counts accumulates what the rules count, like a messages.Deltas, but with cheap keys:
// goal names, variants and counter slots are numbered as they first appear, and a
// counter is found by those small numbers instead of by hashing and comparing up to
// five strings. A shard keeps one Counts per epoch's work and turns it into Deltas at
// the barrier (Flush).
//
// The numbering outlives Flush, so that the next epoch finds the same names at once; it
// is dropped when it grows past maxInterned entries. A Counts belongs to one goroutine
// at a time. The zero Counts is ready to use.
type Counts struct {
	// num is the numbering of the refs below; goals, variants and slots are numbered
	// by it, and histories hold their refs.
	num      *numbering
	goals    refs[string]
	variants refs[Variant]
	slots    refs[slot]
	// names interns the user agents, goal names, tests and populations that histories
	// keep: a few distinct ones are shared by many visitors, and a history then holds
	// the shard's copy instead of its own.
	names map[string]string

	// Counters, in first-use order; the indexes give their positions: of a conversion
	// counter by (slot, goal), of a variant conversion counter by (its conversion
	// counter's position, variant), of an impression counter by (slot, variant). A
	// conversion counter is also made, unused, for a variant conversion that needs it.
	convAt  pairIndex
	conv    []convCount
	vconvAt pairIndex
	vconv   []vconvCount
	impAt   pairIndex
	imp     []impCount

	goalMeta []goalMeta // by goal id
	testMeta []testMeta // by variant id
	metaUsed []uint32   // goal ids whose goalMeta is set (in use order)
	testUsed []uint32   // variant ids whose testMeta is set

	// touched is set once a record took the human path: Flush then allocates the maps
	// of its Deltas, as Apply always did.
	touched bool
}

type convCount struct {
	goal, slot uint32
	used       bool // counted, rather than made for a variant conversion only
	c          counter
}

type vconvCount struct {
	conv    int32 // the position of its conversion counter, which has goal and slot
	variant uint32
	c       counter
}

// counter is a messages.Counter whose value is summed in an int64 coefficient while
// the sum fits, instead of allocating a new decimal for every addition.
type counter struct {
	count   int64
	sum     valueSum
	squares valueSum
	// perVisitor is set for the counters of per-visitor rollups, which keep squares.
	perVisitor bool
}

func (c *counter) message() messages.Counter {
	m := messages.Counter{Count: c.count, Value: c.sum.decimal()}
	if c.perVisitor {
		m.Squares = decimal.NullDecimal{Decimal: c.squares.decimal(), Valid: true}
	}
	return m
}

type impCount struct {
	variant, slot uint32
	n             int64
}

type goalMeta struct {
	m   messages.GoalMeta
	set bool
}

type testMeta struct {
	first, last int64
	set         bool
}

// maxInterned bounds the numbered names kept from one Flush to the next.
const maxInterned = 1 << 16

func (c *Counts) init() {
	c.num = new(numbering)
	c.goals, c.variants, c.slots = refs[string]{}, refs[Variant]{}, refs[slot]{}
	c.names = map[string]string{}
	c.convAt, c.vconvAt, c.impAt = pairIndex{}, pairIndex{}, pairIndex{}
	c.goalMeta, c.testMeta = nil, nil
}

// Empty reports whether c holds no counter or metadata.
func (c *Counts) Empty() bool {
	return len(c.conv)+len(c.vconv)+len(c.imp)+len(c.metaUsed)+len(c.testUsed) == 0
}

// goal returns the ref of goal name.
func (c *Counts) goal(name string) *ref[string] {
	r, isNew := c.goals.get(name, c.num, strings.Clone)
	if isNew {
		c.goalMeta = append(c.goalMeta, goalMeta{})
	}
	return r
}

// variant returns the ref of v.
func (c *Counts) variant(v Variant) *ref[Variant] {
	r, isNew := c.variants.get(v, c.num, cloneVariant)
	if isNew {
		c.testMeta = append(c.testMeta, testMeta{})
	}
	return r
}

// slot returns the ref of s.
func (c *Counts) slot(s slot) *ref[slot] {
	r, _ := c.slots.get(s, c.num, cloneSlot)
	return r
}

func cloneVariant(v Variant) Variant {
	return Variant{Test: strings.Clone(v.Test), Population: strings.Clone(v.Population)}
}

func cloneSlot(s slot) slot {
	return slot{rollup: strings.Clone(s.rollup), bucket: strings.Clone(s.bucket), site: s.site}
}

// shared returns the shard's copy of s.
func (c *Counts) shared(s string) string {
	if n, ok := c.names[s]; ok {
		return n
	}
	n := strings.Clone(s)
	c.names[n] = n
	return n
}

// convIndex returns the position of the conversion counter of (goal, slot), making it.
func (c *Counts) convIndex(goal, slot uint32) int32 {
	i, isNew := c.convAt.position(slot, goal, len(c.conv))
	if isNew {
		c.conv = append(c.conv, convCount{goal: goal, slot: slot})
	}
	return i
}

// conversion returns the conversion counter at position i (convIndex), to count in.
func (c *Counts) conversion(i int32) *counter {
	e := &c.conv[i]
	e.used = true
	return &e.c
}

// variantConversion returns the counter of variant's conversions with conversion counter
// conv (its goal and slot), creating it.
func (c *Counts) variantConversion(conv int32, variant uint32) *counter {
	i, isNew := c.vconvAt.position(uint32(conv), variant, len(c.vconv))
	if isNew {
		c.vconv = append(c.vconv, vconvCount{conv: conv, variant: variant})
	}
	return &c.vconv[i].c
}

// impression adds one to the impression counter of (variant, slot).
func (c *Counts) impression(variant, slot uint32) {
	i, isNew := c.impAt.position(slot, variant, len(c.imp))
	if isNew {
		c.imp = append(c.imp, impCount{variant: variant, slot: slot})
	}
	c.imp[i].n++
}

// seeGoal records goal metadata as Deltas.SeeGoal does: the candidate first in the log wins.
func (c *Counts) seeGoal(goal uint32, m messages.GoalMeta) {
	g := &c.goalMeta[goal]
	if g.set && !m.At.Less(g.m.At) {
		return
	}
	if !g.set {
		c.metaUsed = append(c.metaUsed, goal)
	}
	*g = goalMeta{m: m, set: true}
}

// seeTest records an impression of variant at ts in the test metadata.
func (c *Counts) seeTest(variant uint32, ts int64) {
	t := &c.testMeta[variant]
	if !t.set {
		*t = testMeta{first: ts, last: ts, set: true}
		c.testUsed = append(c.testUsed, variant)
		return
	}
	t.first, t.last = min(t.first, ts), max(t.last, ts)
}

// Flush adds everything c holds to d, as the same records applied with Rules.Apply to
// d would have, and empties c. Nil maps of d are allocated as needed.
func (c *Counts) Flush(d *messages.Deltas) {
	if c.touched || !c.Empty() {
		allocate(d)
	}
	for i := range c.conv {
		e := &c.conv[i]
		if !e.used {
			continue
		}
		s := c.slots.value(e.slot)
		k := messages.ConversionKey{Goal: *c.goals.value(e.goal), Rollup: s.rollup, Bucket: s.bucket, Site: s.site}
		d.Conversions[k] = addCounter(d.Conversions[k], e.c.message())
	}
	for i := range c.vconv {
		e := &c.vconv[i]
		conv := &c.conv[e.conv]
		s, v := c.slots.value(conv.slot), c.variants.value(e.variant)
		k := messages.VariantConversionKey{Goal: *c.goals.value(conv.goal), Test: v.Test, Population: v.Population,
			Rollup: s.rollup, Bucket: s.bucket, Site: s.site}
		d.VariantConversions[k] = addCounter(d.VariantConversions[k], e.c.message())
	}
	for i := range c.imp {
		e := &c.imp[i]
		s, v := c.slots.value(e.slot), c.variants.value(e.variant)
		d.Impressions[messages.ImpressionKey{Test: v.Test, Population: v.Population, Rollup: s.rollup, Bucket: s.bucket, Site: s.site}] += e.n
	}
	for _, g := range c.metaUsed {
		d.SeeGoal(*c.goals.value(g), c.goalMeta[g].m)
		c.goalMeta[g] = goalMeta{}
	}
	for _, vi := range c.testUsed {
		t, v := &c.testMeta[vi], c.variants.value(vi)
		seeTest(d, v.Test, v.Population, t.first)
		seeTest(d, v.Test, v.Population, t.last)
		c.testMeta[vi] = testMeta{}
	}
	c.reset()
}

// reset empties the counters and keeps the numbering unless it has grown too large.
func (c *Counts) reset() {
	for _, e := range c.conv {
		c.convAt.forget(e.slot, e.goal)
	}
	for _, e := range c.vconv {
		c.vconvAt.forget(uint32(e.conv), e.variant)
	}
	for _, e := range c.imp {
		c.impAt.forget(e.slot, e.variant)
	}
	c.conv, c.vconv, c.imp = c.conv[:0], c.vconv[:0], c.imp[:0]
	c.metaUsed, c.testUsed = c.metaUsed[:0], c.testUsed[:0]
	c.touched = false
	if c.num == nil || c.goals.len()+c.variants.len()+c.slots.len()+len(c.names) > maxInterned {
		c.init()
	}
}

// addCounter returns sum + n, adding values as the rules do (a first value is taken as
// it is).
func addCounter(sum, n messages.Counter) messages.Counter {
	sum.Count += n.Count
	if n.Value.Sign() != 0 {
		sum.Value = addValue(sum.Value, n.Value)
	}
	if n.Squares.Valid {
		sum.Squares.Valid = true
		if n.Squares.Decimal.Sign() != 0 {
			sum.Squares.Decimal = addValue(sum.Squares.Decimal, n.Squares.Decimal)
		}
	}
	return sum
}

// ready prepares the zero Counts for use.
func (c *Counts) ready() {
	if c.num == nil {
		c.init()
	}
}

// valueSum is a sum of decimals built as addValue builds it: the first non-zero value
// (or the first after the sum came back to zero) is taken as it is, and every later one
// is added exactly at the smaller of the two exponents. While the coefficient fits in an
// int64 the sum is kept as coefficient and exponent; after that as a decimal.
type valueSum struct {
	coef int64
	exp  int32
	big  *decimal.Decimal // the sum, once it no longer fits (the sum is wide)
}

// wide reports whether the sum is kept as a decimal.
func (s *valueSum) wide() bool { return s.big != nil }

// smallValue is a decimal's coefficient and exponent, when the coefficient has at most
// 18 digits.
type smallValue struct {
	coef int64
	exp  int32
	ok   bool
}

func smallOf(v decimal.Decimal) smallValue {
	if v.NumDigits() > 18 {
		return smallValue{}
	}
	return smallValue{coef: v.CoefficientInt64(), exp: v.Exponent(), ok: true}
}

// add adds v, whose smallOf is sv.
func (s *valueSum) add(v decimal.Decimal, sv smallValue) {
	if sv.ok && s.addSmall(sv) {
		return
	}
	s.addWide(v)
}

// addSmall adds sv in int64 arithmetic and reports whether it could (the sum is not wide,
// and the result fits).
func (s *valueSum) addSmall(sv smallValue) bool {
	if !s.wide() {
		if s.coef == 0 {
			s.coef, s.exp = sv.coef, sv.exp
			return true
		}
		a, b, exp := s.coef, sv.coef, s.exp
		ok := true
		switch {
		case s.exp > sv.exp:
			a, ok = scale(a, s.exp-sv.exp)
			exp = sv.exp
		case sv.exp > s.exp:
			b, ok = scale(b, sv.exp-s.exp)
		}
		// a + b overflows only when both have the same sign and the sum has not.
		if sum := a + b; ok && ((a < 0) != (b < 0) || (sum < 0) == (a < 0)) {
			s.coef, s.exp = sum, exp
			return true
		}
	}
	return false
}

// addWide adds v as a decimal, switching the sum to one.
func (s *valueSum) addWide(v decimal.Decimal) {
	var sum decimal.Decimal
	if s.wide() {
		sum = addValue(*s.big, v)
	} else {
		sum = addValue(s.decimalOfCoef(), v)
	}
	s.big = &sum // a new one: copies of s share the old
}

// decimal returns the sum; zero when nothing non-zero was added.
func (s *valueSum) decimal() decimal.Decimal {
	if s.wide() {
		return *s.big
	}
	return s.decimalOfCoef()
}

func (s *valueSum) decimalOfCoef() decimal.Decimal {
	if s.coef == 0 {
		return decimal.Decimal{}
	}
	return decimal.New(s.coef, s.exp)
}

// scale returns c·10^k and whether it fits in an int64.
func scale(c int64, k int32) (int64, bool) {
	for ; k > 0; k-- {
		if c > math.MaxInt64/10 || c < math.MinInt64/10 {
			return 0, false
		}
		c *= 10
	}
	return c, true
}
