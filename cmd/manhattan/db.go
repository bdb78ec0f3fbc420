package main

import (
	"context"
	"encoding/json"
	"fmt"
)

func init() {
	register(&command{name: "db", summary: "manage the database: migrate, status, reset", run: runDB})
}

func runDB(ctx context.Context, args []string) error {
	fs := newFlags("db", "migrate|status|reset [flags]")
	dbf := addDBFlags(fs)
	lf := addLogFlags(fs)
	yes := fs.Bool("yes", false, "reset: really drop every table of the schema")
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fs.Usage()
		if len(args) == 0 {
			return usagef("which one: migrate, status or reset?")
		}
		return nil
	}
	action := args[0]
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	log, err := lf.logger()
	if err != nil {
		return err
	}
	switch action {
	case "migrate", "status", "reset":
	default:
		return usagef("unknown action %q (want migrate, status or reset)", action)
	}
	if action == "reset" && !*yes {
		return usagef("reset drops every table in schema %q; add --yes to do it", *dbf.schema)
	}
	db, err := openDatabase(ctx, dbf, log)
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
	}
	return nil
}
