package visitor

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/shopspring/decimal"
)

// maxStackRollups is the number of rollups whose buckets Apply keeps on the stack.
const maxStackRollups = 16

// Rules are the rollups and complex goals that records are counted under. Build them
// with NewRules, which checks them; a Rules literal works too, unchecked. They must not
// be changed after first use, and are safe for concurrent use.
type Rules struct {
	Rollups []rollups.Rollup
	Complex []ComplexGoal

	once       sync.Once
	keys       []string             // rollup keys, as Rollups
	perVisitor []bool               // rollups.PerVisitor, as Rollups: their counters keep value squares
	squares    bool                 // some rollup is per visitor
	byGoal     map[string][]goalUse // complex goals each goal takes part in, in Complex order
	counts     sync.Pool            // *Counts for Apply
}

// goalUse says how a goal takes part in complex goal Complex[index].
type goalUse struct {
	index     int
	inInclude bool
	inExclude bool
}

// NewRules checks and prepares rollups and complex goals. Rollup keys must be distinct,
// and so must complex goal names; every complex goal needs a name and an include goal.
func NewRules(rs []rollups.Rollup, cs []ComplexGoal) (*Rules, error) {
	r := &Rules{Rollups: slices.Clone(rs), Complex: make([]ComplexGoal, len(cs))}
	seen := map[string]bool{}
	for i, ru := range rs {
		if ru == nil {
			return nil, fmt.Errorf("rollup %d is nil", i)
		}
		k := ru.Key()
		if k == "" {
			return nil, fmt.Errorf("rollup %d has an empty key", i)
		}
		if seen[k] {
			return nil, fmt.Errorf("two rollups have the key %q", k)
		}
		seen[k] = true
	}
	names := map[string]bool{}
	for i, c := range cs {
		if err := c.validate(); err != nil {
			return nil, fmt.Errorf("complex goal %q: %w", c.Name, err)
		}
		if names[c.Name] {
			return nil, fmt.Errorf("two complex goals are named %q", c.Name)
		}
		names[c.Name] = true
		r.Complex[i] = ComplexGoal{Name: c.Name, Include: slices.Clone(c.Include), Exclude: slices.Clone(c.Exclude)}
	}
	r.once.Do(r.prepare)
	return r, nil
}

// prepare derives the lookup tables Apply uses.
func (r *Rules) prepare() {
	r.keys = make([]string, len(r.Rollups))
	r.perVisitor = make([]bool, len(r.Rollups))
	for i, ru := range r.Rollups {
		r.keys[i] = ru.Key()
		_, r.perVisitor[i] = ru.(rollups.PerVisitor)
		r.squares = r.squares || r.perVisitor[i]
	}
	r.byGoal = map[string][]goalUse{}
	for i, c := range r.Complex {
		uses := map[string]goalUse{}
		var order []string
		for _, g := range slices.Concat(c.Include, c.Exclude) {
			if _, ok := uses[g]; !ok {
				order = append(order, g)
				uses[g] = goalUse{index: i, inInclude: slices.Contains(c.Include, g), inExclude: slices.Contains(c.Exclude, g)}
			}
		}
		for _, g := range order {
			r.byGoal[g] = append(r.byGoal[g], uses[g])
		}
	}
}

// String describes the rules: rollup keys and complex goals.
func (r *Rules) String() string {
	r.once.Do(r.prepare)
	var b strings.Builder
	b.WriteString("rollups [" + strings.Join(r.keys, " ") + "]")
	for _, c := range r.Complex {
		b.WriteString(" complex " + c.String())
	}
	return b.String()
}

// Apply applies one record to its visitor's history h and adds what it counts to d
// (docs/semantics.md). Records of a visitor must be applied in log order. A pixel makes the
// visitor human and replays its queued records (only the first pixel does); other
// records are processed at once for a human visitor and queued otherwise. Records of an
// unknown kind are ignored. Apply keeps no reference to rec, only to its strings. Nil
// maps of d are allocated as needed.
func (r *Rules) Apply(h *History, rec *messages.Record, d *messages.Deltas) {
	c, _ := r.counts.Get().(*Counts)
	if c == nil {
		c = new(Counts)
	}
	r.ApplyCounts(h, rec, c)
	c.Flush(d)
	r.counts.Put(c)
}

// ApplyCounts is Apply adding to c instead of to a Deltas: applying records with
// ApplyCounts and then flushing c into a Deltas gives the Deltas that Apply would have.
// It is the faster way to apply many records (a pipeline epoch).
func (r *Rules) ApplyCounts(h *History, rec *messages.Record, c *Counts) {
	r.once.Do(r.prepare)
	switch rec.Kind {
	case messages.KindPixel:
		if h.human {
			return
		}
		h.human = true
		q := h.takeQueue()
		for i := range q {
			r.humanPath(h, &q[i], c)
		}
	case messages.KindPage, messages.KindGoal, messages.KindSplit:
		if !h.human {
			c.ready()
			h.hold(rec, c)
			return
		}
		ev := queueRecord(rec)
		r.humanPath(h, &ev, c)
	}
}

