package visitor

// indexAt is the size from which an ordered set keeps a map index; below it, a linear
// scan of the items is about as fast as hashing, and a map of a few dozen entries would
// cost a busy visitor's history more than a kilobyte.
const indexAt = 64

// orderedSet is a set that remembers insertion order, so that a history encodes
// deterministically and lists (user agents, variants) keep their first-seen order.
type orderedSet[K comparable] struct {
	items []K
	index map[K]int32
}

// find returns the position of k, or -1.
func (s *orderedSet[K]) find(k K) int {
	if s.index != nil {
		if i, ok := s.index[k]; ok {
			return int(i)
		}
		return -1
	}
	for i := range s.items {
		if s.items[i] == k {
			return i
		}
	}
	return -1
}

// add inserts k if it is not in the set, and returns its position and whether it was new.
func (s *orderedSet[K]) add(k K) (int, bool) {
	if i := s.find(k); i >= 0 {
		return i, false
	}
	s.push(k)
	return len(s.items) - 1, true
}

// minCap is the capacity of a set's first allocation.
const minCap = 4

// push appends k, which the caller knows is not in the set.
func (s *orderedSet[K]) push(k K) { s.pushFirst(k, minCap) }

// pushFirst is push for a set that usually holds fewer items than minCap: its first
// allocation holds first items (a visitor's addresses and user agents: one each, most often).
func (s *orderedSet[K]) pushFirst(k K, first int) {
	if s.items == nil {
		s.items = make([]K, 0, first)
	}
	s.items = append(s.items, k)
	switch {
	case s.index != nil:
		s.index[k] = int32(len(s.items) - 1)
	case len(s.items) >= indexAt:
		s.index = make(map[K]int32, 2*len(s.items))
		for i, it := range s.items {
			s.index[it] = int32(i)
		}
	}
}

func (s *orderedSet[K]) has(k K) bool { return s.find(k) >= 0 }

func (s *orderedSet[K]) len() int { return len(s.items) }
