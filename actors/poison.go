package actors

import (
	"sync"
	"sync/atomic"

	"github.com/manhattan-analytics/manhattan/messages"
)

// poisonedRecord is the failure of a shard whose record panicked inside the counting rules,
// after they may have changed the history and the counts (see shard.applyOne).
type poisonedRecord struct {
	ptr    messages.Pointer
	reason string
}

func (p poisonedRecord) Error() string { return p.reason + " (at " + p.ptr.String() + ")" }

// poisonList holds the records that panicked inside the rules, by pointer, for every later
// generation of the pipeline to dead-letter instead of applying. The supervisor adds to it
// between generations; shards read it for every record, so an empty list costs one atomic
// load.
type poisonList struct {
	n       atomic.Int32
	mu      sync.Mutex
	reasons map[messages.Pointer]string
}

// add records p and reports whether it is new.
func (l *poisonList) add(p poisonedRecord) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := p.ptr.At()
	if _, dup := l.reasons[key]; dup {
		return false
	}
	if l.reasons == nil {
		l.reasons = map[messages.Pointer]string{}
	}
	l.reasons[key] = p.reason
	l.n.Add(1)
	return true
}

// reason returns why the record at ptr is dead-lettered, if it panicked before.
func (l *poisonList) reason(ptr messages.Pointer) (string, bool) {
	if l.n.Load() == 0 {
		return "", false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.reasons[ptr.At()]
	return r, ok
}
