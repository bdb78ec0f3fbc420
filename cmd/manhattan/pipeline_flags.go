package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// pipelineFlags are the flags of commands that ingest.
type pipelineFlags struct {
	log           *string
	source        *string
	shards        *int
	batch         *int
	flushEvery    *int
	catchUpEvery  *int
	flushInterval *time.Duration
	cacheSize     *int
	rollups       *listFlag
	complex       *listFlag
	skipMissing   *bool
	poll          *time.Duration
	grace         *time.Duration
	storeWait     *time.Duration

	stream     *string
	partitions *string
	takeover   *bool
	lease      *time.Duration
	owner      *string
}

// addPipelineFlags adds the pipeline's flags, with the pipeline's own defaults.
func addPipelineFlags(fs *flag.FlagSet) *pipelineFlags {
	d := actors.DefaultConfig()
	return &pipelineFlags{
		log: envString(fs, "log", "MANHATTAN_LOG", "log/manhattan.log", "event log base path (files <base>.<hour>)"),
		source: envString(fs, "source", "MANHATTAN_SOURCE", d.Source,
			"name of this log's pointers in the database; or nats://host:port[,…] to ingest the JetStream stream --stream (its pointers are named after it)"),
		shards:     envInt(fs, "shards", "MANHATTAN_SHARDS", d.Shards, "shard actors"),
		batch:      envInt(fs, "batch-size", "MANHATTAN_BATCH_SIZE", d.BatchSize, "records per source batch"),
		flushEvery: envInt(fs, "flush-every", "MANHATTAN_FLUSH_EVERY", int(d.FlushEvery), "commit an epoch at least every N records"),
		catchUpEvery: envInt(fs, "catch-up-flush-every", "MANHATTAN_CATCH_UP_FLUSH_EVERY", defaultCatchUpFlushEvery,
			"while working through a backlog (before reaching the end of the log), commit an epoch every N records instead (at least --flush-every): busy visitors' histories are rewritten less often"),
		flushInterval: envDuration(fs, "flush-interval", "MANHATTAN_FLUSH_INTERVAL", d.FlushInterval, "commit an epoch at least this often"),
		cacheSize:     envInt(fs, "cache-size", "MANHATTAN_CACHE_SIZE", d.CacheSize, "visitor histories kept in memory"),
		rollups:       envList(fs, "rollup", "MANHATTAN_ROLLUPS", rollups.DefaultSpecs(), "rollup spec: all, browser, KEY=day|week|month|first_day|first_week:ZONE"),
		complex:       envList(fs, "complex", "MANHATTAN_COMPLEX", nil, `complex goal "name|include,...|exclude,..."`),
		skipMissing:   fs.Bool("skip-missing", false, "when the stored pointer's file is gone or shorter, continue at the next file instead of failing"),
		poll:          envDuration(fs, "poll-interval", "MANHATTAN_POLL_INTERVAL", d.PollInterval, "follow mode: how often to look for new log lines"),
		grace: envDuration(fs, "rollover-grace", "MANHATTAN_ROLLOVER_GRACE", eventlog.DefaultGrace,
			"keep reading an hour's file this long after the next hour's file appeared and it last grew, for writers whose clocks lag (0: none)"),
		storeWait: envDuration(fs, "store-wait", storeWaitEnv, d.StoreWait,
			"how long to keep retrying an unreachable database before giving up (0: keep waiting)"),
		stream: envString(fs, "stream", "MANHATTAN_STREAM", "MANHATTAN", "with --source nats://…: the JetStream stream to ingest"),
		partitions: envString(fs, "partitions", "MANHATTAN_PARTITIONS", "",
			"with --source nats://…: the partitions to ingest, e.g. 0-31 or 0,5,9-12 (static assignment); default: share them with the other running processes"),
		takeover: fs.Bool("takeover", false, "take the source's partitions over from the process that owns them (its commits are refused from then on)"),
		lease:    envDuration(fs, "lease", "MANHATTAN_LEASE", d.Lease, "how long this process's ownership of a partition lasts unless renewed (renewed every third of it)"),
		owner:    envString(fs, "owner", "MANHATTAN_OWNER", "", "name of this process in the pointers' ownership (default host:pid)"),
	}
}

// pipelineFlagNames names the flag of each Config field the flags set.
var pipelineFlagNames = map[string]string{
	"LogBase": "--log", "Source": "--source", "Shards": "--shards", "BatchSize": "--batch-size",
	"FlushEvery": "--flush-every", "CatchUpFlushEvery": "--catch-up-flush-every", "FlushInterval": "--flush-interval", "CacheSize": "--cache-size",
	"PollInterval": "--poll-interval", "Lease": "--lease",
}

