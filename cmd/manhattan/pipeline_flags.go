package main

import (
	"flag"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/actors"
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
	flushInterval *time.Duration
	cacheSize     *int
	rollups       *listFlag
	complex       *listFlag
	skipMissing   *bool
	poll          *time.Duration
}

var defaultRollups = []string{"all", "pst_day=day:America/Los_Angeles", "pst_week=week:America/Los_Angeles", "browser"}

func addPipelineFlags(fs *flag.FlagSet) *pipelineFlags {
	return &pipelineFlags{
		log:           envString(fs, "log", "MANHATTAN_LOG", "log/manhattan.log", "event log base path (files <base>.<hour>)"),
		source:        envString(fs, "source", "MANHATTAN_SOURCE", "default", "name of this log's pointer in the database"),
		shards:        envInt(fs, "shards", "MANHATTAN_SHARDS", runtime.NumCPU(), "shard actors"),
		batch:         envInt(fs, "batch-size", "MANHATTAN_BATCH_SIZE", 2048, "records per source batch"),
		flushEvery:    envInt(fs, "flush-every", "MANHATTAN_FLUSH_EVERY", 250_000, "commit an epoch at least every N records"),
		flushInterval: envDuration(fs, "flush-interval", "MANHATTAN_FLUSH_INTERVAL", time.Second, "commit an epoch at least this often"),
		cacheSize:     envInt(fs, "cache-size", "MANHATTAN_CACHE_SIZE", 1_000_000, "visitor histories kept in memory"),
		rollups:       envList(fs, "rollup", "MANHATTAN_ROLLUPS", defaultRollups, "rollup spec: all, browser, KEY=day|week|month:ZONE"),
		complex:       envList(fs, "complex", "MANHATTAN_COMPLEX", nil, `complex goal "name|include,...|exclude,..."`),
		skipMissing:   fs.Bool("skip-missing", false, "when the stored pointer's file is gone or shorter, continue at the next file instead of failing"),
		poll:          envDuration(fs, "poll-interval", "MANHATTAN_POLL_INTERVAL", 200*time.Millisecond, "follow mode: how often to look for new log lines"),
	}
}

// rules builds the counting rules from --rollup and --complex.
func (f *pipelineFlags) rules() (*visitor.Rules, error) {
	rs, err := rollups.ParseList(f.rollups.values)
	if err != nil {
		return nil, usagef("--rollup: %v", err)
	}
	var cs []visitor.ComplexGoal
	for _, spec := range f.complex.values {
		if strings.TrimSpace(spec) == "" {
			continue
		}
		c, err := visitor.ParseComplex(spec)
		if err != nil {
			return nil, usagef("--complex %q: %v", spec, err)
		}
		cs = append(cs, c)
	}
	r, err := visitor.NewRules(rs, cs)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return r, nil
}

// config returns the pipeline configuration of the flags (without store and logger).
func (f *pipelineFlags) config() (actors.Config, error) {
	if *f.shards <= 0 || *f.batch <= 0 || *f.flushEvery <= 0 || *f.cacheSize <= 0 || *f.flushInterval <= 0 {
		return actors.Config{}, usagef("--shards, --batch-size, --flush-every, --flush-interval and --cache-size must be positive")
	}
	rules, err := f.rules()
	if err != nil {
		return actors.Config{}, err
	}
	if *f.log == "" {
		return actors.Config{}, usagef("--log: no event log given")
	}
	return actors.Config{
		Rules: rules, LogBase: *f.log, Source: *f.source, SkipMissing: *f.skipMissing, PollInterval: *f.poll,
		Shards: *f.shards, BatchSize: *f.batch, FlushEvery: int64(*f.flushEvery), FlushInterval: *f.flushInterval,
		CacheSize: *f.cacheSize,
	}, nil
}

func formatRate(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f/s", float64(n)/d.Seconds())
}
