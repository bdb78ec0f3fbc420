package visitor

// LastQueuedAt returns the newest timestamp of the records held in the visitor's queue
// (the records of a visitor not yet known to be human), and false when the queue is empty.
// Retention uses it to tell how long a robot has been idle.
func (h *History) LastQueuedAt() (int64, bool) {
	if len(h.queue) == 0 {
		return 0, false
	}
	last := h.queue[0].ts
	for i := range h.queue {
		last = max(last, h.queue[i].ts)
	}
	return last, true
}
