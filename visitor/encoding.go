package visitor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	mathbits "math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/shopspring/decimal"
)

// EncodingVersion is the version byte that starts an encoded history.
//
// Version 2 layout (uvarint: unsigned LEB128; varint: zig-zag signed; str: uvarint index
// into the string table; list: uvarint count, then the items; decimal: varint exponent,
// uvarint length, decimal digits of the coefficient, with a leading '-' when negative):
//
//	byte      version (2)
//	uvarint   flags (bit 0: human; bit 1: the first human timestamp follows; bit 2: the
//	          visitor took the human path before its first human timestamp was kept)
//	[varint   first human timestamp, with flag bit 1]
//	list      string table: uvarint length, bytes
//	list      goals: str
//	list      variants: str test, str population
//	list      IPs: str
//	list      user agents: str
//	list      slots (counter buckets): str rollup key, str bucket, varint site
//	list      conversion keys: uvarint goal index, uvarint slot index, and the variant
//	          conversion keys extending it: list of uvarint variant index
//	list      impression keys: uvarint variant index, uvarint slot index
//	list      complex goals: str name, list of uvarint slot index
//	list      running value totals: uvarint goal index, uvarint variant (0: none, else
//	          variant index + 1), varint site, decimal total (may be 0)
//	list      queued records, oldest first: byte kind, varint timestamp, varint site,
//	          varint pointer file, varint pointer offset, then
//	            page:  str IP, str user agent
//	            goal:  str name, str value type, str value format, byte has value,
//	                   [decimal value, not 0]
//	            split: str test, str population
//
// Version 1 is version 2 without the first human timestamp (flag bits 1 and 2) and
// without the running value totals; it still decodes: the totals start at zero, and a
// human visitor with goals, variants or addresses is marked as having taken the human
// path at an unknown time.
//
// Lists and keys appear in insertion order, so equal histories built the same way encode
// to equal bytes.
const EncodingVersion = 2

const (
	flagHuman = 1 << iota
	flagFirstHuman
	flagFirstHumanLost
	knownFlags   = flagHuman | flagFirstHuman | flagFirstHumanLost
	knownFlagsV1 = flagHuman
)

// Bounds on a decoded goal value, generous for any value a log line can hold.
const (
	maxCoefficientDigits = 1024
	maxExponent          = 4096
)

// MarshalBinary encodes the history (format: EncodingVersion).
func (h *History) MarshalBinary() ([]byte, error) { return h.AppendBinary(nil) }

// encoders recycles the scratch space of AppendBinary.
var encoders = sync.Pool{New: func() any { return new(encoder) }}

// AppendBinary appends the encoding of the history (format: EncodingVersion) to b and
// returns the extended slice. Encoding many histories into one buffer saves an
// allocation per history.
func (h *History) AppendBinary(b []byte) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer e.release()
	hc := h.counts()
	putList(e, hc.goals.items, func(g *ref[string]) { e.str(g.v) })
	putList(e, hc.variants.items, func(v *ref[Variant]) {
		e.str(v.v.Test)
		e.str(v.v.Population)
	})
	putList(e, hc.ips.items, e.str)
	putList(e, hc.agents.items, e.str)
	putList(e, hc.slots.items, func(sl *ref[slot]) {
		e.str(sl.v.rollup)
		e.str(sl.v.bucket)
		e.varint(sl.v.site)
	})
	e.uvarint(uint64(len(hc.conversions.items)))
	for i, k := range hc.conversions.items {
		goal, sl := k.parts()
		e.uvarint(uint64(goal))
		e.uvarint(uint64(sl))
		low, high := hc.convVariants[i], hc.highOf(i)
		e.uvarint(uint64(mathbits.OnesCount64(low) + len(high)))
		for ; low != 0; low &= low - 1 {
			e.uvarint(uint64(mathbits.TrailingZeros64(low)))
		}
		for _, v := range high {
			e.uvarint(uint64(v))
		}
	}
	e.uvarint(uint64(len(hc.impressions.items)))
	for _, k := range hc.impressions.items {
		variant, sl := k.parts()
		e.uvarint(uint64(variant))
		e.uvarint(uint64(sl))
	}
	e.uvarint(uint64(len(hc.complexes())))
	for _, c := range hc.complexes() {
		e.str(c.name)
		e.uvarint(uint64(len(c.slots)))
		for _, sl := range c.slots {
			e.uvarint(uint64(sl))
		}
	}
	e.uvarint(uint64(len(hc.totalKeys.items)))
	for i, k := range hc.totalKeys.items {
		e.uvarint(uint64(k.goal))
		e.uvarint(uint64(k.variant))
		e.varint(k.site)
		e.sum(&hc.totals[i])
	}
	h.queue.appendTo(e)

	var flags uint64
	if h.human {
		flags |= flagHuman
	}
	if h.hasFirstHuman {
		flags |= flagFirstHuman
	}
	if h.firstHumanLost {
		flags |= flagFirstHumanLost
	}
	size := 1 + binary.MaxVarintLen64*3 + len(e.body)
	for _, s := range e.table.items {
		size += binary.MaxVarintLen32 + len(s)
	}
	out := slices.Grow(b, size)
	out = append(out, EncodingVersion)
	out = binary.AppendUvarint(out, flags)
	if h.hasFirstHuman {
		out = binary.AppendVarint(out, h.firstHuman)
	}
	out = binary.AppendUvarint(out, uint64(len(e.table.items)))
	for _, s := range e.table.items {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return append(out, e.body...), nil
}

