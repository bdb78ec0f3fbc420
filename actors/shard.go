package actors

import (
	"context"
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// shard owns the histories of the visitors that hash to it and applies their records.
type shard struct {
	env        *env
	gen        int64
	id         int
	source     *actor.PID
	aggregator *actor.PID

	cache     *historyCache
	epoch     int64          // the open epoch
	committed int64          // the last committed epoch
	counts    visitor.Counts // what the open epoch counted so far
	changed   []*entry       // histories changed in the open epoch, each once
	entries   []*entry       // scratch: the entries of a batch's records
	dead      []messages.DeadLetter
	humans    int64
	held      int64
	replayed  int64
	pressured bool // CacheFull sent for the open epoch
}

func (s *shard) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *wiring:
		s.source, s.aggregator = m.source, m.aggregator
		s.committed = m.startEpoch
		s.epoch = m.startEpoch + 1
		s.cache = newHistoryCache(m.cachePerShard, !s.storeHasHistories())
	case *messages.ShardBatch:
		if m.Gen == s.gen {
			s.apply(ctx, m)
		}
	case *messages.Barrier:
		if m.Gen == s.gen {
			s.barrier(ctx, m)
		}
	case *messages.Committed:
		if m.Gen == s.gen && m.Epoch > s.committed {
			s.committed = m.Epoch
			s.cache.evict(s.committed)
		}
	}
}

func (s *shard) apply(ctx actor.Context, b *messages.ShardBatch) {
	if hook := s.env.cfg.Hooks.ShardBatch; hook != nil {
		hook(s.id, s.gen, b.Seq)
	}
	entries := s.load(b.Records, b.Hashes)
	rules := s.env.cfg.Rules
	for i := range b.Records {
		rec := &b.Records[i]
		e := entries[i]
		s.cache.touch(e)
		if e.epoch != s.epoch {
			e.epoch = s.epoch
			s.changed = append(s.changed, e)
		}
		wasHuman, queued := e.h.Human(), e.h.QueueLen()
		if reason, bad := s.env.poison.reason(rec.Ptr); bad {
			s.dead = append(s.dead, messages.DeadLetter{Raw: messages.FormatLine(rec), Ptr: rec.Ptr, Reason: reason})
			continue
		}
		if err := s.applyOne(rules, e.h, rec); err != nil {
			s.dead = append(s.dead, messages.DeadLetter{Raw: messages.FormatLine(rec), Ptr: rec.Ptr, Reason: err.Error()})
			continue
		}
		switch {
		case !wasHuman && e.h.Human():
			s.humans++
			s.replayed += int64(queued)
		case !e.h.Human() && rec.Kind != messages.KindPixel:
			s.held++
		}
	}
	clear(entries) // keep no evicted entry alive
	ctx.Send(s.source, &messages.ShardProgress{Gen: s.gen, Shard: s.id, Seq: b.Seq})
	s.env.parts.put(b) // applied: no one reads it any more
	if s.cache.evict(s.committed) && !s.pressured {
		s.pressured = true
		ctx.Send(s.aggregator, &messages.CacheFull{Gen: s.gen, Shard: s.id})
	}
}

// applyOne applies one record. A panic before the rules touched anything (the Record hook)
// is returned as an error, and the record is dead-lettered in place. A panic inside the
// rules may have left the history and the epoch's counts half changed: the shard fails
// with a poisonedRecord, the supervisor rewinds (dropping everything uncommitted) and from
// then on every shard dead-letters that record instead of applying it, so the results are
// those of a pass over the log without it.
func (s *shard) applyOne(rules *visitor.Rules, h *visitor.History, rec *messages.Record) (err error) {
	applying := false
	defer func() {
		if p := recover(); p != nil {
			reason := fmt.Sprintf("panic while applying record: %v", p)
			if applying {
				panic(poisonedRecord{ptr: rec.Ptr, reason: reason})
			}
			err = errors.New(reason)
		}
	}()
	if hook := s.env.cfg.Hooks.Record; hook != nil {
		hook(s.id, rec)
	}
	applying = true
	rules.ApplyCounts(h, rec, &s.counts)
	if hook := s.env.cfg.Hooks.AfterApply; hook != nil {
		hook(s.id, rec)
	}
	return nil
}

