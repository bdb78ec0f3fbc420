package visitor

import (
	"encoding/binary"
	"math/big"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/messages"
)

// heldQueue holds the records of a visitor not yet known to be human, oldest first, in a
// compact form: each record encoded in buf (its length in one byte, then kind, timestamp, site,
// pointer, the string indices and the goal value), its strings stored once per queue in
// strs. A robot's records repeat the same address, user agent and goal names, so a held
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
	if q.strs.len() >= maxHeldStrings {
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
		if ev.value.Sign() == 0 {
			q.buf = append(q.buf, 0)
		} else {
			q.buf = append(q.buf, 1)
			q.buf = binary.AppendVarint(q.buf, int64(ev.value.Exponent()))
			q.buf = binary.AppendUvarint(q.buf, uint64(q.index(ev.value.Coefficient().String(), nil, true)))
		}
	}
	// At most 1 + 5×10 + 5 + 3×2 + 1 + 5 + 2 = 70 bytes (varints of 64-bit values, string
	// indices below 2×maxHeldStrings): the length fits the one byte of a uvarint below 128.
	q.buf[at-1] = byte(len(q.buf) - at)
	q.n++
}

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
	if q == nil {
		return
	}
	for off := q.start; off < len(q.buf); {
		size := int(q.buf[off])
		ev := q.decode(q.buf[off+1 : off+1+size])
		fn(&ev)
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

// decode reads one record that push encoded (the bytes are the queue's own: no checks).
func (q *heldQueue) decode(b []byte) queued {
	ev := queued{kind: messages.Kind(b[0])}
	b = b[1:]
	varint := func() int64 { v, k := binary.Varint(b); b = b[k:]; return v }
	uvarint := func() uint64 { v, k := binary.Uvarint(b); b = b[k:]; return v }
	ev.ts = varint()
	ev.site = varint()
	ev.ptr.Partition = int(uvarint())
	ev.ptr.File = varint()
	ev.ptr.Offset = varint()
	ev.ptr.Check = uint32(uvarint())
	for i := range stringsOf(ev.kind) {
		ev.str[i] = q.strs.items[uvarint()]
	}
	if ev.kind == messages.KindGoal && b[0] != 0 {
		b = b[1:]
		exp := int32(varint())
		coef, _ := new(big.Int).SetString(q.strs.items[uvarint()], 10)
		ev.value = decimal.NewFromBigInt(coef, exp)
	}
	return ev
}
