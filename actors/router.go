package actors

import (
	"cmp"
	"slices"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/messages"
)

// ShardOf returns the shard, of n, that owns visitor vid: FNV-1a 64 of the id modulo n. It
// is stable across processes and versions.
func ShardOf(vid string, n int) int {
	return int(vidHash(vid) % uint64(n))
}

// vidHash is the FNV-1a 64 hash of a visitor id, inline: no allocation per record.
func vidHash(vid string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(vid); i++ {
		h ^= uint64(vid[i])
		h *= 1099511628211
	}
	return h
}

// router splits batches by visitor and injects epoch barriers.
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
}

func (r *router) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *wiring:
		r.shards, r.aggregator = m.shards, m.aggregator
		r.epoch = m.startEpoch + 1
	case *messages.RecordBatch:
		if m.Gen != r.gen || r.ended {
			return
		}
		r.route(ctx, m)
		if r.records >= r.env.cfg.FlushEvery {
			r.cut(ctx, false)
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

func (r *router) route(ctx actor.Context, b *messages.RecordBatch) {
	n := len(r.shards)
	parts := make([][]messages.Record, n)
	if n == 1 {
		parts[0] = b.Records
	} else {
		per := len(b.Records)/n + len(b.Records)/(4*n) + 1
		for i := range parts {
			parts[i] = r.env.pools.get(per)
		}
		for i := range b.Records {
			k := ShardOf(b.Records[i].VID, n)
			parts[k] = append(parts[k], b.Records[i])
		}
		r.env.pools.put(b.Records) // copied into the parts
	}
	for i, pid := range r.shards {
		ctx.Send(pid, &messages.ShardBatch{Gen: r.gen, Seq: b.Seq, Records: parts[i]})
	}
	r.records += int64(len(b.Records))
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
