package actors

import (
	"container/list"
	"strings"

	"github.com/manhattan-analytics/manhattan/visitor"
)

// entry is one cached visitor history. epoch is the last epoch that changed it; while that
// epoch is not committed the entry is pinned. stored is set once the store holds a history
// of the visitor, or an epoch already sealed writes one: the next snapshot replaces it.
type entry struct {
	vid    string
	hash   uint64 // vidHash(vid)
	next   *entry // the next entry of the same hash (almost always nil)
	h      *visitor.History
	epoch  int64
	stored bool
	elem   *list.Element
}

// historyCache is an LRU of visitor histories with pinning. It is owned by one shard and
// not safe for concurrent use. It is keyed by the hash of the visitor id that the source
// computed once per record (vidHash), the id itself compared on a hit; entries whose ids
// share a hash are chained.
//
// A cache that starts on a store holding no history at all (fresh) knows which visitors
// the store can hold: those it has evicted (every evicted history was committed), of which
// it keeps a 64-bit hash. A visitor it has not seen needs no load. A hash collision only
// costs a load that finds nothing.
type historyCache struct {
	capacity int
	byHash   map[uint64]*entry
	size     int                 // entries
	lru      *list.List          // front: most recently used
	evicted  map[uint64]struct{} // while fresh: hashes of the evicted visitors; nil otherwise
}

// newHistoryCache returns an empty cache; fresh tells that the store holds no history.
func newHistoryCache(capacity int, fresh bool) *historyCache {
	c := &historyCache{capacity: max(capacity, 1), byHash: make(map[uint64]*entry), lru: list.New()}
	if fresh {
		c.evicted = map[uint64]struct{}{}
	}
	return c
}

// mayBeStored reports whether the store can hold a history of the visitor of e, not in the
// cache before: false only when the cache is fresh and never held it.
func (c *historyCache) mayBeStored(e *entry) bool {
	if c.evicted == nil {
		return true
	}
	_, ok := c.evicted[e.hash]
	return ok
}

// lookup returns the entry of vid, of hash vidHash(vid), or nil; it does not count as a use.
func (c *historyCache) lookup(hash uint64, vid string) *entry {
	e := c.byHash[hash]
	for e != nil && e.vid != vid {
		e = e.next
	}
	return e
}

// touch marks e as the most recently used entry.
func (c *historyCache) touch(e *entry) { c.lru.MoveToFront(e.elem) }

// put adds the history of vid, of hash vidHash(vid), not in the cache, as the most
// recently used entry; h may be set later.
func (c *historyCache) put(hash uint64, vid string, h *visitor.History) *entry {
	e := &entry{vid: strings.Clone(vid), hash: hash, next: c.byHash[hash], h: h} // a record's id would keep its whole line alive
	e.elem = c.lru.PushFront(e)
	c.byHash[hash] = e
	c.size++
	return e
}

// remove drops e from the index.
func (c *historyCache) remove(e *entry) {
	if head := c.byHash[e.hash]; head == e {
		if e.next == nil {
			delete(c.byHash, e.hash)
		} else {
			c.byHash[e.hash] = e.next
		}
	} else {
		for p := head; p != nil; p = p.next {
			if p.next == e {
				p.next = e.next
				break
			}
		}
	}
	e.next = nil
	c.size--
}

// evict drops least recently used histories not changed after epoch committed until the
// cache is within capacity. It reports whether the cache is still over capacity (every
// remaining candidate is pinned).
func (c *historyCache) evict(committed int64) (over bool) {
	for el := c.lru.Back(); el != nil && c.size > c.capacity; {
		e := el.Value.(*entry)
		prev := el.Prev()
		if e.epoch <= committed {
			c.lru.Remove(el)
			c.remove(e)
			if c.evicted != nil {
				c.evicted[e.hash] = struct{}{}
			}
		}
		el = prev
	}
	return c.size > c.capacity
}
