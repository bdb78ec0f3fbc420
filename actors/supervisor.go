package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/messages"
)

// wiring tells a freshly spawned actor who its peers are and where the generation starts.
type wiring struct {
	supervisor, source, router, aggregator, committer *actor.PID
	shards                                            []*actor.PID
	start                                             messages.Pointer
	startEpoch                                        int64
	cachePerShard                                     int
}

type shutdown struct{ kill bool }

// ErrAborted is returned by a pipeline stopped with Kill.
var ErrAborted = errors.New("pipeline aborted: records not yet committed will be read again by the next run")

// fatalError is a failure that rewinding cannot mend (a configuration problem): the
// pipeline stops with it at once instead of retrying.
type fatalError struct{ err error }

func (f fatalError) Error() string { return f.err.Error() }

type restart struct{}

type supState int

const (
	running   supState = iota // a generation is at work
	rewinding                 // children are stopping after a failure; a new generation follows
	finishing                 // children are stopping; the pipeline ends
)

// supervisor is the parent of every pipeline actor and their supervision strategy: any
// failure of a child stops the whole generation and, once every child has stopped, starts
// a new one from the committed pointer (see the package invariants).
type supervisor struct {
	run      *run
	pipeline *Pipeline

	gen      int64
	state    supState
	children int
	source   *actor.PID

	committedEpoch int64
	failEpoch      int64 // committed epoch at the last failure
	failures       int   // failures in a row without the committed epoch advancing
	lastFailure    error
	backoff        time.Duration
	finishErr      error
}

func (s *supervisor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		s.startGeneration(ctx)
	case *restart:
		if s.state == rewinding {
			s.startGeneration(ctx)
		}
	case *committed:
		if m.gen == s.gen {
			s.onCommitted(ctx, m)
		}
	case *shutdown:
		switch {
		case m.kill:
			s.finish(ctx, ErrAborted)
		case s.state == running && s.source != nil:
			ctx.Send(s.source, &stopReading{})
		case s.state == rewinding:
			s.state = finishing
			s.done(ctx)
		}
	case *actor.Terminated:
		s.children--
		s.done(ctx)
	}
}

// HandleFailure makes the supervisor its children's supervision strategy: rewind them all.
func (s *supervisor) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason any, _ any) {
	if s.state != running {
		return // the generation is already being stopped
	}
	if f, ok := reason.(fatalError); ok {
		s.run.cfg.Logger.Error("pipeline failure that a rewind cannot mend", slog.String("actor", child.Id), slog.Any("error", f.err))
		s.finishErr = f.err
		s.state = finishing
		sup.StopChildren(sup.Children()...)
		return
	}
	err, ok := reason.(error)
	if !ok {
		err = fmt.Errorf("%v", reason)
	}
	s.run.stats.mu.Lock()
	s.run.stats.summary.Restarts++
	s.run.stats.mu.Unlock()
	if f := s.run.events.Restarted; f != nil {
		f(err)
	}
	if s.committedEpoch == s.failEpoch && s.failures > 0 {
		s.failures++
	} else {
		s.failEpoch, s.failures = s.committedEpoch, 1
	}
	s.lastFailure = err
	s.run.cfg.Logger.Warn("pipeline failure; rewinding to the committed pointer",
		slog.String("actor", child.Id), slog.Any("error", err),
		slog.Int64("committed_epoch", s.committedEpoch), slog.Int("failures", s.failures))
	if s.failures >= s.run.cfg.MaxFailures {
		s.finishErr = fmt.Errorf("pipeline: the epoch after %d failed %d times in a row, giving up: %w",
			s.committedEpoch, s.failures, err)
		s.state = finishing
	} else {
		s.state = rewinding
		s.backoff = min(max(s.backoff*2, s.run.cfg.RetryBackoff), s.run.cfg.MaxBackoff)
	}
	sup.StopChildren(sup.Children()...)
}

