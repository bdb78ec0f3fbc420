package actors

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/messages"
)

// sealed is a complete epoch on its way to the committer.
type sealed struct {
	gen   int64
	epoch *messages.Epoch
	last  bool
	stats epochStats
}

// epochStats are the figures of one epoch, for the run's summary and metrics.
type epochStats struct {
	records, dead, humans, held, replayed int64
}

// commitReport tells the supervisor that an epoch is durable, with its figures for the
// summary and the metrics. The committer sends it together with messages.Committed, which
// goes to the aggregator and the shards: one event, told to each party what it needs.
type commitReport struct {
	gen      int64
	epoch    int64
	pointers []messages.Pointer
	last     bool
	stats    epochStats
	took     time.Duration
	empty    bool // nothing was written (an empty final epoch)
	// uncertain: the commit failed, but may have landed (its outcome is unknown); the
	// supervisor counts it if the pointer read back shows it did.
	uncertain bool
}

// committer writes sealed epochs in order, one transaction each. A failed commit panics:
// the supervisor rewinds the pipeline and settles the outcome by reading the pointer back.
type committer struct {
	env        *env
	gen        int64
	aggregator *actor.PID
	supervisor *actor.PID
}

func (c *committer) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *wiring:
		c.aggregator, c.supervisor = m.aggregator, m.supervisor
	case *sealed:
		if m.gen != c.gen {
			return
		}
		if e := m.epoch; m.last && e.Records == 0 && len(e.DeadLetters) == 0 && len(e.Histories) == 0 && e.Deltas.Empty() {
			// The final epoch of a run that found nothing new: no line was consumed, so the
			// pointer has not moved and there is nothing to write.
			ctx.Send(c.supervisor, &commitReport{gen: c.gen, epoch: e.Number, pointers: messages.Pointers(e.Advances), last: true, empty: true})
			return
		}
		start := time.Now()
		cctx, cancel := context.WithTimeout(c.env.ctx, c.env.cfg.CommitTimeout)
		err := c.env.cfg.Store.CommitEpoch(cctx, m.epoch)
		cancel()
		if err != nil {
			err = fmt.Errorf("commit epoch %d (pointers %v): %w", m.epoch.Number, messages.Pointers(m.epoch.Advances), err)
			if isNotOwner(err) && !c.env.cfg.Share {
				// Another process was granted the source (a takeover, or our lease ended
				// while we were paused): it ingests now, this one stops.
				panic(fatalError{fmt.Errorf("pipeline: %w", err)})
			}
			ctx.Send(c.supervisor, &commitReport{
				gen: c.gen, epoch: m.epoch.Number, pointers: messages.Pointers(m.epoch.Advances), stats: m.stats, uncertain: true,
			})
			panic(err)
		}
		ctx.Send(c.aggregator, &messages.Committed{Gen: c.gen, Epoch: m.epoch.Number})
		ctx.Send(c.supervisor, &commitReport{
			gen: c.gen, epoch: m.epoch.Number, pointers: messages.Pointers(m.epoch.Advances), last: m.last, stats: m.stats,
			took: time.Since(start),
		})
	}
}
