package visitor

import (
	mathbits "math/bits"
	"slices"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/shopspring/decimal"
)

// MaxQueue is the number of records held for a visitor not yet known to be human; when
// more arrive, the oldest are dropped.
const MaxQueue = 500

// Variant is a split-test population a visitor was shown.
type Variant struct {
	Test       string
	Population string
}

// A slot is one counter bucket: a rollup's bucket on a site. A history lists the slots
// its visitor was counted in, and its dedupe keys refer to them, and to goals and
// variants, by position: the keys are small integers, cheap to hash and compare and
// free of pointers, and the history's lists only ever grow.
type slot struct {
	rollup string
	bucket string
	site   int64
}

// Dedupe keys. A conversion key is goal<<32 | slot; an impression key is
// variant<<32 | slot. The variant conversion keys (goal, variant, slot) are kept with
// the conversion key (goal, slot) they extend: a visitor's variant conversion is only
// counted together with its conversion (docs/semantics.md, step 3), so one lookup serves both.
type (
	conversionKey uint64
	impressionKey uint64
)

func newConversionKey(goal, slot int) conversionKey {
	return conversionKey(uint64(uint32(goal))<<32 | uint64(uint32(slot)))
}

func newImpressionKey(variant, slot int) impressionKey {
	return impressionKey(uint64(uint32(variant))<<32 | uint64(uint32(slot)))
}

func (k conversionKey) parts() (goal, slot int)    { return int(k >> 32), int(uint32(k)) }
func (k impressionKey) parts() (variant, slot int) { return int(k >> 32), int(uint32(k)) }

// valueKey names a running total of a visitor's values: of a goal (by position in the
// history's goals) on a site, credited to no variant (variant 0) or to variant
// variant-1 (by position in the history's variants).
type valueKey struct {
	goal    uint32
	variant uint32
	site    int64
}

// complexKeys are the slots in which a complex goal last counted a visitor.
type complexKeys struct {
	name  string
	slots []uint32
}

// queued is a record waiting in the queue of a visitor not yet known to be human; it keeps
// only what the human path needs. Its strings depend on the kind and are read through the
// accessors below (one array rather than a field each keeps a queued record small).
type queued struct {
	kind  messages.Kind
	ts    int64
	site  int64
	ptr   messages.Pointer
	str   [3]string
	value decimal.Decimal
}

func (q *queued) ip() string          { return q.str[0] } // page
func (q *queued) userAgent() string   { return q.str[1] } // page
func (q *queued) goal() string        { return q.str[0] } // goal
func (q *queued) valueType() string   { return q.str[1] } // goal
func (q *queued) valueFormat() string { return q.str[2] } // goal
func (q *queued) test() string        { return q.str[0] } // split
func (q *queued) population() string  { return q.str[1] } // split

func queueRecord(r *messages.Record) queued {
	q := queued{kind: r.Kind, ts: r.Timestamp, site: r.Site, ptr: r.Ptr}
	switch r.Kind {
	case messages.KindPage:
		q.str = [3]string{r.IP, r.UserAgent}
	case messages.KindGoal:
		q.str = [3]string{r.Goal, r.ValueType, r.ValueFormat}
		if r.HasValue {
			q.value = r.Value
		}
	case messages.KindSplit:
		q.str = [3]string{r.Test, r.Population}
	}
	return q
}

// History is what is known of one visitor (docs/semantics.md): whether it is human, the records
// held until it is, its goals, variants, IP addresses and user agents (each in first-seen
// order), the counters it was already counted in, and the conversions each complex goal
// last added for it. The zero History, like NewHistory(), is a visitor never seen before.
//
// A history is kept small for the many visitors that never take the human path (robots):
// its held records and what the human path counts are each behind a pointer, nil while
// empty, so that a robot's history is a few words and its queue.
type History struct {
	// firstHuman is the timestamp of the visitor's first record processed on the human
	// path, when hasFirstHuman; firstHumanLost is set instead for a visitor that took the
	// human path before histories kept that timestamp (decoded from encoding version 1).
	firstHuman int64

	// queue holds the records of a visitor not yet known to be human; nil when none.
	queue *heldQueue

	// counted is what the human path recorded; nil until it recorded something.
	*counted

	human          bool
	hasFirstHuman  bool
	firstHumanLost bool
}

