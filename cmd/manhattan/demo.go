package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/dashboard"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/metrics"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/visitor"
)

func init() {
	register(&command{name: "demo", summary: "generate a shop log, ingest it into a demo schema, serve the dashboard", run: runDemo})
}

// demoSource is the name of the demo log's pointer; a schema holding other sources is
// not the demo's and is never reset.
const demoSource = "demo"

func runDemo(ctx context.Context, args []string) error {
	fs := newFlags("demo", "[flags]")
	// The demo resets its schema on every run, so it does not read MANHATTAN_SCHEMA (which
	// may name real data): its schema is --schema or MANHATTAN_DEMO_SCHEMA only.
	dbf := &dbFlags{
		url:     envString(fs, "db", "MANHATTAN_DB", os.Getenv("DATABASE_URL"), "PostgreSQL URL; empty: a private local server under --data-dir (DATABASE_URL is used too)"),
		schema:  envString(fs, "schema", "MANHATTAN_DEMO_SCHEMA", "demo", "schema for the demo's data, reset on every run"),
		dataDir: envString(fs, "data-dir", "MANHATTAN_DATA", ".manhattan", "folder of the private local PostgreSQL and of the demo log"),
	}
	lf := addLogFlags(fs)
	sf := addServerFlags(fs)
	base := fs.String("log", "", "event log base path (default <data-dir>/demo/manhattan.log); a log is generated there when none exists")
	records := fs.Int("records", 200_000, "records of the generated log")
	shards := fs.Int("shards", actors.DefaultConfig().Shards, "shard actors")
	exitAfterIngest := fs.Bool("exit-after-ingest", false, "stop once the log is ingested instead of serving (for scripts and CI)")
	progress := fs.Bool("progress", term.IsTerminal(int(os.Stderr.Fd())), "show a progress line on standard error")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *records <= 0 || *shards <= 0 {
		return usagef("--records and --shards must be positive")
	}
	if err := persistence.ValidateSchema(*dbf.schema); err != nil {
		return usagef("--schema: %v", err)
	}
	log, err := lf.logger()
	if err != nil {
		return err
	}
	if !*exitAfterIngest {
		if err := sf.check(); err != nil {
			return err
		}
	}
	rules, err := demoRules()
	if err != nil {
		return err
	}
	if *base == "" {
		*base = filepath.Join(*dbf.dataDir, "demo", "manhattan.log")
	}
	if err := ensureDemoLog(*base, *records); err != nil {
		return err
	}

	db, err := openDatabase(ctx, dbf, log)
	if err != nil {
		return err
	}
	defer db.close()
	if err := resetDemoSchema(ctx, db.store); err != nil {
		return err
	}

	m := metrics.New()
	fmt.Fprintf(stdout, "ingesting  %s into schema %q\n", *base, db.store.Schema())
	_, err = ingestToEnd(ctx, actors.Config{
		Store: db.store, Rules: rules, LogBase: *base, Source: demoSource, Shards: *shards, Logger: log,
	}, m.PipelineEvents(), func(p *actors.Pipeline) { m.TrackPipeline(p) }, *progress)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := query.New(db.store, complexNames(rules)...).ApplySettings(ctx, demoSettings()); err != nil {
		return fmt.Errorf("demo settings: %w", err)
	}
	if *exitAfterIngest {
		fmt.Fprintf(stdout, "\nThe demo data is in schema %q; 'manhattan serve --schema %s' shows it.\n", db.store.Schema(), db.store.Schema())
		return nil
	}

	return serveDemo(ctx, db, sf, fs.Lookup("listen").DefValue, m, log, rules)
}

// serveDemo serves the dashboard and the API of the demo's schema until ctx is done.
// defaultListen is the --listen default, which the demo moves off when it is taken.
func serveDemo(ctx context.Context, db *database, sf *serverFlags, defaultListen string, m *metrics.Metrics, log *slog.Logger, rules *visitor.Rules) error {
	h, err := newSwitchingHandler(ctx, db, func(st *persistence.Store) (http.Handler, error) {
		return newHandler(st, sf, m, log, nil, rules, dashboard.Options{Goals: demoGoals})
	}, log)
	if err != nil {
		return err
	}
	ln, err := demoListener(sf, defaultListen)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	printServing(stdout, ln, sf)
	printExamples(stdout, baseURL(ln), *sf.token != "")
	fmt.Fprintln(stdout, "\nPress Ctrl-C to stop.")
	return api.Serve(ctx, ln, h, log)
}

