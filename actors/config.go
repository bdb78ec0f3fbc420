package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// Store is what the pipeline needs of the durable store (persistence.Store implements it).
type Store interface {
	LoadPointer(ctx context.Context, source string) (messages.Pointer, int64, error)
	LoadHistories(ctx context.Context, vids []string) (map[string][]byte, error)
	CommitEpoch(ctx context.Context, e *messages.Epoch) error
}

// Config configures a pipeline. Zero fields take the defaults of WithDefaults.
type Config struct {
	Store   Store
	Rules   *visitor.Rules
	LogBase string // the log is the files LogBase.<hour>
	Source  string // name of the pointer row; default "default"

	Follow       bool          // keep reading as the log grows, until Stop
	PollInterval time.Duration // follow mode: how often to look for growth
	SkipMissing  bool          // a pointer to a missing file or past its end continues at the next file

	Shards            int           // default: number of CPUs
	BatchSize         int           // records per source batch
	FlushEvery        int64         // cut an epoch after this many records
	FlushInterval     time.Duration // and at least this often once the source has caught up with the log
	CacheSize         int           // visitor histories kept in memory, over all shards
	MaxBatchesAhead   int           // batches the source may read ahead of the slowest shard
	MaxEpochsInFlight int           // sealed epochs waiting for the committer before the source holds
	CommitTimeout     time.Duration // bound on one commit or history load
	MaxFailures       int           // failures without the committed epoch advancing before giving up
	RetryBackoff      time.Duration // first wait before a restart; doubles up to MaxBackoff
	MaxBackoff        time.Duration
	StoreWait         time.Duration // how long to keep retrying an unreachable store before giving up

	Logger *slog.Logger
	Hooks  Hooks
}

// Hooks lets tests inject faults. Nil hooks do nothing.
type Hooks struct {
	// Record runs inside a shard's per-record protection: a panic here dead-letters the record.
	Record func(shard int, r *messages.Record)
	// ShardBatch runs when a shard starts a batch, outside per-record protection: a panic
	// here is a shard failure and rewinds the pipeline.
	ShardBatch func(shard int, gen, seq int64)
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Source == "" {
		c.Source = "default"
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 200 * time.Millisecond
	}
	if c.Shards <= 0 {
		c.Shards = runtime.NumCPU()
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 2048
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = 250_000
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = time.Second
	}
	if c.CacheSize <= 0 {
		c.CacheSize = 1_000_000
	}
	if c.MaxBatchesAhead <= 0 {
		c.MaxBatchesAhead = 16
	}
	if c.MaxEpochsInFlight <= 0 {
		c.MaxEpochsInFlight = 2
	}
	if c.CommitTimeout <= 0 {
		c.CommitTimeout = 2 * time.Minute
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.StoreWait <= 0 {
		c.StoreWait = 2 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("pipeline: no store")
	case c.Rules == nil:
		return errors.New("pipeline: no rules")
	case c.LogBase == "":
		return errors.New("pipeline: no log base path")
	case c.Shards > 4096:
		return fmt.Errorf("pipeline: %d shards is too many", c.Shards)
	}
	return nil
}
