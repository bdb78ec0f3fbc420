package main

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/term"

	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func init() {
	register(&command{name: "reprocess", summary: "rebuild the counts from the start of the log into a new schema", run: runReprocess})
}

const reprocessUsage = `--into SCHEMA [flags]

Reads the whole log again, from its first line, with the rollups and complex goals given
(--rollup, --complex), into the new schema --into, while the current schema (--schema) and
every process using it go on as before. A complex goal or rollup added this way counts the
past too. Then 'manhattan db switch --schema CURRENT --to SCHEMA' makes the servers answer
from the rebuild, and a restarted 'manhattan run' goes on ingesting into it. The current
schema's test configurations are copied. An interrupted rebuild continues where it
stopped with --resume.`

func runReprocess(ctx context.Context, args []string) error {
	fs := newFlags("reprocess", reprocessUsage)
	dbf := addDBFlags(fs)
	pf := addPipelineFlags(fs)
	lf := addLogFlags(fs)
	into := fs.String("into", "", "the schema to rebuild into (new, or one an interrupted rebuild left with --resume)")
	resume := fs.Bool("resume", false, "continue a rebuild of --into that was interrupted")
	progress := fs.Bool("progress", term.IsTerminal(int(os.Stderr.Fd())), "show a progress line on standard error")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %v", fs.Args())
	}
	if *into == "" {
		return usagef("--into: name the schema to rebuild into")
	}
	if err := persistence.ValidateSchema(*into); err != nil {
		return usagef("--into: %v", err)
	}
	cfg, err := pf.config()
	if err != nil {
		return err
	}
	db, log, err := openLogged(ctx, lf, dbf)
	if err != nil {
		return err
	}
	defer db.close()
	current := db.store.Schema()
	if *into == current || *into == db.configured.Schema() {
		return usagef("--into %s is the schema in use; rebuild into a new one", *into)
	}
	target, err := prepareRebuild(ctx, db, *into, cfg.Source, *resume)
	if err != nil {
		return err
	}
	copied, err := target.CopyTestConfigs(ctx, current)
	if err != nil {
		return err
	}
	if copied > 0 {
		fmt.Fprintf(stdout, "copied %d test configurations from %q\n", copied, current)
	}
	fmt.Fprintf(stdout, "rebuilding %s from the start of log %s into schema %q (schema %q goes on serving)\n",
		cfg.Source, cfg.LogBase, *into, current)
	cfg.Store, cfg.Logger = target, log
	if _, err := ingestToEnd(ctx, cfg, ingest.Events{}, nil, *progress); err != nil {
		return fmt.Errorf("rebuild into %q stopped (continue it with --resume): %w", *into, err)
	}
	if ctx.Err() != nil {
		fmt.Fprintf(stdout, "interrupted: continue with manhattan reprocess --into %s --resume (same flags)\n", *into)
		return nil
	}
	fmt.Fprintf(stdout, "\nrebuilt into %q. To serve it:\n  manhattan db switch --schema %s --to %s\n", *into, db.configured.Schema(), *into)
	fmt.Fprintf(stdout, "then restart 'manhattan run' with the new --rollup/--complex flags: it goes on ingesting into %q.\n", *into)
	return nil
}

// prepareRebuild opens schema into for a rebuild: it must be new (or empty), or, with
// resume, hold an interrupted rebuild of source.
func prepareRebuild(ctx context.Context, db *database, into, source string, resume bool) (*persistence.Store, error) {
	existed, err := db.configured.HasSchema(ctx, into)
	if err != nil {
		return nil, err
	}
	target, err := db.open(ctx, into)
	if err != nil {
		return nil, err
	}
	if !existed {
		return target, nil
	}
	st, err := target.Status(ctx)
	if err != nil {
		return nil, err
	}
	if len(st.Pointers) == 0 {
		return target, nil
	}
	if !resume {
		return nil, fmt.Errorf("schema %q already holds counts (source %q at %s): add --resume to continue that rebuild, or drop it with manhattan db reset --schema %s --yes",
			into, st.Pointers[0].Source, st.Pointers[0].Pointer, into)
	}
	for _, p := range st.Pointers {
		if p.Source == source {
			return target, nil
		}
	}
	return nil, fmt.Errorf("schema %q holds no rebuild of source %q to resume", into, source)
}