// demoSettings are the settings of the generated log's tests (loggen.Settings).
func demoSettings() []query.Setting {
	out := make([]query.Setting, len(loggen.Settings))
	for i, s := range loggen.Settings {
		out[i] = query.Setting(s)
	}
	return out
}

// demoGoals are the goals a test page of the demo dashboard shows first: the shop's
// funnel, then the goals with values.
var demoGoals = []string{"viewed page", "add to cart", "began checkout", "completed checkout", "order size", "time on site", "newsletter signup"}

// DemoCohort is the cohort rollup of the demo: the results over time of its pages.
const DemoCohort = "first_day:" + rollups.DefaultZone

// demoRules are the default rollups with a day cohort rollup, and the complex goals
// that suit generated logs.
func demoRules() (*visitor.Rules, error) {
	return visitor.ParseRules(append(rollups.DefaultSpecs(), DemoCohort), loggen.ComplexGoals)
}

// ensureDemoLog generates the demo log at base unless it has files already.
func ensureDemoLog(base string, records int) error {
	files, err := eventlog.Files(base)
	if err != nil {
		return fmt.Errorf("demo log: %w", err)
	}
	if len(files) > 0 {
		fmt.Fprintf(stdout, "using      the existing log %s.* (%d files; delete them to generate a new one)\n", base, len(files))
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return fmt.Errorf("demo log: %w", err)
	}
	t0 := time.Now()
	sum, err := loggen.Write(base, loggen.Options{Seed: 1, Records: records})
	if err != nil {
		return fmt.Errorf("generate the demo log: %w", err)
	}
	fmt.Fprintf(stdout, "generated  %d records of %d visitors from %s to %s in %s.* (%v)\n",
		sum.Lines, sum.Visitors, sum.First.Format(time.DateOnly), sum.Last.Format(time.DateOnly), base, time.Since(t0).Round(time.Millisecond))
	return nil
}

// resetDemoSchema empties the demo schema, refusing when it holds another log's data.
func resetDemoSchema(ctx context.Context, store *persistence.Store) error {
	st, err := store.Status(ctx)
	if err != nil {
		return err
	}
	for _, p := range st.Pointers {
		if p.Source != demoSource {
			return usagef("schema %q holds data of the log source %q, not the demo's; the demo resets its schema, so choose another --schema",
				store.Schema(), p.Source)
		}
	}
	if err := store.Reset(ctx); err != nil {
		return fmt.Errorf("reset the demo schema: %w", err)
	}
	return nil
}

// demoListener listens on --listen; when that is the default address and it is taken
// (another server runs there), it takes any free loopback port instead.
func demoListener(f *serverFlags, defaultAddr string) (net.Listener, error) {
	ln, err := f.open()
	if err == nil || *f.listen != defaultAddr || !errors.Is(err, syscall.EADDRINUSE) {
		return ln, err
	}
	fmt.Fprintf(stdout, "%s is in use; taking another port\n", defaultAddr)
	*f.listen = "127.0.0.1:0"
	return f.open()
}

// printExamples prints curl commands for the demo data.
func printExamples(w io.Writer, base string, token bool) {
	auth := ""
	if token {
		auth = `-H "Authorization: Bearer $MANHATTAN_TOKEN" `
	}
	get := func(path string, params url.Values) {
		target := base + path
		if len(params) > 0 {
			target += "?" + params.Encode()
		}
		fmt.Fprintf(w, "  curl %s'%s'\n", auth, target)
	}
	fmt.Fprintln(w, "\nTry the API:")
	get("api/v1/tests", nil)
	get("api/v1/results", url.Values{"test": {"red checkout form"}, "goals": {"add to cart,began checkout,completed checkout"}})
	get("api/v1/count", url.Values{"goal": {"completed checkout"}, "test": {"red checkout form"}, "population": {"true"}, "site": {"1"}})
	get("api/v1/value", url.Values{"goal": {"completed checkout"}})
	get("api/v1/series", url.Values{"goal": {"viewed page"}, "rollup": {"pst_day"}})
	get("metrics", nil)
}
