package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/messages"
)

// tick asks the aggregator to cut an epoch because the flush interval has passed.
type tick struct{ gen int64 }

// openEpoch collects an epoch's parts until the router's cut and every shard's part are in.
type openEpoch struct {
	cut   *messages.EpochCut
	parts int
	epoch *messages.Epoch
	stats epochStats
}

// aggregator merges shard deltas per epoch, seals complete epochs in order and hands them
// to the committer, and decides when the router cuts an epoch besides every FlushEvery
// records: at every flush interval and when a shard's cache is full of pinned histories.
type aggregator struct {
	env       *env
	gen       int64
	router    *actor.PID
	source    *actor.PID
	committer *actor.PID
	shards    []*actor.PID
	claims    []messages.Claim // the generation's claims on its partitions, for fencing

	open     map[int64]*openEpoch
	next     int64 // next epoch to seal
	inFlight int   // sealed, not yet committed
	caughtUp bool  // the source has reached the end of the log (in this or an earlier generation)
	// throttling is set while the source has been told to hold (too many epochs in flight).
	throttling bool
	ticker     *time.Ticker
	stopTicks  chan struct{}
}

func (a *aggregator) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *wiring:
		a.router, a.source, a.committer, a.shards = m.router, m.source, m.committer, m.shards
		a.claims = m.claims
		a.open = map[int64]*openEpoch{}
		a.next = m.startEpoch + 1
		a.caughtUp = m.caughtUp
		a.startTicker(ctx)
	case *messages.CaughtUp:
		if m.Gen == a.gen {
			a.caughtUp = true
		}
	case *tick:
		// The interval bounds freshness once the source has caught up with the log; while
		// it works through a backlog, epochs are cut by size (the router's larger
		// CatchUpFlushEvery), which keeps catch-up fast (fewer, larger epochs rewrite
		// each busy history fewer times).
		if m.gen == a.gen && a.caughtUp {
			ctx.Send(a.router, &messages.CutEpoch{Gen: a.gen})
		}
	case *messages.CacheFull:
		if m.Gen == a.gen {
			ctx.Send(a.router, &messages.CutEpoch{Gen: a.gen})
		}
	case *messages.EpochCut:
		if m.Gen == a.gen {
			a.epochOf(m.Epoch).cut = m
			a.seal(ctx)
		}
	case *messages.ShardEpoch:
		if m.Gen == a.gen {
			a.addPart(m)
			a.seal(ctx)
		}
	case *messages.Committed:
		if m.Gen != a.gen {
			return
		}
		a.inFlight--
		for _, pid := range a.shards {
			ctx.Send(pid, m)
		}
		if a.throttling && a.inFlight < a.env.cfg.MaxEpochsInFlight {
			a.throttling = false
			ctx.Send(a.source, &messages.Throttle{Gen: a.gen, Hold: false})
		}
	case *actor.Stopping:
		a.stopTicker()
	}
}

func (a *aggregator) startTicker(ctx actor.Context) {
	a.ticker = time.NewTicker(a.env.cfg.FlushInterval)
	a.stopTicks = make(chan struct{})
	self, gen, root, t, done := ctx.Self(), a.gen, ctx.ActorSystem().Root, a.ticker, a.stopTicks
	go func() {
		for {
			select {
			case <-t.C:
				root.Send(self, &tick{gen: gen})
			case <-done:
				return
			}
		}
	}()
}

func (a *aggregator) stopTicker() {
	if a.ticker != nil {
		a.ticker.Stop()
		close(a.stopTicks)
		a.ticker = nil
	}
}

func (a *aggregator) epochOf(n int64) *openEpoch {
	o := a.open[n]
	if o == nil {
		o = &openEpoch{epoch: &messages.Epoch{Source: a.env.cfg.Source, Number: n}}
		a.open[n] = o
	}
	return o
}

func (a *aggregator) addPart(m *messages.ShardEpoch) {
	o := a.epochOf(m.Epoch)
	o.parts++
	e := o.epoch
	if e.Deltas == nil {
		e.Deltas = m.Deltas
	} else if len(m.Deltas.Conversions) > len(e.Deltas.Conversions) {
		m.Deltas.Merge(e.Deltas) // merge the smaller into the larger
		e.Deltas = m.Deltas
	} else {
		e.Deltas.Merge(m.Deltas)
	}
	e.Histories = append(e.Histories, m.Histories...)
	e.DeadLetters = append(e.DeadLetters, m.DeadLetters...)
	o.stats.humans += m.Humans
	o.stats.held += m.Held
	o.stats.replayed += m.Replayed
}

// seal hands every complete epoch, in order, to the committer.
func (a *aggregator) seal(ctx actor.Context) {
	for {
		o := a.open[a.next]
		if o == nil || o.cut == nil || o.parts < len(a.shards) {
			return
		}
		delete(a.open, a.next)
		a.next++
		e := o.epoch
		e.Advances = o.cut.Advances
		e.Claims = a.claims
		e.Records = o.cut.Records
		shardDead := int64(len(e.DeadLetters)) // records that failed inside a shard
		e.DeadLetters = append(o.cut.DeadLetters, e.DeadLetters...)
		if e.Deltas == nil {
			e.Deltas = messages.NewDeltas()
		}
		o.stats.records = o.cut.Records - shardDead
		o.stats.dead = int64(len(e.DeadLetters))
		ctx.Send(a.committer, &sealed{gen: a.gen, epoch: e, last: o.cut.Last, stats: o.stats})
		a.inFlight++
		if !a.throttling && a.inFlight >= a.env.cfg.MaxEpochsInFlight {
			a.throttling = true
			ctx.Send(a.source, &messages.Throttle{Gen: a.gen, Hold: true})
		}
	}
}
