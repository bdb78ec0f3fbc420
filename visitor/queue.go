package visitor

import (
	"encoding/binary"
	"math/big"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/messages"
)

// heldQueue holds the records of a visitor not yet known to be human, oldest first, in a
// compact form: each record encoded in buf (its length in one byte, then kind, timestamp, site,
// pointer, the string indices and the goal value: a heldValue flag, the exponent, and the
// coefficient as a varint when it fits, else its digits' string index), its strings stored
// once per queue in strs. A robot's records repeat the same address, user agent and goal names, so a held
// page record takes about 15 bytes instead of a record struct and the log line its
// strings would keep alive (the strings are copies).
//
// When full (MaxQueue records) a push drops the oldest record; the space of dropped
// records is reclaimed when it is half the buffer, and the string table is rebuilt when
// it has grown far beyond what the held records use.
type heldQueue struct {
	buf   []byte
	start int // offset of the oldest record in buf
	n     int // records held
	strs  orderedSet[string]
}

// maxHeldStrings bounds the string table before it is rebuilt from the held records.
const maxHeldStrings = 4 * MaxQueue

// len returns the number of records held; a nil queue holds none, as do its each and
// records.
func (q *heldQueue) len() int {
	if q == nil {
		return 0
	}
	return q.n
}

// push appends r, dropping the oldest record first when the queue is full. Its strings
// but the address are c's shared copies when c is not nil: robots' user agents, goal
// names, tests and populations repeat across visitors.
func (q *heldQueue) push(r *messages.Record, c *Counts) {
	ev := queueRecord(r)
	q.pushQueued(&ev, c)
}

// pushQueued appends ev, dropping the oldest record first when the queue is full; c, when
// not nil, shares strings as for push.
func (q *heldQueue) pushQueued(ev *queued, c *Counts) {
	if q.n >= MaxQueue {
		q.dropOldest()
	}
	if q.strs.len()+stringsOf(ev.kind)+1 > maxHeldStrings { // its strings and a value's digits
		q.rebuild()
	}
	q.buf = append(q.buf, 0) // the length, set below
	at := len(q.buf)
	q.buf = append(q.buf, byte(ev.kind))
	q.buf = binary.AppendVarint(q.buf, ev.ts)
	q.buf = binary.AppendVarint(q.buf, ev.site)
	q.buf = binary.AppendUvarint(q.buf, uint64(ev.ptr.Partition))
	q.buf = binary.AppendVarint(q.buf, ev.ptr.File)
	q.buf = binary.AppendVarint(q.buf, ev.ptr.Offset)
	q.buf = binary.AppendUvarint(q.buf, uint64(ev.ptr.Check))
	for i := range stringsOf(ev.kind) {
		share := c != nil && (ev.kind != messages.KindPage || i != 0) // addresses rarely repeat
		q.buf = binary.AppendUvarint(q.buf, uint64(q.index(ev.str[i], c, share)))
	}
	if ev.kind == messages.KindGoal {
		switch sv := smallOf(ev.value); {
		case ev.value.Sign() == 0:
			q.buf = append(q.buf, heldNoValue)
		case sv.ok:
			q.buf = append(q.buf, heldSmall)
			q.buf = binary.AppendVarint(q.buf, int64(sv.exp))
			q.buf = binary.AppendVarint(q.buf, sv.coef)
		default:
			q.buf = append(q.buf, heldDigits)
			q.buf = binary.AppendVarint(q.buf, int64(ev.value.Exponent()))
			q.buf = binary.AppendUvarint(q.buf, uint64(q.index(ev.value.Coefficient().String(), nil, true)))
		}
	}
	// At most 1 + 5×10 + 5 + 3×2 + 1 + 5 + 10 = 78 bytes (varints of 64-bit values, string
	// indices below 2×maxHeldStrings): the length fits the one byte of a uvarint below 128.
	q.buf[at-1] = byte(len(q.buf) - at)
	q.n++
}

// How a held goal record's value is kept.
const (
	heldNoValue = iota // none (zero)
	heldSmall          // exponent, coefficient as a varint
	heldDigits         // exponent, the coefficient's decimal digits as a string index
)

// stringsOf returns how many strings a queued record of kind holds.
func stringsOf(kind messages.Kind) int {
	switch kind {
	case messages.KindPage, messages.KindSplit:
		return 2
	case messages.KindGoal:
		return 3
	}
	return 0
}

// index returns the index of s in the table, adding s when new: c's shared copy when
// share is set (s as it is when c is nil: a string of its own), a copy of s otherwise (a
// record's string would keep its whole log line alive).
func (q *heldQueue) index(s string, c *Counts, share bool) int {
	if i := q.strs.find(s); i >= 0 {
		return i
	}
	switch {
	case share && c != nil:
		s = c.shared(s)
	case !share:
		s = strings.Clone(s)
	}
	q.strs.push(s)
	return q.strs.len() - 1
}

