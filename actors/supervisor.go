package actors

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/messages"
)

// wiring tells a freshly spawned actor who its peers are and where the generation starts.
type wiring struct {
	supervisor, source, router, aggregator, committer *actor.PID
	shards                                            []*actor.PID
	start                                             []messages.Pointer // per partition
	claims                                            []messages.Claim   // per partition
	startEpoch                                        int64
	cachePerShard                                     int
	caughtUp                                          bool // an earlier generation's source reached the end of the log
}

// shutdown is the stop request of Pipeline.Stop (graceful) and Pipeline.Kill (kill).
type shutdown struct{ kill bool }

// ErrAborted is returned by a pipeline stopped with Kill.
var ErrAborted = errors.New("pipeline aborted: records not yet committed will be read again by the next run")

// fatalError is a failure that rewinding cannot mend (a configuration problem): the
// pipeline stops with it at once instead of retrying.
type fatalError struct{ err error }

func (f fatalError) Error() string { return f.err.Error() }

// restart starts the next generation once the backoff after a failure has passed.
type restart struct{}

// retryPointer asks the supervisor to read the committed pointer again after a failure.
type retryPointer struct{}

type supState int

const (
	connecting supState = iota // reading the committed pointer; retrying while the store is unreachable
	running                    // a generation is at work
	rewinding                  // children are stopping after a failure; a new generation follows
	finishing                  // children are stopping; the pipeline ends
)

// supervisor is the parent of every pipeline actor and their supervision strategy: any
// failure of a child stops the whole generation and, once every child has stopped, starts
// a new one from the committed pointer (see the package invariants). It alone writes the
// run's summary (env.stats). It never blocks on the store between messages, so a stop
// request is seen while the store is unreachable.
type supervisor struct {
	env      *env
	pipeline *Pipeline

	gen           int64
	state         supState
	children      int
	source        *actor.PID
	stopRequested bool // a shutdown message has arrived
	caughtUp      bool // a source has reached the end of the log

	committedEpoch int64
	counted        int64           // the last epoch counted in the summary
	loaded         int64           // the committed epoch read back when the current generation started
	uncertain      []*commitReport // failed commits whose outcome is not settled yet
	failEpoch      int64           // committed epoch at the last failure
	failures       int             // failures in a row without the committed epoch advancing
	lastFailure    error
	backoff        time.Duration
	finishErr      error

	storeSince time.Time     // connecting: when the first attempt began
	storeWait  time.Duration // connecting: the wait before the next attempt
	storeErr   error         // connecting: the last attempt's error

	leases leaseState
}

func (s *supervisor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		s.connect(ctx)
	case *restart:
		if s.state == rewinding {
			s.connect(ctx)
		}
	case *retryPointer:
		if s.state == connecting {
			s.tryPointer(ctx)
		}
	case *commitReport:
		if m.uncertain {
			s.onUncertain(m)
		} else if m.gen == s.gen {
			s.onCommitted(ctx, m)
		}
	case *renewLeases:
		s.onRenew(ctx)
	case *messages.CaughtUp:
		s.onCaughtUp() // a fact about the log, whichever generation found it
	case *shutdown:
		s.onShutdown(ctx, m)
	case *actor.Terminated:
		s.children--
		s.continueWhenStopped(ctx)
	}
}

func (s *supervisor) onShutdown(ctx actor.Context, m *shutdown) {
	s.stopRequested = true
	switch {
	case m.kill:
		s.finish(ctx, ErrAborted)
	case s.state == running && s.source != nil:
		ctx.Send(s.source, &stopReading{})
	case s.state == rewinding:
		s.state = finishing
		s.continueWhenStopped(ctx)
	case s.state == connecting:
		s.finish(ctx, fmt.Errorf("pipeline: stopped while the store was unreachable (uncommitted records will be read again): %w", s.storeErr))
	}
}

func (s *supervisor) onCaughtUp() {
	if s.caughtUp {
		return
	}
	s.caughtUp = true
	s.env.stats.mu.Lock()
	s.env.stats.caughtUp = true
	s.env.stats.mu.Unlock()
}