// putList writes a list: its length, then each item with put.
func putList[T any](e *encoder, items []T, put func(T)) {
	e.uvarint(uint64(len(items)))
	for _, it := range items {
		put(it)
	}
}

type encoder struct {
	body  []byte
	table orderedSet[string]
}

// release empties e and gives it back to the pool, unless it grew too large to keep.
func (e *encoder) release() {
	if cap(e.body) > 64<<10 || len(e.table.items) > 1024 {
		return
	}
	e.body = e.body[:0]
	clear(e.table.items)
	e.table.items = e.table.items[:0]
	e.table.index = nil
	encoders.Put(e)
}

func (e *encoder) uvarint(v uint64) { e.body = binary.AppendUvarint(e.body, v) }
func (e *encoder) varint(v int64)   { e.body = binary.AppendVarint(e.body, v) }

func (e *encoder) str(s string) {
	i, _ := e.table.add(s)
	e.uvarint(uint64(i))
}

// sum writes s as decimal writes s.decimal(), without a big integer while s fits in an
// int64.
func (e *encoder) sum(s *valueSum) {
	if s.wide() || s.coef == 0 {
		e.decimal(s.decimal())
		return
	}
	e.varint(int64(s.exp))
	var buf [20]byte
	e.digits(strconv.AppendInt(buf[:0], s.coef, 10))
}

// digits writes a decimal's coefficient digits: their length, then them.
func (e *encoder) digits(d []byte) {
	e.uvarint(uint64(len(d)))
	e.body = append(e.body, d...)
}

// decimal writes v; zero is written as 0 with exponent 0, whatever its exponent.
func (e *encoder) decimal(v decimal.Decimal) {
	if v.Sign() == 0 {
		v = decimal.Decimal{}
	}
	e.varint(int64(v.Exponent()))
	e.digits([]byte(v.Coefficient().String()))
}

// ErrCorrupt is wrapped by every error UnmarshalBinary returns for malformed input.
var ErrCorrupt = errors.New("corrupt visitor history")

// UnmarshalBinary replaces h with the history encoded in data. On error h is left
// unchanged.
func (h *History) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("%w: empty input", ErrCorrupt)
	}
	version := data[0]
	if version != 1 && version != EncodingVersion {
		return fmt.Errorf("%w: unknown encoding version %d (want 1 or %d)", ErrCorrupt, version, EncodingVersion)
	}
	d := decoder{s: string(data[1:])}
	n := History{counted: new(counted)}

	flags := d.uvarint()
	known := uint64(knownFlags)
	if version == 1 {
		known = knownFlagsV1
	}
	if flags&^known != 0 && d.err == nil {
		d.fail("unknown flags %#x", flags)
	}
	n.human = flags&flagHuman != 0
	n.hasFirstHuman = flags&flagFirstHuman != 0
	n.firstHumanLost = flags&flagFirstHumanLost != 0
	if n.hasFirstHuman {
		n.firstHuman = d.varint()
	}
	if d.err == nil && (n.hasFirstHuman || n.firstHumanLost) && (!n.human || n.hasFirstHuman == n.firstHumanLost) {
		d.fail("bad first human flags %#x", flags)
	}

	tableLen := d.count(1)
	d.table = make([]string, 0, tableLen)
	for range tableLen {
		l := d.count(1)
		if d.err != nil {
			break
		}
		d.table = append(d.table, d.s[d.off:d.off+l])
		d.off += l
	}

	decodeKeys(&d, &n)
	if version > 1 {
		decodeTotals(&d, &n)
	} else if n.human && len(n.goals.items)+len(n.variants.items)+len(n.ips.items) > 0 {
		// The visitor took the human path (a page adds an address, a goal a goal, a
		// split a variant) before its first human timestamp was kept.
		n.firstHumanLost = true
	}
	decodeQueue(&d, &n)
	if d.err == nil && d.off != len(d.s) {
		d.fail("%d trailing bytes", len(d.s)-d.off)
	}
	if d.err != nil {
		return d.err
	}
	if n.counted.empty() {
		n.counted = nil
	}
	*h = n
	return nil
}