// counted is what a visitor's records on the human path left in its history. Its goals,
// variants and slots are the shard's refs (see ref for their invariant).
type counted struct {
	goals    orderedSet[*ref[string]]
	variants orderedSet[*ref[Variant]]
	ips      orderedSet[string]
	agents   orderedSet[string]
	slots    orderedSet[*ref[slot]]

	conversions orderedSet[conversionKey]
	// convVariants[i] has bit v set when variant v (< 64) was counted with conversion
	// key i; the variants from 64 on are in rare.
	convVariants []uint64
	impressions  orderedSet[impressionKey]

	// rare holds what few histories need; nil when empty.
	rare *rareCounts

	// totals[i] is the visitor's running total of the values of totalKeys.items[i]: the
	// sum of the values of its conversions on that goal and site (credited to that
	// variant). Only keys with a non-zero value added are listed.
	totalKeys orderedSet[valueKey]
	totals    []valueSum

	// slotHint remembers, per rollup position of the last Rules applied (the first
	// maxHints), the slot last used plus one (0: none); it only speeds up finding slots
	// and is not encoded.
	slotHint [maxHints]uint8
}

// maxHints is the number of rollups whose last slot a history remembers.
const maxHints = 8

// rareCounts is the part of what the human path counted that few visitors have.
type rareCounts struct {
	// convVariantsHigh holds the variants from 64 on counted with each conversion key,
	// by the key's position.
	convVariantsHigh map[int][]uint32
	// complex are the slots each complex goal last counted the visitor in.
	complex []complexKeys
}

// rareOnes returns the rare part, adding it if there is none.
func (c *counted) rareOnes() *rareCounts {
	if c.rare == nil {
		c.rare = new(rareCounts)
	}
	return c.rare
}

// complexes returns the slots remembered for complex goals.
func (c *counted) complexes() []complexKeys {
	if c.rare == nil {
		return nil
	}
	return c.rare.complex
}

// highOf returns the variants from 64 on counted with conversion key i.
func (c *counted) highOf(i int) []uint32 {
	if c.rare == nil {
		return nil
	}
	return c.rare.convVariantsHigh[i]
}

// noCounts is the empty counted part, read in place of a nil one.
var noCounts counted

// counts returns the counted part for reading: the empty one when there is none.
func (h *History) counts() *counted {
	if h.counted == nil {
		return &noCounts
	}
	return h.counted
}

// empty reports whether nothing was counted (the slot hint aside).
func (c *counted) empty() bool {
	return c.goals.len()+c.variants.len()+c.ips.len()+c.agents.len()+c.slots.len()+
		c.conversions.len()+c.impressions.len()+len(c.complexes())+c.totalKeys.len() == 0
}

// NewHistory returns the history of a visitor never seen before.
func NewHistory() *History { return &History{} }

// Human reports whether the visitor has loaded the tracking pixel.
func (h *History) Human() bool { return h.human }

// FirstUserAgent returns the first user agent the visitor was seen with (as a human).
func (h *History) FirstUserAgent() (string, bool) {
	if h.counted == nil || len(h.agents.items) == 0 {
		return "", false
	}
	return h.agents.items[0], true
}

// FirstHuman returns the timestamp of the visitor's first record processed on the human
// path; ok is false when there is none yet, or when the history was kept before that
// timestamp was (encoding version 1).
func (h *History) FirstHuman() (ts int64, ok bool) { return h.firstHuman, h.hasFirstHuman }

// noteHuman records ts as the first human timestamp if the visitor has none yet.
func (h *History) noteHuman(ts int64) {
	if !h.hasFirstHuman && !h.firstHumanLost {
		h.firstHuman, h.hasFirstHuman = ts, true
	}
}

// QueueLen returns the number of records held until the visitor proves human.
func (h *History) QueueLen() int { return h.queue.len() }

// Goals returns the goals the visitor converted on, in first-conversion order.
func (h *History) Goals() []string { return valuesOf(h.counts().goals.items) }

// Variants returns the test populations the visitor was shown, in first-seen order.
func (h *History) Variants() []Variant { return valuesOf(h.counts().variants.items) }

// valuesOf returns the values of refs, in order.
func valuesOf[T comparable](refs []*ref[T]) []T {
	var out []T
	for _, r := range refs {
		out = append(out, r.v)
	}
	return out
}