// HandleFailure makes the supervisor its children's supervision strategy: rewind them all.
// The actor system calls it between the supervisor's messages.
func (s *supervisor) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason any, _ any) {
	if s.state != running {
		return // the generation is already being stopped
	}
	if f, ok := reason.(fatalError); ok {
		s.env.cfg.Logger.Error("pipeline failure that a rewind cannot mend", slog.String("actor", child.Id), slog.Any("error", f.err))
		s.finishErr = f.err
		s.state = finishing
		sup.StopChildren(sup.Children()...)
		return
	}
	err, ok := reason.(error)
	if !ok {
		err = fmt.Errorf("%v", reason)
	}
	s.env.stats.mu.Lock()
	s.env.stats.summary.Restarts++
	s.env.stats.mu.Unlock()
	if f := s.env.events.Restarted; f != nil {
		f(err)
	}
	var pr poisonedRecord
	if errors.As(err, &pr) && s.env.poison.add(pr) {
		// Progress, not a repeated failure: the next generation skips the record.
		s.env.cfg.Logger.Warn("a record panicked in the counting rules; rewinding to drop its partial counts, it is dead-lettered from now on",
			slog.String("pointer", pr.ptr.String()), slog.String("reason", pr.reason))
		s.state = rewinding
		s.backoff = 0
		sup.StopChildren(sup.Children()...)
		return
	}
	if s.committedEpoch == s.failEpoch && s.failures > 0 {
		s.failures++
	} else {
		s.failEpoch, s.failures = s.committedEpoch, 1
	}
	s.lastFailure = err
	s.env.cfg.Logger.Warn("pipeline failure; rewinding to the committed pointer",
		slog.String("actor", child.Id), slog.Any("error", err),
		slog.Int64("committed_epoch", s.committedEpoch), slog.Int("failures", s.failures))
	if s.failures >= s.env.cfg.MaxFailures {
		s.finishErr = fmt.Errorf("pipeline: the epoch after %d failed %d times in a row, giving up: %w",
			s.committedEpoch, s.failures, err)
		s.state = finishing
	} else {
		s.state = rewinding
		s.backoff = min(max(s.backoff*2, s.env.cfg.RetryBackoff), s.env.cfg.MaxBackoff)
	}
	sup.StopChildren(sup.Children()...)
}

func (s *supervisor) onCommitted(ctx actor.Context, m *commitReport) {
	if m.empty {
		s.finish(ctx, nil)
		return
	}
	s.committedEpoch = m.epoch
	s.failures, s.backoff = 0, 0
	s.count(m)
	if m.last {
		s.finish(ctx, nil)
	}
}

// onUncertain keeps a failed commit until the committed epoch read back tells whether it
// landed; when a generation has started since, that is known already.
func (s *supervisor) onUncertain(m *commitReport) {
	s.uncertain = append(s.uncertain, m)
	if m.gen < s.gen {
		s.settle(s.loaded)
	}
}

// settle counts the failed commits that landed (epoch at most committed) and forgets
// every one that failed before the generation now running.
func (s *supervisor) settle(committed int64) {
	for _, u := range s.uncertain {
		if u.epoch <= committed && u.epoch > s.counted {
			s.count(u)
		}
	}
	s.uncertain = s.uncertain[:0]
}

// count adds a committed epoch to the summary and the events.
func (s *supervisor) count(m *commitReport) {
	s.counted = max(s.counted, m.epoch)
	r := s.env
	r.stats.mu.Lock()
	r.stats.lastCommit = m.took
	sum := &r.stats.summary
	sum.Records += m.stats.records
	sum.DeadLetters += m.stats.dead
	sum.Humans += m.stats.humans
	sum.Held += m.stats.held - m.stats.replayed
	sum.Epochs++
	sum.Pointers = mergePointers(sum.Pointers, m.pointers)
	r.stats.mu.Unlock()
	if f := r.events.Committed; f != nil {
		f(m.epoch, m.stats.records, m.stats.dead, m.took)
	}
	r.cfg.Logger.Debug("epoch committed", slog.Int64("epoch", m.epoch), slog.Any("pointers", m.pointers),
		slog.Int64("records", m.stats.records), slog.Duration("took", m.took), slog.Bool("outcome_was_unknown", m.uncertain))
}

// finish stops every child and ends the pipeline once they have stopped.
func (s *supervisor) finish(ctx actor.Context, err error) {
	if s.state == finishing {
		return
	}
	s.state = finishing
	if err != nil {
		s.finishErr = err
	}
	for _, pid := range ctx.Children() {
		ctx.Stop(pid)
	}
	s.continueWhenStopped(ctx)
}

// continueWhenStopped, once every child of the generation has stopped, ends the pipeline
// (finishing) or schedules the next generation after the backoff (rewinding).
func (s *supervisor) continueWhenStopped(ctx actor.Context) {
	if s.children > 0 {
		return
	}
	switch s.state {
	case finishing:
		select {
		case <-s.pipeline.done:
		default:
			s.releaseLeases()
			s.pipeline.err = s.finishErr
			close(s.pipeline.done)
		}
	case rewinding:
		if s.stopRequested {
			s.state = finishing
			s.continueWhenStopped(ctx)
			return
		}
		self, root := ctx.Self(), ctx.ActorSystem().Root
		time.AfterFunc(s.backoff, func() { root.Send(self, &restart{}) })
	}
}

// connect starts reading the committed pointer for a new generation.
func (s *supervisor) connect(ctx actor.Context) {
	s.state = connecting
	s.storeSince, s.storeWait, s.storeErr = time.Now(), s.env.cfg.RetryBackoff, nil
	s.tryPointer(ctx)
}

