package actors

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/messages"
)

// ShardOf returns the shard, of n, that owns visitor vid: FNV-1a 64 of the id modulo n. It
// is stable across processes and versions.
func ShardOf(vid string, n int) int {
	return int(vidHash(vid) % uint64(n))
}

// vidHash is the FNV-1a 64 hash of a visitor id, inline: no allocation per record. The
// source computes it once per record (lineBatch.parse); it picks the shard and keys the
// shard's cache.
func vidHash(vid string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(vid); i++ {
		h ^= uint64(vid[i])
		h *= 1099511628211
	}
	return h
}

// router hands the shards their parts of each batch (split by visitor in the source's
// parse) and injects epoch barriers.
type router struct {
	env        *env
	gen        int64
	shards     []*actor.PID
	aggregator *actor.PID

	epoch    int64              // the open epoch
	advances []messages.Advance // of the open epoch, per partition, in partition order
	records  int64              // records routed in the open epoch
	dead     []messages.DeadLetter
	ended    bool
	caughtUp bool // the source has reached the end of the log (in this or an earlier generation)
}

func (r *router) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *wiring:
		r.shards, r.aggregator = m.shards, m.aggregator
		r.epoch = m.startEpoch + 1
		r.caughtUp = m.caughtUp
	case *messages.RecordBatch:
		if m.Gen != r.gen || r.ended {
			return
		}
		r.route(ctx, m)
		if r.records >= r.epochSize() {
			r.cut(ctx, false)
		}
	case *messages.CaughtUp:
		// The backlog is read: epochs are FlushEvery records from here on, and an open
		// epoch that has reached that size already is cut now; a smaller one waits for the
		// flush interval or more records, as it would have without a backlog. (In batch
		// mode EndOfInput follows.)
		if m.Gen == r.gen && !r.ended && !r.caughtUp {
			r.caughtUp = true
			if r.env.cfg.Follow && r.records >= r.env.cfg.FlushEvery {
				r.cut(ctx, false)
			}
		}
	case *messages.CutEpoch:
		if m.Gen == r.gen && !r.ended && (r.records > 0 || len(r.dead) > 0) {
			r.cut(ctx, false)
		}
	case *messages.EndOfInput:
		if m.Gen == r.gen && !r.ended {
			r.ended = true
			r.cut(ctx, true)
		}
	}
}

// epochSize is the number of records after which the open epoch is cut: larger while the
// source works through a backlog (Config.CatchUpFlushEvery).
func (r *router) epochSize() int64 {
	if r.caughtUp {
		return r.env.cfg.FlushEvery
	}
	return max(r.env.cfg.FlushEvery, r.env.cfg.CatchUpFlushEvery)
}

// route hands every shard its part of the batch, as the source split it.
func (r *router) route(ctx actor.Context, b *messages.RecordBatch) {
	if len(b.Parts) != len(r.shards) {
		panic(fmt.Errorf("router: a batch of %d parts for %d shards", len(b.Parts), len(r.shards)))
	}
	for i, pid := range r.shards {
		p := b.Parts[i]
		p.Gen, p.Seq = r.gen, b.Seq
		ctx.Send(pid, p)
	}
	r.records += int64(b.Records)
	r.dead = append(r.dead, b.DeadLetters...)
	r.advances = mergeAdvances(r.advances, b.Ends)
}

// mergeAdvances adds the advances of a later batch to those of an epoch (both in partition
// order): a partition's pointer moves to the later one and its records add up.
func mergeAdvances(epoch, batch []messages.Advance) []messages.Advance {
	for _, b := range batch {
		i, found := slices.BinarySearchFunc(epoch, b.Pointer.Partition, func(a messages.Advance, p int) int {
			return cmp.Compare(a.Pointer.Partition, p)
		})
		if found {
			epoch[i].Pointer = b.Pointer
			epoch[i].Records += b.Records
		} else {
			epoch = slices.Insert(epoch, i, b)
		}
	}
	return epoch
}

// cut closes the open epoch after the records routed so far.
func (r *router) cut(ctx actor.Context, last bool) {
	for _, pid := range r.shards {
		ctx.Send(pid, &messages.Barrier{Gen: r.gen, Epoch: r.epoch})
	}
	ctx.Send(r.aggregator, &messages.EpochCut{
		Gen: r.gen, Epoch: r.epoch, Advances: r.advances, Records: r.records, DeadLetters: r.dead, Last: last,
	})
	r.epoch++
	r.records = 0
	r.dead = nil
	r.advances = nil
}
