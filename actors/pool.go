package actors

import (
	"sync"

	"github.com/manhattan-analytics/manhattan/messages"
)

// recordPools recycle the record slices of batches. A slice travels from the source
// (RecordBatch) through the router (ShardBatch, split by visitor) to a shard, and the
// last of them to hold it gives it back: the router after splitting a batch, the shard
// after applying one (the ownership rule of the package comment: who sent a slice never
// touches it again, who gave it back neither). Records are large, and reusing their slices keeps the allocation
// rate, and with it the garbage collector's work, down. A slice given back is cleared
// first, so the pool keeps no log line alive.
//
// Giving a slice back is only an optimisation: a message dropped on the way (a stale
// generation) simply leaves its slice to the garbage collector.
type recordPools struct {
	batches sync.Pool // slices of capacity at least Config.BatchSize
	parts   sync.Pool // smaller slices, the shards' parts of a batch
	size    int       // Config.BatchSize
}

// get returns an empty slice of at least the given capacity.
func (p *recordPools) get(capacity int) []messages.Record {
	pool := &p.parts
	if capacity >= p.size {
		pool = &p.batches
	}
	if s, ok := pool.Get().(*[]messages.Record); ok && cap(*s) >= capacity {
		return (*s)[:0]
	}
	return make([]messages.Record, 0, capacity)
}

// put takes back a slice that no one reads any more.
func (p *recordPools) put(s []messages.Record) {
	if cap(s) == 0 {
		return
	}
	clear(s)
	s = s[:0]
	if cap(s) >= p.size {
		p.batches.Put(&s)
	} else {
		p.parts.Put(&s)
	}
}