// humanPath processes one record of a human visitor. The first one fixes the visitor's
// first human timestamp, before any bucket is chosen, so that cohort rollups put every
// count of the visitor, this record's too, in the bucket of its arrival.
func (r *Rules) humanPath(h *History, ev *queued, c *Counts) {
	c.ready()
	c.touched = true
	if h.counted == nil {
		h.counted = new(counted)
	} else if !h.numberedBy(c.num) {
		h.renumber(c)
	}
	h.noteHuman(ev.ts)
	var stack [maxStackRollups]uint32
	var slots []uint32
	if len(r.Rollups) <= maxStackRollups {
		slots = stack[:len(r.Rollups)]
	} else {
		slots = make([]uint32, len(r.Rollups))
	}

	switch ev.kind {
	case messages.KindPage:
		if !h.ips.has(ev.ip()) {
			h.ips.pushFirst(strings.Clone(ev.ip()), 1)
		}
		if !h.agents.has(ev.userAgent()) {
			h.agents.pushFirst(c.shared(ev.userAgent()), 1)
		}
		r.fillSlots(slots, ev, h, c)
		r.convert(h, c, ev, messages.ViewedPage, decimal.Decimal{}, "", "", slots)
	case messages.KindGoal:
		r.fillSlots(slots, ev, h, c)
		r.convert(h, c, ev, ev.goal(), ev.value, ev.valueType(), ev.valueFormat(), slots)
	case messages.KindSplit:
		r.fillSlots(slots, ev, h, c)
		r.impress(h, c, ev, slots)
	}
}

func allocate(d *messages.Deltas) {
	if d.Conversions == nil {
		d.Conversions = map[messages.ConversionKey]messages.Counter{}
	}
	if d.Impressions == nil {
		d.Impressions = map[messages.ImpressionKey]int64{}
	}
	if d.VariantConversions == nil {
		d.VariantConversions = map[messages.VariantConversionKey]messages.Counter{}
	}
	if d.Tests == nil {
		d.Tests = map[string]messages.TestMeta{}
	}
	if d.Goals == nil {
		d.Goals = map[string]messages.GoalMeta{}
	}
}

// fillSlots finds the slot of every rollup's bucket for the record.
func (r *Rules) fillSlots(slots []uint32, ev *queued, h *History, c *Counts) {
	for i, ru := range r.Rollups {
		slots[i] = uint32(h.slotOf(i, c, r.keys[i], ru.Bucket(ev.ts, h), ev.site))
	}
}

// convert records a conversion of goal with value v (docs/semantics.md, "A conversion").
func (r *Rules) convert(h *History, c *Counts, ev *queued, goal string, v decimal.Decimal, valueType, valueFormat string, slots []uint32) {
	gr := c.goal(goal)
	g := gr.id
	c.seeGoal(g, messages.GoalMeta{ValueType: valueType, ValueFormat: valueFormat, At: ev.ptr})

	gi := h.goals.find(gr)
	if gi < 0 {
		h.goals.push(gr)
		gi = h.goals.len() - 1
		r.evaluateComplex(h, c, goal, slots)
	}
	val := convValue{v: v, has: v.Sign() != 0}
	if val.has {
		val.small = smallOf(v)
	}
	hasValue := val.has

	// The counters' numbers of the visitor's variants, found once for all slots.
	var stack [16]uint32
	variants := stack[:0]
	for _, vr := range h.variants.items {
		variants = append(variants, vr.id)
	}

	// How the squares of the visitor's running totals grow, for the per-visitor rollups:
	// growth[0] of the goal's total, growth[1+vi] of its total credited to variant vi.
	var growthStack [17]growth
	var sq []growth
	if hasValue && r.squares {
		sq = growSquares(growthStack[:0], h, gi, ev.site, v, val.small, len(variants))
	}

	for i, si := range slots {
		ci, isNew := h.addConversion(gi, int(si))
		conv := int32(-1) // the counter's position, found when needed
		perVisitor := r.perVisitor[i]
		if isNew || hasValue {
			conv = c.convIndex(g, h.slots.items[si].id)
			c.conversion(conv).add(isNew, perVisitor, &val, sq, 0)
		}
		for vi, vid := range variants {
			isNew := h.markVariant(ci, vi)
			if !isNew && !hasValue {
				continue
			}
			if conv < 0 {
				conv = c.convIndex(g, h.slots.items[si].id)
			}
			c.variantConversion(conv, vid).add(isNew, perVisitor, &val, sq, 1+vi)
		}
	}
}

