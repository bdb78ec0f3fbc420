package ship

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/stream"
)

// Defaults of Config.
const (
	DefaultChunkLines  = 16384
	DefaultChunkBytes  = 4 << 20
	DefaultLinger      = 100 * time.Millisecond
	DefaultMaxInFlight = 8
	DefaultAckTimeout  = 10 * time.Second
	DefaultRetryWait   = time.Second
)

// Config configures a Shipper.
type Config struct {
	LogBase  string // the local log, files LogBase.<H>
	Progress string // the progress file
	// Source names this shipper's log in dedupe ids; unique per log among the shippers
	// of a stream (e.g. host name and log name).
	Source string
	Stream stream.Info
	// Conn is the connection to publish on; the shipper makes its own JetStream context
	// on it (bounded in-flight publishes, acknowledgement timeout).
	Conn *nats.Conn

	// Follow keeps shipping as the log grows until the context is done; without it Run
	// returns once everything up to the end of the log is acknowledged.
	Follow bool
	// Reader options for the log (poll interval, grace window); Follow is set from above.
	Reader eventlog.Options

	ChunkLines, ChunkBytes int           // bounds of one chunk
	Linger                 time.Duration // a partial chunk waits at most this long
	MaxInFlight            int           // chunks published and not yet acknowledged
	AckTimeout             time.Duration // how long a publish may wait for its acknowledgement
	RetryWait              time.Duration // pause after a failed session

	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.ChunkLines <= 0 {
		c.ChunkLines = DefaultChunkLines
	}
	if c.ChunkBytes <= 0 {
		c.ChunkBytes = DefaultChunkBytes
	}
	if c.Linger <= 0 {
		c.Linger = DefaultLinger
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.RetryWait <= 0 {
		c.RetryWait = DefaultRetryWait
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Stats are a Shipper's counters, safe to read at any time.
type Stats struct {
	Lines, Bytes, Messages atomic.Int64 // acknowledged by the stream (duplicates included)
	Duplicates             atomic.Int64 // messages the stream already had
	DeadLines              atomic.Int64 // lines that could not be shipped (truncated, too long)
	LateBytes              atomic.Int64 // bytes that arrived in files the reader had left (not shipped)
	Chunks                 atomic.Int64 // chunks acknowledged
	InFlight               atomic.Int64 // chunks published, not yet acknowledged
	Failures               atomic.Int64 // sessions that ended in an error
	LagBytes               atomic.Int64 // bytes of the log after the acknowledged pointer
	Connected              atomic.Bool
	mu                     sync.Mutex
	acked                  messages.Pointer
}

// Acked returns the pointer up to which every line is stored in the stream.
func (s *Stats) Acked() messages.Pointer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked
}

// Shipper forwards a log into the stream.
type Shipper struct {
	cfg      Config
	js       jetstream.JetStream
	subjects []string
	splits   sync.Pool // of *stream.Splitter
	stats    Stats

	acked messages.Pointer   // as in the progress file
	pend  []messages.Pointer // ends of the chunks after acked that may have been published
	saved time.Time          // when the progress file was last written

	onSave func(Progress) // tests: sees every progress written
}

// ErrProgressMismatch means the progress file belongs to another stream or source.
var ErrProgressMismatch = errors.New("ship: progress file does not match")

// New returns a Shipper resuming from cfg.Progress. A progress file of another stream,
// source or partition count is refused.
func New(cfg Config) (*Shipper, error) {
	cfg = cfg.withDefaults()
	if cfg.Source == "" || cfg.Progress == "" || cfg.LogBase == "" || cfg.Conn == nil || cfg.Stream.Partitions < 1 {
		return nil, errors.New("ship: Config needs LogBase, Progress, Source, Stream and Conn")
	}
	p, ok, err := LoadProgress(cfg.Progress)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(cfg.Conn,
		jetstream.WithPublishAsyncMaxPending(cfg.MaxInFlight*cfg.Stream.Partitions+1),
		jetstream.WithPublishAsyncTimeout(cfg.AckTimeout))
	if err != nil {
		return nil, fmt.Errorf("ship: %w", err)
	}
	s := &Shipper{cfg: cfg, js: js, subjects: make([]string, cfg.Stream.Partitions)}
	for p := range s.subjects {
		s.subjects[p] = cfg.Stream.Subject(p)
	}
	s.splits.New = func() any { return stream.NewSplitter(cfg.Stream.Partitions) }
	if ok {
		if p.Stream != cfg.Stream.Name || p.Source != cfg.Source || p.Partitions != cfg.Stream.Partitions {
			return nil, fmt.Errorf("%w: %s is for stream %s (%d partitions), source %q; this shipper ships to %s (%d partitions) as %q",
				ErrProgressMismatch, cfg.Progress, p.Stream, p.Partitions, p.Source, cfg.Stream.Name, cfg.Stream.Partitions, cfg.Source)
		}
		s.acked, s.pend, s.saved = p.Acked, p.Pending, p.Saved
		if len(p.Pending) > 0 && time.Since(p.Saved) > cfg.Stream.Duplicates {
			cfg.Logger.Warn("ship: the progress file is older than the stream's duplicate window: the pending chunks published before the stop may be stored twice",
				"saved", p.Saved, "duplicate_window", cfg.Stream.Duplicates, "pending_chunks", len(p.Pending))
		}
	}
	s.stats.acked = s.acked
	return s, nil
}

// Stats returns the shipper's live counters.
func (s *Shipper) Stats() *Stats { return &s.stats }

// Run ships until the end of the log (batch mode) or until ctx is done (follow mode),
// riding out broker outages; it returns an error only for what retrying cannot mend.
func (s *Shipper) Run(ctx context.Context) error {
	lagDone := make(chan struct{})
	defer close(lagDone)
	go s.lagLoop(lagDone)
	for {
		done, err := s.session(ctx)
		if serr := s.save(); serr != nil && err == nil {
			err = serr
		}
		if done || ctx.Err() != nil {
			return err
		}
		var fatal fatalError
		if errors.As(err, &fatal) {
			return fatal.err
		}
		s.stats.Failures.Add(1)
		s.cfg.Logger.Warn("ship: publishing failed; retrying from the acknowledged pointer", "err", err, "acked", s.acked, "pending_chunks", len(s.pend))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.cfg.RetryWait):
		}
	}
}

// fatalError is an error that retrying cannot mend (the log cannot be read).
type fatalError struct{ err error }

func (e fatalError) Error() string { return e.err.Error() }

func (s *Shipper) save() error {
	s.saved = time.Now().UTC()
	p := Progress{
		Source: s.cfg.Source, Stream: s.cfg.Stream.Name, Partitions: s.cfg.Stream.Partitions,
		Acked: s.acked, Pending: s.pend, Saved: s.saved,
	}
	if s.onSave != nil {
		s.onSave(p)
	}
	if err := SaveProgress(s.cfg.Progress, p); err != nil {
		return fatalError{err}
	}
	return nil
}

func (s *Shipper) lagLoop(done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		s.stats.LagBytes.Store(eventlog.BytesAfter(s.cfg.LogBase, s.stats.Acked()))
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
}