// tryPointer reads the committed pointer and starts a generation from it. While the store
// is unreachable it tries again, with backoff, by a message to itself, up to StoreWait.
func (s *supervisor) tryPointer(ctx actor.Context) {
	cfg := s.env.cfg
	cctx, cancel := context.WithTimeout(s.env.ctx, 10*time.Second)
	ptrs, epoch, err := s.loadPointers(cctx)
	cancel()
	if err == nil {
		s.startGeneration(ctx, ptrs, epoch)
		return
	}
	if isNotOwner(err) {
		// Another process owns the source: waiting would race it (docs/ownership.md).
		s.finish(ctx, fmt.Errorf("pipeline: %w (another process ingests this source; take it over with Takeover, --takeover, or wait until its lease ends)", err))
		return
	}
	s.storeErr = err
	if s.env.ctx.Err() != nil {
		s.finish(ctx, fmt.Errorf("pipeline: stopped while the store was unreachable (uncommitted records will be read again): %w", err))
		return
	}
	if time.Since(s.storeSince) > cfg.StoreWait {
		s.finish(ctx, fmt.Errorf("pipeline: store unreachable for %v: %w", cfg.StoreWait, err))
		return
	}
	s.env.stats.mu.Lock()
	s.env.stats.storeDown = s.storeSince
	s.env.stats.mu.Unlock()
	cfg.Logger.Warn("cannot read the committed pointer; retrying", slog.Any("error", err), slog.Duration("in", s.storeWait))
	self, root := ctx.Self(), ctx.ActorSystem().Root
	time.AfterFunc(s.storeWait, func() { root.Send(self, &retryPointer{}) })
	s.storeWait = min(s.storeWait*2, cfg.MaxBackoff)
}

// startGeneration spawns a new generation of the pipeline from the committed pointer.
func (s *supervisor) startGeneration(ctx actor.Context, ptrs []messages.Pointer, epoch int64) {
	s.gen++
	s.state = running
	s.committedEpoch, s.loaded = epoch, epoch
	s.settle(epoch)
	s.env.stats.mu.Lock()
	s.env.stats.summary.Pointers = ptrs
	s.env.stats.storeDown = time.Time{}
	s.env.stats.mu.Unlock()
	cfg := s.env.cfg
	gen := s.gen
	spawn := func(name string, a actor.Actor) *actor.PID {
		s.children++
		pid, err := ctx.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return a }),
			fmt.Sprintf("g%d-%s", gen, name))
		if err != nil {
			panic(fmt.Errorf("spawn %s: %w", name, err)) // names are unique per generation
		}
		return pid
	}
	s.startRenewing(ctx)
	w := &wiring{supervisor: ctx.Self(), start: ptrs, startEpoch: epoch, claims: s.leases.claims,
		cachePerShard: max(cfg.CacheSize/cfg.Shards, 1), caughtUp: s.caughtUp}
	w.committer = spawn("committer", &committer{env: s.env, gen: gen})
	w.aggregator = spawn("aggregator", &aggregator{env: s.env, gen: gen})
	for i := range cfg.Shards {
		w.shards = append(w.shards, spawn(fmt.Sprintf("shard-%d", i), &shard{env: s.env, gen: gen, id: i}))
	}
	w.router = spawn("router", &router{env: s.env, gen: gen})
	w.source = spawn("source", &source{env: s.env, gen: gen})
	s.source = w.source
	// The source starts reading on its wiring, so it is wired last: every peer has its
	// wiring in its mailbox before the first batch can reach it.
	for _, pid := range append([]*actor.PID{w.committer, w.aggregator}, w.shards...) {
		ctx.Send(pid, w)
	}
	ctx.Send(w.router, w)
	ctx.Send(w.source, w)
	cfg.Logger.Info("pipeline generation started", slog.Int64("generation", gen),
		slog.Any("pointers", ptrs), slog.Int64("committed_epoch", epoch), slog.Int("shards", cfg.Shards))
	if s.stopRequested {
		ctx.Send(w.source, &stopReading{})
	}
}

// loadPointers claims the partitions to read and reads their committed pointers and the
// highest epoch committed for them.
func (s *supervisor) loadPointers(ctx context.Context) ([]messages.Pointer, int64, error) {
	parts, err := s.claimPartitions(ctx)
	if err != nil {
		return nil, 0, err
	}
	return s.env.cfg.Store.LoadPointers(ctx, s.env.cfg.Source, parts)
}

// mergePointers returns the pointers of have (in partition order) moved to those of later
// ones.
func mergePointers(have, later []messages.Pointer) []messages.Pointer {
	out := slices.Clone(have)
	for _, p := range later {
		i, found := slices.BinarySearchFunc(out, p.Partition, func(q messages.Pointer, part int) int { return cmp.Compare(q.Partition, part) })
		if found {
			out[i] = p
		} else {
			out = slices.Insert(out, i, p)
		}
	}
	return out
}