// decodeKeys reads the goals, variants, addresses, agents and slots of n and the counter
// keys it was counted in.
func decodeKeys(d *decoder, n *History) {
	if g, ok := readRefs(d, &n.goals, 1, d.str); !ok {
		d.fail("goal %q listed twice", g)
	}
	if v, ok := readRefs(d, &n.variants, 2, func() Variant { return Variant{Test: d.str(), Population: d.str()} }); !ok {
		d.fail("variant %q/%q listed twice", v.Test, v.Population)
	}
	for _, set := range []*orderedSet[string]{&n.ips, &n.agents} {
		for range d.count(1) {
			s := d.str()
			if d.err == nil && !addNew(set, s) {
				d.fail("address or user agent %q listed twice", s)
			}
		}
	}
	if sl, ok := readRefs(d, &n.slots, 3, func() slot { return slot{rollup: d.str(), bucket: d.str(), site: d.varint()} }); !ok {
		d.fail("slot %q/%q/%d listed twice", sl.rollup, sl.bucket, sl.site)
	}
	for range d.count(3) {
		goal, sl := d.index(len(n.goals.items), "goal"), d.index(len(n.slots.items), "slot")
		i, isNew := n.addConversion(goal, sl)
		if d.err == nil && !isNew {
			d.fail("conversion key listed twice")
		}
		for range d.count(1) {
			v := d.index(len(n.variants.items), "variant")
			if d.err == nil && !n.markVariant(i, v) {
				d.fail("variant %d listed twice for a conversion key", v)
			}
		}
	}
	for range d.count(2) {
		k := newImpressionKey(d.index(len(n.variants.items), "variant"), d.index(len(n.slots.items), "slot"))
		if d.err == nil && !addNew(&n.impressions, k) {
			d.fail("impression key listed twice")
		}
	}
	for range d.count(2) {
		name := d.str()
		m := d.count(1)
		slots := make([]uint32, 0, m)
		for range m {
			slots = append(slots, uint32(d.index(len(n.slots.items), "slot")))
		}
		if d.err == nil && n.complexFor(name) != nil {
			d.fail("complex goal %q listed twice", name)
		}
		r := n.rareOnes()
		r.complex = append(r.complex, complexKeys{name: name, slots: slots})
	}
}

// decodeQueue reads the records queued for n, which must not be human.
func decodeQueue(d *decoder, n *History) {
	queueLen := d.count(6)
	if d.err == nil && queueLen > MaxQueue {
		d.fail("%d queued records, at most %d allowed", queueLen, MaxQueue)
	}
	if d.err == nil && queueLen > 0 && n.human {
		d.fail("a human visitor with queued records")
	}
	if d.err == nil && queueLen > 0 {
		n.queue = new(heldQueue)
		for range queueLen {
			q := d.queued()
			if d.err != nil {
				break
			}
			n.queue.pushQueued(&q, nil)
		}
	}
}

// decodeTotals reads the running value totals into n.
func decodeTotals(d *decoder, n *History) {
	for range d.count(4) {
		k := valueKey{goal: uint32(d.index(len(n.goals.items), "goal")), variant: uint32(d.index(len(n.variants.items)+1, "variant")), site: d.varint()}
		v := d.sum()
		if d.err != nil {
			return
		}
		if !addNew(&n.totalKeys, k) {
			d.fail("running total listed twice")
			return
		}
		n.totals = append(n.totals, v)
	}
}

// readRefs reads a list of values with read into s, as refs of no numbering; ok is false
// when a value is listed twice (dup).
func readRefs[T comparable](d *decoder, s *orderedSet[*ref[T]], minSize int, read func() T) (dup T, ok bool) {
	n := d.count(minSize)
	var seen map[T]struct{} // for long lists, instead of comparing each value with all
	if n > indexAt {
		seen = make(map[T]struct{}, n)
	}
	for range n {
		v := read()
		if d.err != nil {
			break
		}
		if seen != nil {
			if _, dup := seen[v]; dup {
				return v, false
			}
			seen[v] = struct{}{}
		} else if findValue(s.items, v) >= 0 {
			return v, false
		}
		s.push(&ref[T]{v: v})
	}
	return dup, true
}

// addNew adds k to s and reports whether it was new.
func addNew[K comparable](s *orderedSet[K], k K) bool {
	_, isNew := s.add(k)
	return isNew
}

