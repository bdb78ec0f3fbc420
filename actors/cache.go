package actors

import (
	"container/list"

	"github.com/manhattan-analytics/manhattan/visitor"
)

// entry is one cached visitor history. epoch is the last epoch that changed it; while that
// epoch is not committed the entry is pinned.
type entry struct {
	vid   string
	h     *visitor.History
	epoch int64
	elem  *list.Element
}

// historyCache is an LRU of visitor histories with pinning. It is owned by one shard and
// not safe for concurrent use.
type historyCache struct {
	capacity int
	byVID    map[string]*entry
	lru      *list.List // front: most recently used
}

func newHistoryCache(capacity int) *historyCache {
	return &historyCache{capacity: max(capacity, 1), byVID: make(map[string]*entry), lru: list.New()}
}

// lookup returns the entry of vid, or nil; it does not count as a use.
func (c *historyCache) lookup(vid string) *entry { return c.byVID[vid] }

// touch marks e as the most recently used entry.
func (c *historyCache) touch(e *entry) { c.lru.MoveToFront(e.elem) }

// put adds the history of vid, as the most recently used entry; h may be set later.
func (c *historyCache) put(vid string, h *visitor.History) *entry {
	e := &entry{vid: vid, h: h}
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
		}
		el = prev
	}
	return len(c.byVID) > c.capacity
}
