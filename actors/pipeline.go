package actors

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
)

// Summary describes a finished run.
type Summary struct {
	Records     int64              // records committed (dead letters not included)
	DeadLetters int64              // lines dead-lettered
	Humans      int64              // visitors that became human
	Held        int64              // records of not-yet-human visitors held back (net of replays)
	Epochs      int64              // epochs committed
	Restarts    int64              // rewinds after failures
	Pointers    []messages.Pointer // the committed pointers at the end, per partition read
	Elapsed     time.Duration
}

// RecordsPerSecond is the run's committed records (and dead letters) per second.
func (s Summary) RecordsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Records+s.DeadLetters) / s.Elapsed.Seconds()
}

// Stats is a live view of a running pipeline.
type Stats struct {
	Read       int64 // lines read by the source in this process (all generations)
	Committed  Summary
	CaughtUp   bool          // the source has reached the end of the log at least once
	LastCommit time.Duration // duration of the last commit
	Gaps       GapStats      // log data passed over without being read
	// StoreDownSince is when the pipeline began waiting for an unreachable store (zero when
	// it is not waiting); StoreGivesUpAt when it will stop waiting (zero: never).
	StoreDownSince, StoreGivesUpAt time.Time
}

// Gap is log data the source passed over and will not read (DESIGN §2): lines appended to
// a file after the source left it, a file of an older hour that appeared after the source
// passed it, or what a SkipMissing source skipped.
type Gap struct {
	Reason string // GapLateAppend, GapLateFile or GapSkipped
	Path   string // the file
	Bytes  int64  // how many bytes; 0 when not known
	Detail string // what happened, in words
	At     time.Time
}

// The reasons of a Gap.
const (
	GapLateAppend = logsource.GapLateAppend
	GapLateFile   = logsource.GapLateFile
	GapSkipped    = logsource.GapSkipped
)

// GapStats sums up the gaps of a pipeline's run.
type GapStats struct {
	Count  int64
	Bytes  int64
	Recent []Gap // the last few, oldest first
}

// recentGaps is how many gaps Stats keeps.
const recentGaps = 20

// Events receives notifications from a running pipeline (for metrics). Nil funcs are skipped.
// They are called from the pipeline's actors and must not block.
type Events struct {
	Committed func(epoch int64, records, deadLetters int64, took time.Duration)
	Restarted func(reason error)
	Loaded    func(histories int)
	Gap       func(g Gap)
}

// env is what one pipeline's actors share besides their messages. The package comment
// ("Shared state") says who writes each field.
type env struct {
	cfg    Config          // read-only once Start returns
	events Events          // read-only; called by the supervisor (Committed, Restarted) and the shards (Loaded)
	ctx    context.Context // cancelled by Kill: aborts store calls
	pools  *recordPools    // safe for concurrent use; see the ownership rule of record slices

	stats struct {
		startedAt time.Time    // read-only once Start returns
		read      atomic.Int64 // lines read, all generations; written by the source only

		// mu guards the fields below. The supervisor alone writes them; Pipeline.Stats
		// reads them from outside the actor system.
		mu         sync.Mutex
		summary    Summary
		caughtUp   bool
		lastCommit time.Duration
		storeDown  time.Time // waiting for the store since then; zero when not

		// gapMu guards gaps, which the source alone writes.
		gapMu sync.Mutex
		gaps  GapStats
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
func Start(cfg Config, events Events) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	r := &env{cfg: cfg, events: events, ctx: ctx, pools: &recordPools{size: cfg.BatchSize}}
	r.stats.startedAt = time.Now()
	logger := cfg.Logger
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(levelAtLeast{logger.Handler(), slog.LevelWarn})
	}))
	p := &Pipeline{env: r, system: system, cancel: cancel, done: make(chan struct{})}
	sup := &supervisor{env: r, pipeline: p}
	p.sup = system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return sup }))
	return p, nil
}

// Run starts a pipeline and waits for it. Cancelling ctx stops it gracefully: what has been
// read is committed before Run returns.
func Run(ctx context.Context, cfg Config, events Events) (Summary, error) {
	p, err := Start(cfg, events)
	if err != nil {
		return Summary{}, err
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
func (p *Pipeline) Wait() (Summary, error) {
	<-p.done
	p.cancel()
	p.system.Shutdown()
	return p.Stats().Committed, p.err
}

// Stats returns a live view of the pipeline.
func (p *Pipeline) Stats() Stats {
	r := p.env
	r.stats.mu.Lock()
	st := Stats{Committed: r.stats.summary, CaughtUp: r.stats.caughtUp, LastCommit: r.stats.lastCommit, StoreDownSince: r.stats.storeDown}
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