// decoder reads an encoded history; the first error sticks and later reads return zero
// values. Strings are substrings of s, which holds one copy of the input.
type decoder struct {
	s     string
	off   int
	table []string
	err   error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", ErrCorrupt, d.off+1, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.s) {
		d.fail("unexpected end of input")
		return 0
	}
	b := d.s[d.off]
	d.off++
	return b
}

func (d *decoder) uvarint() uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		b := d.byte()
		if d.err != nil {
			return 0
		}
		if shift == 63 && b > 1 {
			d.fail("varint overflows 64 bits")
			return 0
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v
		}
	}
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// count reads a list length or byte length and checks that the rest of the input can
// hold that many items of at least minSize bytes each.
func (d *decoder) count(minSize int) int {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if rest := uint64(len(d.s) - d.off); n > rest/uint64(minSize) {
		d.fail("length %d exceeds the %d bytes left", n, rest)
		return 0
	}
	return int(n)
}

// index reads a position in a list of n items.
func (d *decoder) index(n int, what string) int {
	i := d.uvarint()
	if d.err == nil && i >= uint64(n) {
		d.fail("%s index %d out of range (%d %ss)", what, i, n, what)
		return 0
	}
	return int(i)
}

func (d *decoder) str() string {
	i := d.uvarint()
	if d.err != nil {
		return ""
	}
	if i >= uint64(len(d.table)) {
		d.fail("string index %d out of range (%d strings)", i, len(d.table))
		return ""
	}
	return d.table[i]
}

func (d *decoder) queued() queued {
	q := queued{kind: messages.Kind(d.byte())}
	q.ts = d.varint()
	q.site = d.varint()
	q.ptr.File = d.varint()
	q.ptr.Offset = d.varint()
	switch q.kind {
	case messages.KindPage:
		q.str = [3]string{d.str(), d.str()}
	case messages.KindGoal:
		q.str = [3]string{d.str(), d.str(), d.str()}
		switch has := d.byte(); {
		case d.err != nil:
		case has == 1:
			q.value = d.decimal(false)
		case has != 0:
			d.fail("bad value flag %d", has)
		}
	case messages.KindSplit:
		q.str = [3]string{d.str(), d.str()}
	default:
		d.fail("queued record of unknown kind %d", q.kind)
	}
	return q
}

// number reads a decimal's exponent and coefficient digits and checks them; a zero
// (refused unless zeroOK, and then only written as 0 with exponent 0) gives "".
func (d *decoder) number(zeroOK bool) (int32, string) {
	exp := d.varint()
	n := d.count(1)
	if d.err != nil {
		return 0, ""
	}
	if exp < -maxExponent || exp > maxExponent {
		d.fail("value exponent %d out of range", exp)
		return 0, ""
	}
	if n == 0 || n > maxCoefficientDigits {
		d.fail("value coefficient of %d digits", n)
		return 0, ""
	}
	digits := d.s[d.off : d.off+n]
	d.off += n
	for i := 0; i < len(digits); i++ {
		if c := digits[i]; (c < '0' || c > '9') && !(i == 0 && c == '-' && len(digits) > 1) {
			d.fail("value coefficient %q is not an integer", digits)
			return 0, ""
		}
	}
	if strings.Trim(digits, "-0") == "" {
		switch {
		case !zeroOK:
			d.fail("value coefficient %q is not a non-zero integer", digits)
		case digits != "0" || exp != 0:
			d.fail("zero written as %q with exponent %d", digits, exp)
		}
		return 0, ""
	}
	return int32(exp), digits
}

// decimal reads a decimal; zero is refused unless zeroOK.
func (d *decoder) decimal(zeroOK bool) decimal.Decimal {
	exp, digits := d.number(zeroOK)
	if digits == "" {
		return decimal.Decimal{}
	}
	coef, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		d.fail("value coefficient %q is not an integer", digits)
		return decimal.Decimal{}
	}
	return decimal.NewFromBigInt(coef, exp)
}

// sum reads a decimal (zero allowed) into a valueSum, without a big integer when the
// coefficient fits in an int64.
func (d *decoder) sum() valueSum {
	exp, digits := d.number(true)
	if digits == "" {
		return valueSum{}
	}
	if len(digits) <= 18 {
		if coef, err := strconv.ParseInt(digits, 10, 64); err == nil {
			return valueSum{coef: coef, exp: exp}
		}
	}
	coef, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		d.fail("value coefficient %q is not an integer", digits)
		return valueSum{}
	}
	return sumOf(decimal.NewFromBigInt(coef, exp))
}