// dropOldest removes the oldest record.
func (q *heldQueue) dropOldest() {
	q.start += 1 + int(q.buf[q.start])
	q.n--
	if q.n == 0 {
		q.buf, q.start = q.buf[:0], 0
	} else if q.start > len(q.buf)/2 {
		q.buf = q.buf[:copy(q.buf, q.buf[q.start:])]
		q.start = 0
	}
}

// rebuild re-encodes the held records with a table of only the strings they use.
func (q *heldQueue) rebuild() {
	held := q.records()
	*q = heldQueue{}
	for i := range held {
		q.pushQueued(&held[i], nil)
	}
}

// each calls fn with every held record, oldest first.
func (q *heldQueue) each(fn func(ev *queued)) {
	q.eachHeld(func(r *heldRecord) {
		ev := q.decode(r)
		fn(&ev)
	})
}

// eachHeld calls fn with a reader of every held record, oldest first.
func (q *heldQueue) eachHeld(fn func(r *heldRecord)) {
	if q == nil {
		return
	}
	for off := q.start; off < len(q.buf); {
		size := int(q.buf[off])
		fn(&heldRecord{b: q.buf[off+1 : off+1+size]})
		off += 1 + size
	}
}

// records returns the held records, oldest first.
func (q *heldQueue) records() []queued {
	if q == nil {
		return nil
	}
	out := make([]queued, 0, q.n)
	q.each(func(ev *queued) { out = append(out, *ev) })
	return out
}

// heldRecord reads one record that push encoded, field by field (the bytes are the
// queue's own: no checks).
type heldRecord struct{ b []byte }

func (r *heldRecord) varint() int64   { v, k := binary.Varint(r.b); r.b = r.b[k:]; return v }
func (r *heldRecord) uvarint() uint64 { v, k := binary.Uvarint(r.b); r.b = r.b[k:]; return v }

// head reads the kind, timestamp, site and pointer.
func (r *heldRecord) head() queued {
	ev := queued{kind: messages.Kind(r.b[0])}
	r.b = r.b[1:]
	ev.ts = r.varint()
	ev.site = r.varint()
	ev.ptr.Partition = int(r.uvarint())
	ev.ptr.File = r.varint()
	ev.ptr.Offset = r.varint()
	ev.ptr.Check = uint32(r.uvarint())
	return ev
}

// value reads a goal record's value, after its strings: its exponent and coefficient,
// either as coef or, when digits is not empty, as decimal digits; ok is false for none.
func (q *heldQueue) value(r *heldRecord) (exp int32, coef int64, digits string, ok bool) {
	flag := r.b[0]
	r.b = r.b[1:]
	if flag == heldNoValue {
		return 0, 0, "", false
	}
	exp = int32(r.varint())
	if flag == heldSmall {
		return exp, r.varint(), "", true
	}
	return exp, 0, q.strs.items[r.uvarint()], true
}

// decode reads one held record.
func (q *heldQueue) decode(r *heldRecord) queued {
	ev := r.head()
	for i := range stringsOf(ev.kind) {
		ev.str[i] = q.strs.items[r.uvarint()]
	}
	if ev.kind != messages.KindGoal {
		return ev
	}
	switch exp, coef, digits, ok := q.value(r); {
	case !ok:
	case digits == "":
		ev.value = decimal.New(coef, exp)
	default:
		c, _ := new(big.Int).SetString(digits, 10)
		ev.value = decimal.NewFromBigInt(c, exp)
	}
	return ev
}

// appendTo writes the held records' list in the history encoding (EncodingVersion) to e,
// straight from their compact form.
func (q *heldQueue) appendTo(e *encoder) {
	e.uvarint(uint64(q.len()))
	q.eachHeld(func(r *heldRecord) {
		ev := r.head()
		e.body = append(e.body, byte(ev.kind))
		e.varint(ev.ts)
		e.varint(ev.site)
		e.varint(ev.ptr.File)
		e.varint(ev.ptr.Offset)
		for range stringsOf(ev.kind) {
			e.str(q.strs.items[r.uvarint()])
		}
		if ev.kind != messages.KindGoal {
			return
		}
		exp, coef, digits, ok := q.value(r)
		if !ok {
			e.body = append(e.body, 0)
			return
		}
		e.body = append(e.body, 1)
		e.varint(int64(exp))
		if digits == "" {
			var buf [20]byte
			e.digits(strconv.AppendInt(buf[:0], coef, 10))
			return
		}
		e.digits([]byte(digits))
	})
}
