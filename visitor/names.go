package visitor

// numbering identifies one numbering of a Counts' names: the refs it hands out carry it,
// and a Counts that drops its numbering (Counts.reset) starts a new one.
type numbering struct{ _ byte } // not zero-sized, so that each one has its own address

// A ref is the shard's one copy of a goal name, a variant or a counter slot, with the
// number the Counts of numbering `of` gave it. Histories hold refs instead of copies of
// the names: a pointer is smaller than the name, and a history finds the Counts' number
// of its goals, variants and slots without hashing them. A ref never changes once made.
//
// Invariant: the refs of one history are all of one numbering (or, decoded, of none:
// of == nil, each value once). Before the human path adds to a history, renumber moves
// it to the Counts' numbering, so that refs compare by pointer within a history.
type ref[T comparable] struct {
	v  T
	id uint32
	of *numbering
}

// refs numbers the values of one kind (goal names, variants, slots) as they first appear.
type refs[T comparable] struct {
	byValue map[T]*ref[T]
	byID    []*ref[T]
}

// get returns the ref of v in numbering n, and whether it is new; a new value is first
// copied with clone (so that the shard's copy keeps no log line alive).
func (t *refs[T]) get(v T, n *numbering, clone func(T) T) (*ref[T], bool) {
	if r, ok := t.byValue[v]; ok {
		return r, false
	}
	if t.byValue == nil {
		t.byValue = map[T]*ref[T]{}
	}
	r := &ref[T]{v: clone(v), id: uint32(len(t.byID)), of: n}
	t.byID = append(t.byID, r)
	t.byValue[r.v] = r
	return r, true
}

func (t *refs[T]) len() int { return len(t.byID) }

// value returns the value numbered id.
func (t *refs[T]) value(id uint32) *T { return &t.byID[id].v }

// findValue returns the position of the ref whose value is v, or -1. It compares values,
// not pointers: for the refs of a decoded history and for names (not refs) at hand.
func findValue[T comparable](items []*ref[T], v T) int {
	for i, r := range items {
		if r.v == v {
			return i
		}
	}
	return -1
}

// renumberSet replaces the refs of s by those of c's numbering, with the same values in
// the same order.
func renumberSet[T comparable](s *orderedSet[*ref[T]], get func(T) *ref[T]) {
	for i, r := range s.items {
		s.items[i] = get(r.v)
	}
	if s.index != nil {
		clear(s.index)
		for i, r := range s.items {
			s.index[r] = int32(i)
		}
	}
}

// numberedBy reports whether the refs of the counted part are of numbering n (true when
// it has none).
func (hc *counted) numberedBy(n *numbering) bool {
	switch {
	case len(hc.slots.items) > 0:
		return hc.slots.items[0].of == n
	case len(hc.goals.items) > 0:
		return hc.goals.items[0].of == n
	case len(hc.variants.items) > 0:
		return hc.variants.items[0].of == n
	}
	return true
}

// renumber moves the refs of the counted part to c's numbering.
func (hc *counted) renumber(c *Counts) {
	renumberSet(&hc.goals, c.goal)
	renumberSet(&hc.variants, c.variant)
	renumberSet(&hc.slots, c.slot)
}
