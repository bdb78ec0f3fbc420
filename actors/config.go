package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"time"

	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/ownership"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// Store is what the pipeline needs of the durable store (persistence.Store implements it;
// internal/storetest checks an implementation against this contract). Its methods may be
// called concurrently (shards load while the committer commits) and must honour ctx.
type Store interface {
	// LoadPointers returns the committed pointer of each of the partitions of source, in
	// the order asked, and the highest epoch committed for any of them. A partition that
	// has committed nothing yet gets a zero position (its Partition set, File and Offset
	// zero); a source that has committed nothing gets only those and epoch 0, and no error.
	LoadPointers(ctx context.Context, source string, partitions []int) ([]messages.Pointer, int64, error)
	// LoadHistories returns the stored history of each of vids that has one, as the last
	// committed epoch that changed it left it. Visitors without a stored history are
	// absent from the map (not present with empty data). The caller may keep and modify
	// the returned slices.
	LoadHistories(ctx context.Context, vids []string) (map[string][]byte, error)
	// HasHistories reports whether the store holds any visitor history at all. A pipeline
	// that starts on a store without any loads no history of a visitor it has not seen.
	HasHistories(ctx context.Context) (bool, error)
	// CommitEpoch stores e atomically, or nothing at all: its deltas, histories, dead
	// letters and goal and test metadata, together with the pointers of e.Advances and
	// e.Number as the committed ones of those partitions of e.Source. Epoch numbers must
	// grow: when e.Number is not above the committed epoch of a partition it advances, it
	// stores nothing and returns an error wrapping messages.ErrStaleEpoch. A store may
	// refuse an epoch for other reasons (a claim that is not current, text it cannot
	// hold), storing nothing. When it returns another error the outcome may be unknown (a
	// connection lost during the commit): LoadPointers then tells, since the epoch was
	// committed exactly when the stored epoch is at least e.Number. CommitEpoch does not
	// keep e or anything it points to after it returns.
	CommitEpoch(ctx context.Context, e *messages.Epoch) error
}

// Config configures a pipeline. A zero field takes its default (DefaultConfig); a negative
// one is an error (Validate).
type Config struct {
	Store Store
	Rules *visitor.Rules
	// Log is the log to read; when nil, the hourly files LogBase.<hour>.
	Log     logsource.Log
	LogBase string
	Source  string // name of the source's pointer rows; default DefaultSource
	// Partitions are the partitions of Log to read (static assignment); nil means all
	// of them. Unless Share is set, the pipeline claims them all or stops with a
	// *ownership.NotOwnerError that names their owner.
	Partitions []int
	// Share makes the pipeline share the log's partitions with the other live processes
	// of the same Source: it claims free partitions up to its fair share, renews its
	// leases, releases partitions beyond its share and takes over those whose lease ended.
	// A log of more than one partition read with Partitions nil is always shared.
	Share bool
	// Owner names this process in the pointer rows; default ownership.DefaultOwner().
	Owner string
	// Lease is how long a claim lasts unless renewed (every third of it); default
	// ownership.DefaultLease.
	Lease time.Duration
	// Takeover claims the Partitions even from another process whose lease has not
	// ended: its commits are refused from then on.
	Takeover bool

	Follow       bool          // keep reading as the log grows, until Stop
	PollInterval time.Duration // follow mode: how often to look for growth
	SkipMissing  bool          // a pointer to a missing file or past its end continues at the next file
	// RolloverGrace is how long the files' reader keeps an hour's file open after a newer
	// file appeared and the file last grew, for writers that append to an older hour
	// without the eventlog protocol (logsource.Files.Grace): DefaultConfig's when zero;
	// negative means none (the one field where a negative value is valid). Only used when
	// Log is nil.
	RolloverGrace time.Duration

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
	StoreWait         time.Duration // how long to keep retrying an unreachable store before giving up (WaitForever: never)

	// CatchUpFlushEvery is the size of epochs, in records, while the source has not yet
	// reached the end of the log (working through a backlog): a larger epoch rewrites each
	// busy visitor's history once instead of at every FlushEvery records, and replaces
	// upserts of histories by plain inserts of new ones. Zero (or less than FlushEvery):
	// FlushEvery. Cache pressure still cuts epochs early.
	CatchUpFlushEvery int64

	Logger *slog.Logger
	Hooks  Hooks
}

// Hooks lets tests inject faults. Nil hooks do nothing.
type Hooks struct {
	// Record runs inside a shard's per-record protection, before the rules: a panic here
	// dead-letters the record.
	Record func(shard int, r *messages.Record)
	// AfterApply runs inside the per-record protection after the rules applied the record:
	// a panic here stands for one inside the rules, after they changed counts.
	AfterApply func(shard int, r *messages.Record)
	// ShardBatch runs when a shard starts a batch, outside per-record protection: a panic
	// here is a shard failure and rewinds the pipeline.
	ShardBatch func(shard int, gen, seq int64)
	// Now is the log reader's clock for the rollover grace window (time.Now when nil).
	Now func() time.Time
}

