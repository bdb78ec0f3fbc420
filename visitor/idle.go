package visitor

import "math"

// LastQueuedAt returns the newest timestamp of the records held in the visitor's queue
// (the records of a visitor not yet known to be human), and false when the queue is empty.
// Retention uses it to tell how long a robot has been idle.
func (h *History) LastQueuedAt() (int64, bool) {
	if h.queue.len() == 0 {
		return 0, false
	}
	last := int64(math.MinInt64)
	h.queue.eachHeld(func(r *heldRecord) { last = max(last, r.head().ts) })
	return last, true
}
