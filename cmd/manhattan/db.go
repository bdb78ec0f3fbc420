package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/manhattan-analytics/manhattan/internal/localpg"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func init() {
	register(&command{name: "db", summary: "manage the database: migrate, status, reset, switch, stop", run: runDB})
}

func runDB(ctx context.Context, args []string) error {
	fs := newFlags("db", `migrate|status|reset|switch|stop [flags]

  migrate  create or upgrade the schema (every command does it too)
  status   the schema's version, committed pointers and row counts
  reset    drop every table of the schema and create them again (--yes)
  switch   make the schema --to serve in place of --schema, e.g. a rebuild made by
           'manhattan reprocess': running servers follow within seconds, and every command
           started with --schema uses --to from then on; --back undoes it
  stop     stop the private local PostgreSQL under --data-dir (commands leave it running,
           since other commands may be using it)`)
	dbf := addDBFlags(fs)
	lf := addLogFlags(fs)
	yes := fs.Bool("yes", false, "reset: really drop every table of the schema")
	to := fs.String("to", "", "switch: the schema that serves in place of --schema")
	back := fs.Bool("back", false, "switch: --schema serves itself again")
	force := fs.Bool("force", false, "switch: even to a schema that has committed nothing")
	action, err := parseAction(fs, args, "which one: migrate, status, reset, switch or stop?")
	if err != nil {
		return err
	}
	log, err := lf.logger()
	if err != nil {
		return err
	}
	switch action {
	case "migrate", "status", "reset", "switch":
	case "stop":
		return stopLocalServer(ctx, dbf, log)
	default:
		return usagef("unknown action %q (want migrate, status, reset, switch or stop)", action)
	}
	if action == "switch" && (*to == "") == !*back {
		return usagef("switch: give --to SCHEMA, or --back")
	}
	if action == "reset" && !*yes {
		return usagef("reset drops every table in schema %q; add --yes to do it", *dbf.schema)
	}
	db, err := openConfiguredDatabase(ctx, dbf, log)
	if err != nil {
		return err
	}
	defer db.close()
	switch action {
	case "migrate":
		fmt.Fprintf(stdout, "schema %q is up to date\n", db.store.Schema())
	case "reset":
		if err := db.store.Reset(ctx); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "schema %q reset\n", db.store.Schema())
	case "status":
		st, err := db.store.Status(ctx)
		if err != nil {
			return err
		}
		b, _ := json.MarshalIndent(st, "", "  ")
		fmt.Fprintln(stdout, string(b))
		if to, err := db.store.SwitchedTo(ctx); err == nil && to != "" {
			fmt.Fprintf(os.Stderr, "schema %q is switched to %q: commands and servers given --schema %s use %q\n", st.Schema, to, st.Schema, to)
		}
	case "switch":
		return switchSchema(ctx, db, *to, *force)
	}
	return nil
}

// switchSchema makes schema to serve in place of the configured one ("" switches back).
func switchSchema(ctx context.Context, db *database, to string, force bool) error {
	from := db.configured.Schema()
	if to == "" {
		if err := db.configured.SwitchTo(ctx, ""); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "schema %q serves itself again\n", from)
		return nil
	}
	if err := persistence.ValidateSchema(to); err != nil {
		return usagef("--to: %v", err)
	}
	ok, err := db.configured.HasSchema(ctx, to)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("schema %q does not exist: build it first, e.g. manhattan reprocess --into %s", to, to)
	}
	target, err := db.open(ctx, to)
	if err != nil {
		return err
	}
	st, err := target.Status(ctx)
	if err != nil {
		return err
	}
	if len(st.Pointers) == 0 && !force {
		return fmt.Errorf("schema %q has committed nothing yet (a rebuild still running or never started); add --force to switch anyway", to)
	}
	if err := db.configured.SwitchTo(ctx, to); err != nil {
		return err
	}
	if _, err := db.follow(ctx); err != nil {
		_ = db.configured.SwitchTo(ctx, "")
		return fmt.Errorf("switch refused, schema %q left serving itself: %w", from, err)
	}
	fmt.Fprintf(stdout, "schema %q is switched to %q: running servers follow within %v; commands given --schema %s use %q\n",
		from, to, switchPoll, from, to)
	for _, p := range st.Pointers {
		fmt.Fprintf(stdout, "  %s: source %q at %s, %d records\n", to, p.Source, p.Pointer, p.Records)
	}
	return nil
}

// stopLocalServer stops the private local PostgreSQL of --data-dir, if it runs.
func stopLocalServer(ctx context.Context, f *dbFlags, log *slog.Logger) error {
	if *f.url != "" {
		return usagef("stop stops the private local PostgreSQL; with --db (or MANHATTAN_DB) there is none to stop")
	}
	dir := filepath.Join(*f.dataDir, "pg")
	stopped, err := localpg.StopRunning(ctx, dir, func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) })
	if err != nil {
		return err
	}
	if stopped {
		fmt.Fprintf(stdout, "stopped the private PostgreSQL in %s\n", dir)
	} else {
		fmt.Fprintf(stdout, "no private PostgreSQL runs in %s\n", dir)
	}
	return nil
}