// WaitForever as Config.StoreWait keeps retrying an unreachable store until Stop.
const WaitForever time.Duration = math.MaxInt64

// DefaultSource is the pointer row of a pipeline given no Source.
const DefaultSource = "default"

// MaxShards bounds Config.Shards.
const MaxShards = 4096

// DefaultConfig returns the value every zero field of a Config stands for. Store, Rules,
// LogBase and Hooks have none; Logger defaults to one that discards everything.
func DefaultConfig() Config {
	return Config{
		Source:            DefaultSource,
		PollInterval:      200 * time.Millisecond,
		Shards:            runtime.NumCPU(),
		BatchSize:         2048,
		FlushEvery:        250_000,
		FlushInterval:     time.Second,
		CacheSize:         1_000_000,
		MaxBatchesAhead:   16,
		MaxEpochsInFlight: 2,
		CommitTimeout:     2 * time.Minute,
		MaxFailures:       5,
		RetryBackoff:      100 * time.Millisecond,
		MaxBackoff:        5 * time.Second,
		StoreWait:         2 * time.Minute,
		Lease:             ownership.DefaultLease,
		Logger:            slog.New(slog.DiscardHandler),
	}
}

// WithDefaults returns c with every zero field set to its default (DefaultConfig). It
// leaves other fields, negative ones included, as they are: Validate rejects those.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Log == nil && c.LogBase != "" {
		c.Log = &logsource.Files{Base: c.LogBase, Grace: c.RolloverGrace, Now: c.Hooks.Now}
	}
	orDefault(&c.Source, d.Source)
	orDefault(&c.PollInterval, d.PollInterval)
	orDefault(&c.Shards, d.Shards)
	orDefault(&c.BatchSize, d.BatchSize)
	orDefault(&c.FlushEvery, d.FlushEvery)
	orDefault(&c.FlushInterval, d.FlushInterval)
	orDefault(&c.CacheSize, d.CacheSize)
	orDefault(&c.MaxBatchesAhead, d.MaxBatchesAhead)
	orDefault(&c.MaxEpochsInFlight, d.MaxEpochsInFlight)
	orDefault(&c.CommitTimeout, d.CommitTimeout)
	orDefault(&c.MaxFailures, d.MaxFailures)
	orDefault(&c.RetryBackoff, d.RetryBackoff)
	orDefault(&c.MaxBackoff, d.MaxBackoff)
	orDefault(&c.StoreWait, d.StoreWait)
	orDefault(&c.Lease, d.Lease)
	if _, leases := c.Store.(Leases); leases && c.Owner == "" {
		c.Owner = ownership.DefaultOwner()
	}
	orDefault(&c.Logger, d.Logger)
	return c
}

func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// FieldError is one problem of a Config, named by its field.
type FieldError struct {
	Field   string // the Config field, e.g. "BatchSize"
	Problem string // e.g. "-3 is negative"
}

func (e *FieldError) Error() string { return "pipeline config: " + e.Field + ": " + e.Problem }

// Validate reports every problem of c at once (errors.Join of *FieldError): a missing
// Store, Rules or log (LogBase or Log), a negative number or duration, more than MaxShards shards.
// Zero fields are valid: they take their defaults.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, problem string) { errs = append(errs, &FieldError{Field: field, Problem: problem}) }
	if c.Store == nil {
		bad("Store", "missing")
	}
	if c.Rules == nil {
		bad("Rules", "missing")
	}
	if c.LogBase == "" && c.Log == nil {
		bad("LogBase", "missing (or set Log)")
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"Shards", int64(c.Shards)},
		{"BatchSize", int64(c.BatchSize)},
		{"FlushEvery", c.FlushEvery},
		{"CatchUpFlushEvery", c.CatchUpFlushEvery},
		{"CacheSize", int64(c.CacheSize)},
		{"MaxBatchesAhead", int64(c.MaxBatchesAhead)},
		{"MaxEpochsInFlight", int64(c.MaxEpochsInFlight)},
		{"MaxFailures", int64(c.MaxFailures)},
	} {
		if f.v < 0 {
			bad(f.name, fmt.Sprintf("%d is negative", f.v))
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{
		{"PollInterval", c.PollInterval},
		{"FlushInterval", c.FlushInterval},
		{"CommitTimeout", c.CommitTimeout},
		{"RetryBackoff", c.RetryBackoff},
		{"MaxBackoff", c.MaxBackoff},
		{"StoreWait", c.StoreWait},
		{"Lease", c.Lease},
	} {
		if f.v < 0 {
			bad(f.name, fmt.Sprintf("%v is negative", f.v))
		}
	}
	if c.Shards > MaxShards {
		bad("Shards", fmt.Sprintf("%d is more than %d", c.Shards, MaxShards))
	}
	return errors.Join(errs...)
}
