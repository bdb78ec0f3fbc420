package main

import (
	"context"
	"flag"
	"log/slog"

	"github.com/manhattan-analytics/manhattan/actors"
)

// commandFlags are the flag groups of a command that opens the database; pipeline is nil
// for a command that does not ingest.
type commandFlags struct {
	db       *dbFlags
	log      *logFlags
	pipeline *pipelineFlags
}

// commandSetup is what such a command starts from.
type commandSetup struct {
	log *slog.Logger
	cfg actors.Config // with pipeline flags: the pipeline's configuration, store and logger set
	db  *database     // the caller closes it
}

// setUp is the common start of ingest, run and serve: it parses args (refusing positional
// arguments), builds the logger and, with pipeline flags, the pipeline configuration, runs
// check (may be nil) on the configuration so that every usage error is reported before
// connecting, and opens the database.
func setUp(ctx context.Context, fs *flag.FlagSet, args []string, f commandFlags, check func(actors.Config) error) (*commandSetup, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	}
	log, err := f.log.logger()
	if err != nil {
		return nil, err
	}
	var cfg actors.Config
	if f.pipeline != nil {
		if cfg, err = f.pipeline.config(); err != nil {
			return nil, err
		}
	}
	if check != nil {
		if err := check(cfg); err != nil {
			return nil, err
		}
	}
	db, err := openDatabase(ctx, f.db, log)
	if err != nil {
		return nil, err
	}
	if f.pipeline != nil {
		cfg.Store, cfg.Logger = db.store, log
		tuneGC(cfg.CacheSize)
	}
	return &commandSetup{log: log, cfg: cfg, db: db}, nil
}