func (s *supervisor) onCommitted(ctx actor.Context, m *committed) {
	if m.empty {
		s.finish(ctx, nil)
		return
	}
	s.committedEpoch = m.epoch
	s.failures, s.backoff = 0, 0
	r := s.run
	r.stats.lastCommitNanos.Store(int64(m.took))
	r.stats.mu.Lock()
	sum := &r.stats.summary
	sum.Records += m.stats.records
	sum.DeadLetters += m.stats.dead
	sum.Humans += m.stats.humans
	sum.Held += m.stats.held - m.stats.replayed
	sum.Epochs++
	sum.Pointer = m.pointer
	r.stats.mu.Unlock()
	if f := r.events.Committed; f != nil {
		f(m.epoch, m.stats.records, m.stats.dead, m.took)
	}
	r.cfg.Logger.Debug("epoch committed", slog.Int64("epoch", m.epoch), slog.String("pointer", m.pointer.String()),
		slog.Int64("records", m.stats.records), slog.Duration("took", m.took))
	if m.last {
		s.finish(ctx, nil)
	}
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
	s.done(ctx)
}

// done acts once every child of the generation has stopped.
func (s *supervisor) done(ctx actor.Context) {
	if s.children > 0 {
		return
	}
	switch s.state {
	case finishing:
		select {
		case <-s.pipeline.done:
		default:
			s.pipeline.err = s.finishErr
			close(s.pipeline.done)
		}
	case rewinding:
		if s.run.stats.stopRequested.Load() {
			s.state = finishing
			s.done(ctx)
			return
		}
		self, root := ctx.Self(), ctx.ActorSystem().Root
		time.AfterFunc(s.backoff, func() { root.Send(self, &restart{}) })
	}
}

// startGeneration reads the committed pointer (waiting for the store if need be) and
// spawns a new generation of the pipeline from it.
func (s *supervisor) startGeneration(ctx actor.Context) {
	ptr, epoch, err := s.loadPointer()
	if err != nil {
		s.finish(ctx, err)
		return
	}
	s.gen++
	s.state = running
	s.committedEpoch = epoch
	s.run.stats.mu.Lock()
	s.run.stats.summary.Pointer = ptr
	s.run.stats.mu.Unlock()
	cfg := s.run.cfg
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
	w := &wiring{supervisor: ctx.Self(), start: ptr, startEpoch: epoch,
		cachePerShard: max(cfg.CacheSize/cfg.Shards, 1)}
	w.committer = spawn("committer", &committer{run: s.run, gen: gen})
	w.aggregator = spawn("aggregator", &aggregator{run: s.run, gen: gen})
	for i := range cfg.Shards {
		w.shards = append(w.shards, spawn(fmt.Sprintf("shard-%d", i), &shard{run: s.run, gen: gen, id: i}))
	}
	w.router = spawn("router", &router{run: s.run, gen: gen})
	w.source = spawn("source", &source{run: s.run, gen: gen})
	s.source = w.source
	// The source starts reading on its wiring, so it is wired last: every peer has its
	// wiring in its mailbox before the first batch can reach it.
	for _, pid := range append([]*actor.PID{w.committer, w.aggregator}, w.shards...) {
		ctx.Send(pid, w)
	}
	ctx.Send(w.router, w)
	ctx.Send(w.source, w)
	cfg.Logger.Info("pipeline generation started", slog.Int64("generation", gen),
		slog.String("pointer", ptr.String()), slog.Int64("committed_epoch", epoch), slog.Int("shards", cfg.Shards))
	if s.run.stats.stopRequested.Load() {
		ctx.Send(w.source, &stopReading{})
	}
}

// loadPointer reads the committed pointer, retrying with backoff while the store is
// unreachable, up to StoreWait.
func (s *supervisor) loadPointer() (messages.Pointer, int64, error) {
	cfg := s.run.cfg
	deadline := time.Now().Add(cfg.StoreWait)
	wait := cfg.RetryBackoff
	for {
		ctx, cancel := context.WithTimeout(s.run.ctx, 10*time.Second)
		ptr, epoch, err := cfg.Store.LoadPointer(ctx, cfg.Source)
		cancel()
		if err == nil {
			return ptr, epoch, nil
		}
		if s.run.ctx.Err() != nil || s.run.stats.stopRequested.Load() {
			return ptr, epoch, fmt.Errorf("pipeline: stopped while the store was unreachable (uncommitted records will be read again): %w", err)
		}
		if time.Now().After(deadline) {
			return ptr, epoch, fmt.Errorf("pipeline: store unreachable for %v: %w", cfg.StoreWait, err)
		}
		cfg.Logger.Warn("store unreachable; retrying", slog.Any("error", err), slog.Duration("in", wait))
		select {
		case <-time.After(wait):
		case <-s.run.ctx.Done():
		}
		wait = min(wait*2, cfg.MaxBackoff)
	}
}