// convValue is a conversion's value, when it has one (not zero), and its smallOf.
type convValue struct {
	v     decimal.Decimal
	small smallValue
	has   bool
}

// add counts one conversion in n: the visitor when isNew, the value when there is one,
// and, in a counter of a per-visitor rollup, the growth squares[k] of the visitor's square.
func (n *counter) add(isNew, perVisitor bool, v *convValue, squares []growth, k int) {
	n.perVisitor = perVisitor
	if isNew {
		n.count++
	}
	if v.has {
		n.sum.add(v.v, v.small)
		if perVisitor {
			n.squares.addGrowth(squares[k])
		}
	}
}

// growSquares adds v to the visitor's running total of goal gi on site and to its
// totals credited to each of the visitor's first n variants, and appends to out how
// their squares grew (the goal's first, then the variants' in order).
func growSquares(out []growth, h *History, gi int, site int64, v decimal.Decimal, sv smallValue, n int) []growth {
	for vi := range n + 1 {
		out = append(out, h.addToTotal(gi, vi, site, v, sv))
	}
	return out
}

// isPerVisitor reports whether the rollup of key is per visitor (rollups.PerVisitor).
func (r *Rules) isPerVisitor(key string) bool {
	for i, k := range r.keys {
		if k == key {
			return r.perVisitor[i]
		}
	}
	return false
}

// evaluateComplex runs the complex goals goal takes part in, just after the visitor's
// first conversion on it (docs/semantics.md, "Complex goals").
func (r *Rules) evaluateComplex(h *History, c *Counts, goal string, slots []uint32) {
	for _, use := range r.byGoal[goal] {
		cg := &r.Complex[use.index]
		if use.inInclude && h.hasAll(cg.Include) {
			g := c.goal(cg.Name).id
			for i, si := range slots {
				n := c.conversion(c.convIndex(g, h.slots.items[si].id))
				n.count++
				n.perVisitor = r.perVisitor[i]
			}
			h.rememberComplex(cg.Name, slices.Clone(slots))
		}
		if use.inExclude && h.onlyExcluded(cg.Exclude, goal) {
			g := c.goal(cg.Name).id
			for _, si := range h.forgetComplex(cg.Name) {
				sl := h.slots.items[si]
				n := c.conversion(c.convIndex(g, sl.id))
				n.count--
				n.perVisitor = r.isPerVisitor(sl.v.rollup)
			}
		}
	}
}

// addValue returns sum + v. Decimals are immutable, so a first value is taken as it is
// instead of being added to zero, which would allocate.
func addValue(sum, v decimal.Decimal) decimal.Decimal {
	if sum.Sign() == 0 {
		return v
	}
	return sum.Add(v)
}

// hasAll reports whether the visitor converted on every goal of names.
func (h *History) hasAll(names []string) bool {
	for _, n := range names {
		if findValue(h.goals.items, n) < 0 {
			return false
		}
	}
	return true
}

// onlyExcluded reports whether goal is the only goal of exclude the visitor converted on.
func (h *History) onlyExcluded(exclude []string, goal string) bool {
	for _, n := range exclude {
		if n != goal && findValue(h.goals.items, n) >= 0 {
			return false
		}
	}
	return true
}

// impress records an impression of a test population (docs/semantics.md, "An impression").
func (r *Rules) impress(h *History, c *Counts, ev *queued, slots []uint32) {
	vr := c.variant(Variant{Test: ev.test(), Population: ev.population()})
	vi := h.variants.find(vr)
	if vi < 0 {
		h.variants.push(vr)
		vi = h.variants.len() - 1
	}
	c.seeTest(vr.id, ev.ts)

	for _, si := range slots {
		if _, isNew := h.impressions.add(newImpressionKey(vi, int(si))); isNew {
			c.impression(vr.id, h.slots.items[si].id)
		}
	}
}

// seeTest merges one impression at ts into the test metadata, as Deltas.SeeTest does,
// without building a population set when the population is already known.
func seeTest(d *messages.Deltas, test, pop string, ts int64) {
	if cur, ok := d.Tests[test]; ok {
		if _, known := cur.Populations[pop]; known {
			if ts < cur.First || ts > cur.Last {
				cur.First, cur.Last = min(cur.First, ts), max(cur.Last, ts)
				d.Tests[test] = cur
			}
			return
		}
	}
	d.SeeTest(test, messages.TestMeta{First: ts, Last: ts, Populations: map[string]struct{}{pop: {}}})
}