const storeWaitEnv = "MANHATTAN_STORE_WAIT"

// defaultCatchUpFlushEvery is the size of the epochs of a backlog (--catch-up-flush-every):
// 16 epochs of the default --flush-every in one. It bounds the snapshots and counters one
// epoch holds (those of the visitors of 4M records: ~400k at the standard shape) and the
// work a crash loses, while one busy history is rewritten once instead of 16 times.
const defaultCatchUpFlushEvery = 4_000_000

// keepWaitingForStore makes --store-wait default to 0, keep waiting, unless the
// environment sets it: a long-running command must outlive a database outage.
func (f *pipelineFlags) keepWaitingForStore(fs *flag.FlagSet) {
	if os.Getenv(storeWaitEnv) == "" {
		*f.storeWait = 0
		fs.Lookup("store-wait").DefValue = "0s"
	}
}

// rules builds the counting rules from --rollup and --complex.
func (f *pipelineFlags) rules() (*visitor.Rules, error) {
	r, err := visitor.ParseRules(f.rollups.values, f.complex.values)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return r, nil
}

// config returns the pipeline configuration of the flags (without store and logger).
// The pipeline's Validate checks the values; zero ones take the pipeline's defaults.
func (f *pipelineFlags) config() (actors.Config, error) {
	rules, err := f.rules()
	if err != nil {
		return actors.Config{}, err
	}
	cfg := actors.Config{
		Rules: rules, LogBase: *f.log, Source: *f.source, SkipMissing: *f.skipMissing, PollInterval: *f.poll,
		Shards: *f.shards, BatchSize: *f.batch, FlushEvery: int64(*f.flushEvery), CatchUpFlushEvery: int64(*f.catchUpEvery),
		FlushInterval: *f.flushInterval,
		CacheSize:     *f.cacheSize, RolloverGrace: *f.grace, Takeover: *f.takeover, Lease: *f.lease, Owner: *f.owner,
	}
	if *f.partitions != "" {
		if f.natsURL() == "" {
			return actors.Config{}, usagef("--partitions: only for a partitioned log (--source nats://…); the files are one partition")
		}
		if cfg.Partitions, err = parsePartitions(*f.partitions); err != nil {
			return actors.Config{}, usagef("--partitions: %v", err)
		}
	}
	if f.natsURL() != "" {
		cfg.Source = *f.stream
	}
	switch {
	case *f.storeWait < 0:
		return actors.Config{}, usagef("--store-wait: %v is negative", *f.storeWait)
	case *f.storeWait == 0:
		cfg.StoreWait = actors.WaitForever
	default:
		cfg.StoreWait = *f.storeWait
	}
	switch {
	case *f.grace < 0:
		return actors.Config{}, usagef("--rollover-grace: %v is negative", *f.grace)
	case *f.grace == 0:
		cfg.RolloverGrace = -1 // none
	}
	if err := flagProblems(cfg.Validate()); err != nil {
		return actors.Config{}, err
	}
	return cfg, nil
}

// flagProblems turns the errors of Config.Validate into usage errors naming the flags; the
// store, opened later, is not the flags' business.
func flagProblems(err error) error {
	var errs []error
	for _, e := range unjoin(err) {
		var fe *actors.FieldError
		if !errors.As(e, &fe) {
			errs = append(errs, e)
			continue
		}
		if fe.Field == "Store" {
			continue
		}
		name, ok := pipelineFlagNames[fe.Field]
		if !ok {
			name = fe.Field
		}
		errs = append(errs, fmt.Errorf("%s: %s", name, fe.Problem))
	}
	if len(errs) == 0 {
		return nil
	}
	return usagef("%v", errors.Join(errs...))
}

// unjoin returns the errors joined in err (err itself if it joins none).
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func formatRate(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f/s", float64(n)/d.Seconds())
}

// natsURL returns the NATS URL of --source nats://…, or "" when the source is the files.
func (f *pipelineFlags) natsURL() string {
	if strings.Contains(*f.source, "://") {
		return *f.source
	}
	return ""
}

// parsePartitions parses a list of partitions and ranges: "0-31", "0,5,9-12".
func parsePartitions(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q is not a partition number", lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a range of partitions (low-high)", part)
			}
		}
		for p := a; p <= b; p++ {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