// storeHasHistories asks the store whether it holds any history (a failure is a shard
// failure: the pipeline rewinds).
func (s *shard) storeHasHistories() bool {
	ctx, cancel := context.WithTimeout(s.env.ctx, s.env.cfg.CommitTimeout)
	defer cancel()
	has, err := s.env.cfg.Store.HasHistories(ctx)
	if err != nil {
		panic(fmt.Errorf("shard %d: %w", s.id, err))
	}
	return has
}

// load returns the cache entry of every record's visitor, in record order (hashes[i] is
// the hash of the visitor id of recs[i]). Histories not in the cache are loaded with one
// query for all of them, unless the cache knows that the store cannot hold them; visitors
// unknown to the store start with an empty history.
func (s *shard) load(recs []messages.Record, hashes []uint64) []*entry {
	if len(hashes) != len(recs) {
		panic(fmt.Errorf("shard %d: a batch of %d records with %d hashes", s.id, len(recs), len(hashes)))
	}
	entries := s.entries[:0]
	var misses []*entry
	for i := range recs {
		e := s.cache.lookup(hashes[i], recs[i].VID)
		if e == nil { // the visitor's first record in this batch: its history comes below
			e = s.cache.put(hashes[i], recs[i].VID, nil)
			if s.cache.mayBeStored(e) {
				misses = append(misses, e)
			} else {
				e.h = visitor.NewHistory()
			}
		}
		entries = append(entries, e)
	}
	s.entries = entries
	if len(misses) == 0 {
		return entries
	}
	vids := make([]string, len(misses))
	for i, e := range misses {
		vids[i] = e.vid
	}
	ctx, cancel := context.WithTimeout(s.env.ctx, s.env.cfg.CommitTimeout)
	defer cancel()
	found, err := s.env.cfg.Store.LoadHistories(ctx, vids)
	if err != nil {
		panic(fmt.Errorf("shard %d: load %d histories: %w", s.id, len(vids), err))
	}
	for _, e := range misses {
		e.h = visitor.NewHistory()
		if data, ok := found[e.vid]; ok {
			if err := e.h.UnmarshalBinary(data); err != nil {
				panic(fmt.Errorf("shard %d: stored history of visitor %q: %w", s.id, e.vid, err))
			}
			e.stored = true
		}
	}
	if f := s.env.events.Loaded; f != nil && len(found) > 0 {
		f(len(found))
	}
	return entries
}

// Encoded histories are appended to chunks of snapshotChunk bytes; a new chunk is started
// when less than snapshotReserve bytes are left (a larger history still fits: the chunk
// is then copied once, the histories already in it keep the old one).
const (
	snapshotChunk   = 256 << 10
	snapshotReserve = 8 << 10
)

func (s *shard) barrier(ctx actor.Context, b *messages.Barrier) {
	if b.Epoch != s.epoch {
		panic(fmt.Errorf("shard %d: barrier of epoch %d while epoch %d is open", s.id, b.Epoch, s.epoch))
	}
	snaps := make([]messages.HistorySnapshot, 0, len(s.changed))
	var buf []byte // histories are encoded into shared chunks, not one allocation each
	for _, e := range s.changed {
		if cap(buf)-len(buf) < snapshotReserve {
			buf = make([]byte, 0, snapshotChunk)
		}
		start := len(buf)
		var err error
		if buf, err = e.h.AppendBinary(buf); err != nil {
			panic(fmt.Errorf("shard %d: encode history of visitor %q: %w", s.id, e.vid, err))
		}
		snaps = append(snaps, messages.HistorySnapshot{VID: e.vid, Data: buf[start:len(buf):len(buf)], New: !e.stored})
		e.stored = true // epochs commit in order; a failed one rewinds the pipeline
	}
	deltas := messages.NewDeltas()
	s.counts.Flush(deltas)
	ctx.Send(s.aggregator, &messages.ShardEpoch{
		Gen: s.gen, Shard: s.id, Epoch: s.epoch, Deltas: deltas, Histories: snaps, DeadLetters: s.dead,
		Humans: s.humans, Held: s.held, Replayed: s.replayed,
	})
	s.epoch++
	s.changed, s.dead = nil, nil
	s.humans, s.held, s.replayed = 0, 0, 0
	s.pressured = false
}
