package actors

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/logsource"
)

// recentGaps is how many gaps Stats keeps.
const recentGaps = 20

// env is what one pipeline's actors share besides their messages. The package comment
// ("Shared state") says who writes each field.
type env struct {
	cfg    Config          // read-only once Start returns
	events ingest.Events   // read-only; called by the supervisor (Committed, Restarted) and the shards (Loaded)
	ctx    context.Context // cancelled by Kill: aborts store calls
	parts  *partPool       // safe for concurrent use; see the ownership rule of batches' parts
	poison poisonList      // records that panicked in the rules: written by the supervisor, read by shards

	stats struct {
		startedAt time.Time    // read-only once Start returns
		read      atomic.Int64 // lines read, all generations; written by the source only

		// mu guards the fields below. The supervisor alone writes them; Pipeline.Stats
		// reads them from outside the actor system.
		mu         sync.Mutex
		summary    ingest.Summary
		caughtUp   bool
		lastCommit time.Duration
		storeDown  time.Time // waiting for the store since then; zero when not

		// gapMu guards gaps, which the source alone writes.
		gapMu sync.Mutex
		gaps  ingest.GapStats
	}
}

// Pipeline is a running ingest.
type Pipeline struct {
	env    *env
	system *actor.ActorSystem
	sup    *actor.PID
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Start starts a pipeline, or returns the errors of cfg.Validate. It reads from the committed pointer of cfg.Source, in batch mode
// until the end of the log, in follow mode until Stop.
func Start(cfg Config, events ingest.Events) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if !cfg.Share && cfg.Partitions == nil {
		// A log of several partitions read without a static assignment is shared with
		// the other processes of the source; the files (one partition) are owned whole.
		n, err := cfg.Log.Partitions(context.Background())
		if err != nil {
			return nil, fmt.Errorf("pipeline: partitions of %s: %w", cfg.Log, err)
		}
		cfg.Share = n > 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &env{cfg: cfg, events: events, ctx: ctx, parts: newPartPool(cfg.BatchSize, cfg.Shards)}
	r.stats.startedAt = time.Now()
	logger := cfg.Logger
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(levelAtLeast{logger.Handler(), slog.LevelWarn})
	}))
	p := &Pipeline{env: r, system: system, cancel: cancel, done: make(chan struct{})}
	sup := &supervisor{env: r, pipeline: p}
	if l, ok := cfg.Store.(Leases); ok {
		sup.leases.store = l
	}
	p.sup = system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return sup }))
	return p, nil
}

// Run starts a pipeline and waits for it. Cancelling ctx stops it gracefully: what has been
// read is committed before Run returns.
func Run(ctx context.Context, cfg Config, events ingest.Events) (ingest.Summary, error) {
	p, err := Start(cfg, events)
	if err != nil {
		return ingest.Summary{}, err
	}
	go func() {
		select {
		case <-ctx.Done():
			p.Stop()
		case <-p.done:
		}
	}()
	return p.Wait()
}

// Stop asks the pipeline to end its input, commit what it has read and finish.
func (p *Pipeline) Stop() {
	p.system.Root.Send(p.sup, &shutdown{})
}

// Kill aborts the pipeline at once: uncommitted work is dropped (it will be read again
// from the committed pointer by the next run).
func (p *Pipeline) Kill() {
	p.cancel()
	p.system.Root.Send(p.sup, &shutdown{kill: true})
}

// Done is closed when the pipeline has finished.
func (p *Pipeline) Done() <-chan struct{} { return p.done }

// Wait waits until the pipeline has finished and returns its summary and the error that
// ended it, if any.
func (p *Pipeline) Wait() (ingest.Summary, error) {
	<-p.done
	p.cancel()
	p.system.Shutdown()
	return p.Stats().Committed, p.err
}

// Stats returns a live view of the pipeline.
func (p *Pipeline) Stats() ingest.Stats {
	r := p.env
	r.stats.mu.Lock()
	st := ingest.Stats{Committed: r.stats.summary, CaughtUp: r.stats.caughtUp, LastCommit: r.stats.lastCommit, StoreDownSince: r.stats.storeDown}
	if !st.StoreDownSince.IsZero() && r.cfg.StoreWait != WaitForever {
		st.StoreGivesUpAt = st.StoreDownSince.Add(r.cfg.StoreWait)
	}
	r.stats.mu.Unlock()
	r.stats.gapMu.Lock()
	st.Gaps = r.stats.gaps
	st.Gaps.Recent = slices.Clone(st.Gaps.Recent)
	r.stats.gapMu.Unlock()
	st.Committed.Elapsed = time.Since(r.stats.startedAt)
	st.Read = r.stats.read.Load()
	return st
}

// Lag reports how far the committed pointers of the partitions the pipeline reads stand
// behind the end of the log, per partition (see logsource.Log.Lag).
func (p *Pipeline) Lag(ctx context.Context) ([]logsource.Lag, error) {
	return p.env.cfg.Log.Lag(ctx, p.Stats().Committed.Pointers)
}

// Log returns the log the pipeline reads.
func (p *Pipeline) Log() logsource.Log { return p.env.cfg.Log }

// levelAtLeast filters a handler to records at or above a level (the actor system's own
// chatter stays below warnings).
type levelAtLeast struct {
	slog.Handler
	min slog.Level
}

func (h levelAtLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
