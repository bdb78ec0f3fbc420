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
	h      *visitor.History
	epoch  int64
	stored bool
	elem   *list.Element
}

// historyCache is an LRU of visitor histories with pinning. It is owned by one shard and
// not safe for concurrent use.
//
// A cache that starts on a store holding no history at all (fresh) knows which visitors
// the store can hold: those it has evicted (every evicted history was committed), of which
// it keeps a 64-bit hash. A visitor it has not seen needs no load. A hash collision only
// costs a load that finds nothing.
type historyCache struct {
	capacity int
	byVID    map[string]*entry
	lru      *list.List          // front: most recently used
	evicted  map[uint64]struct{} // while fresh: hashes of the evicted visitors; nil otherwise
}

// newHistoryCache returns an empty cache; fresh tells that the store holds no history.
func newHistoryCache(capacity int, fresh bool) *historyCache {
	c := &historyCache{capacity: max(capacity, 1), byVID: make(map[string]*entry), lru: list.New()}
	if fresh {
		c.evicted = map[uint64]struct{}{}
	}
	return c
}

// mayBeStored reports whether the store can hold a history of vid, a visitor not in the
// cache: false only when the cache is fresh and never held vid.
func (c *historyCache) mayBeStored(vid string) bool {
	if c.evicted == nil {
		return true
	}
	_, ok := c.evicted[vidHash(vid)]
	return ok
}

// lookup returns the entry of vid, or nil; it does not count as a use.
func (c *historyCache) lookup(vid string) *entry { return c.byVID[vid] }

// touch marks e as the most recently used entry.
func (c *historyCache) touch(e *entry) { c.lru.MoveToFront(e.elem) }

// put adds the history of vid, as the most recently used entry; h may be set later.
func (c *historyCache) put(vid string, h *visitor.History) *entry {
	e := &entry{vid: strings.Clone(vid), h: h} // a record's id would keep its whole line alive
	e.elem = c.lru.PushFront(e)
	c.byVID[vid] = e
	return e
}

// evict drops least recently used histories not changed after epoch committed until the
// cache is within capacity. It reports whether the cache is still over capacity (every
// remaining candidate is pinned).
func (c *historyCache) evict(committed int64) (over bool) {
	for el := c.lru.Back(); el != nil && len(c.byVID) > c.capacity; {
		e := el.Value.(*entry)
		prev := el.Prev()
		if e.epoch <= committed {
			c.lru.Remove(el)
			delete(c.byVID, e.vid)
			if c.evicted != nil {
				c.evicted[vidHash(e.vid)] = struct{}{}
			}
		}
		el = prev
	}
	return len(c.byVID) > c.capacity
}
