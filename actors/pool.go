package actors

import (
	"sync"

	"github.com/manhattan-analytics/manhattan/messages"
)

// partPool recycles the shards' parts of batches (messages.ShardBatch with their record
// and hash slices). The source fills a part per shard for every batch it reads (the
// records of that shard's visitors, in log order), the router hands each part on to its
// shard unchanged, and the shard gives it back once it has applied it (the ownership rule
// of the package comment: who sent a part never touches it again, who gave it back
// neither). Records are large, and reusing their slices keeps the allocation rate, and
// with it the garbage collector's work, down. A part given back is cleared first, so the
// pool keeps no log line alive.
//
// Giving a part back is only an optimisation: a message dropped on the way (a stale
// generation) simply leaves its part to the garbage collector.
type partPool struct {
	pool sync.Pool
	// room is the capacity a new part gets at least: a little more than a shard's share
	// of a full batch, so that a recycled part mostly fits the next batch.
	room int
}

// newPartPool returns the pool for batches of batchSize records split among shards.
func newPartPool(batchSize, shards int) *partPool {
	per := batchSize / max(shards, 1)
	if shards > 1 {
		per += per/4 + 1
	}
	return &partPool{room: per}
}

// get returns an empty part with room for at least n records.
func (p *partPool) get(n int) *messages.ShardBatch {
	if b, ok := p.pool.Get().(*messages.ShardBatch); ok && cap(b.Records) >= n && cap(b.Hashes) >= n {
		return b
	}
	n = max(n, p.room)
	return &messages.ShardBatch{Records: make([]messages.Record, 0, n), Hashes: make([]uint64, 0, n)}
}

// put takes back a part that no one reads any more.
func (p *partPool) put(b *messages.ShardBatch) {
	if cap(b.Records) == 0 {
		return
	}
	clear(b.Records)
	*b = messages.ShardBatch{Records: b.Records[:0], Hashes: b.Hashes[:0]}
	p.pool.Put(b)
}
