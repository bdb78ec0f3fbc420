package visitor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLastQueuedAtIsTheNewestHeldRecord(t *testing.T) {
	h := newHarness(newTestRules(t))
	var l logBuilder
	_, ok := NewHistory().LastQueuedAt()
	assert.False(t, ok, "a new history holds nothing")

	h.apply(l.page("robot", 200, 1, "ua"), l.goal("robot", 100, 1, "signup", "", "", ""), l.page("robot", 150, 1, "ua"))
	last, ok := h.histories["robot"].LastQueuedAt()
	require.True(t, ok)
	assert.EqualValues(t, 200, last, "the newest timestamp, not the last in log order")

	// Encoded and decoded, as prune reads it.
	b, err := h.histories["robot"].MarshalBinary()
	require.NoError(t, err)
	back := NewHistory()
	require.NoError(t, back.UnmarshalBinary(b))
	last, ok = back.LastQueuedAt()
	require.True(t, ok)
	assert.EqualValues(t, 200, last)

	h.apply(l.pixel("robot", 300, 1))
	_, ok = h.histories["robot"].LastQueuedAt()
	assert.False(t, ok, "a human's queue is replayed and emptied")
	assert.True(t, h.histories["robot"].Human())
}