// IPs returns the visitor's IP addresses in first-seen order.
func (h *History) IPs() []string { return append([]string(nil), h.counts().ips.items...) }

// UserAgents returns the visitor's user agents in first-seen order.
func (h *History) UserAgents() []string { return append([]string(nil), h.counts().agents.items...) }

// hold queues a record, keeping only the newest MaxQueue; c shares its user agent.
func (h *History) hold(r *messages.Record, c *Counts) {
	if h.queue == nil {
		h.queue = new(heldQueue)
	}
	h.queue.push(r, c)
}

// takeQueue returns the held records in log order and empties the queue.
func (h *History) takeQueue() []queued {
	q := h.queue.records()
	h.queue = nil
	return q
}

// complexFor returns the remembered keys of complex goal name, or nil.
func (h *History) complexFor(name string) *complexKeys {
	cs := h.complexes()
	for i := range cs {
		if cs[i].name == name {
			return &cs[i]
		}
	}
	return nil
}

// rememberComplex replaces the slots remembered for complex goal name.
func (h *History) rememberComplex(name string, slots []uint32) {
	if c := h.complexFor(name); c != nil {
		c.slots = slots
		return
	}
	r := h.rareOnes()
	r.complex = append(r.complex, complexKeys{name: name, slots: slots})
}

// forgetComplex removes and returns the slots remembered for complex goal name.
func (h *History) forgetComplex(name string) []uint32 {
	for i, c := range h.complexes() {
		if c.name == name {
			h.rare.complex = append(h.rare.complex[:i], h.rare.complex[i+1:]...)
			return c.slots
		}
	}
	return nil
}

// addConversion adds the conversion key (goal, slot) if it is new, and returns its
// position and whether it was new.
func (h *History) addConversion(goal, slot int) (int, bool) {
	i, isNew := h.conversions.add(newConversionKey(goal, slot))
	if isNew {
		h.convVariants = append(h.convVariants, 0)
	}
	return i, isNew
}

// markVariant records variant v as counted with conversion key i, and reports whether
// it was new.
func (h *History) markVariant(i, v int) bool {
	if v < 64 {
		bit := uint64(1) << v
		if h.convVariants[i]&bit != 0 {
			return false
		}
		h.convVariants[i] |= bit
		return true
	}
	if slices.Contains(h.highOf(i), uint32(v)) {
		return false
	}
	r := h.rareOnes()
	if r.convVariantsHigh == nil {
		r.convVariantsHigh = map[int][]uint32{}
	}
	r.convVariantsHigh[i] = append(r.convVariantsHigh[i], uint32(v))
	return true
}

// variantsOf returns the variants counted with conversion key i, in ascending order
// below 64 and then in the order they were counted.
func (h *History) variantsOf(i int) []uint32 {
	var out []uint32
	for bits := h.convVariants[i]; bits != 0; bits &= bits - 1 {
		out = append(out, uint32(mathbits.TrailingZeros64(bits)))
	}
	return append(out, h.highOf(i)...)
}

// slotOf returns the position of the slot (rollup, bucket, site), adding c's ref of it if
// new; i is the rollup's position in the rules, for the hint.
func (h *History) slotOf(i int, c *Counts, rollup, bucket string, site int64) int {
	if i < maxHints {
		if j := int(h.slotHint[i]) - 1; j >= 0 && j < len(h.slots.items) {
			if s := &h.slots.items[j].v; s.site == site && s.bucket == bucket && s.rollup == rollup {
				return j
			}
		}
	}
	j := h.findSlot(c, rollup, bucket, site)
	if j < 0 {
		h.slots.push(c.slot(slot{rollup: rollup, bucket: bucket, site: site}))
		j = h.slots.len() - 1
	}
	if i < maxHints && j < 255 {
		h.slotHint[i] = uint8(j + 1)
	}
	return j
}

// findSlot returns the position of the slot (rollup, bucket, site), or -1: by comparing
// the few slots of most visitors, by c's ref and the set's index for the others.
func (h *History) findSlot(c *Counts, rollup, bucket string, site int64) int {
	if h.slots.index != nil {
		return h.slots.find(c.slot(slot{rollup: rollup, bucket: bucket, site: site}))
	}
	for j, r := range h.slots.items {
		if s := &r.v; s.site == site && s.bucket == bucket && s.rollup == rollup {
			return j
		}
	}
	return -1
}
