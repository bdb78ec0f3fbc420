package actors

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/visitor"
)

// TestHistoryCacheKeepsVisitorsOfOneHashApart puts visitors whose ids share a hash (as
// two real ids may) into one cache: each finds its own entry, evicting one leaves the
// others, and a fresh cache remembers the hash of the evicted one.
func TestHistoryCacheKeepsVisitorsOfOneHashApart(t *testing.T) {
	c := newHistoryCache(2, true)
	const h = 42
	a := c.put(h, "a", visitor.NewHistory())
	b := c.put(h, "b", visitor.NewHistory())
	o := c.put(7, "other", visitor.NewHistory())
	require.Same(t, a, c.lookup(h, "a"))
	require.Same(t, b, c.lookup(h, "b"))
	require.Same(t, o, c.lookup(7, "other"))
	require.Nil(t, c.lookup(h, "c"))
	require.Nil(t, c.lookup(7, "a"))

	// a is the least recently used: evicting down to 2 drops it alone.
	c.touch(b)
	c.touch(o)
	require.False(t, c.evict(0))
	require.Nil(t, c.lookup(h, "a"))
	require.Same(t, b, c.lookup(h, "b"))
	require.Same(t, o, c.lookup(7, "other"))
	require.True(t, c.mayBeStored(&entry{vid: "a", hash: h}))
	require.False(t, c.mayBeStored(&entry{vid: "z", hash: 8}))

	// The head of a chain goes too, and the chain's rest stays found.
	c2 := newHistoryCache(1, false)
	x := c2.put(h, "x", visitor.NewHistory())
	c2.put(h, "y", visitor.NewHistory()) // the head of the chain, most recently used
	c2.touch(x)
	require.False(t, c2.evict(0))
	require.Nil(t, c2.lookup(h, "y"))
	require.Same(t, x, c2.lookup(h, "x"))

	// Pinned entries stay: an entry changed in epoch 3 is not evicted before 3 commits.
	x.epoch = 3
	w := c2.put(9, "w", visitor.NewHistory())
	w.epoch = 3
	require.True(t, c2.evict(2))
	require.NotNil(t, c2.lookup(h, "x"))
	require.NotNil(t, c2.lookup(9, "w"))
	require.False(t, c2.evict(3))
	require.Nil(t, c2.lookup(h, "x"))
	require.Same(t, w, c2.lookup(9, "w"))
}
