package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/dashboard"
	"github.com/manhattan-analytics/manhattan/metrics"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/visitor"
)

func init() {
	register(&command{name: "serve", summary: "serve the JSON API, the dashboard, /metrics and /healthz", run: runServe})
}

// serverFlags are the flags of commands that run the HTTP server.
type serverFlags struct {
	listen   *string
	token    *string
	insecure *bool
}

func addServerFlags(fs *flag.FlagSet) *serverFlags {
	return &serverFlags{
		listen: envString(fs, "listen", "MANHATTAN_LISTEN", api.DefaultListen, "address of the HTTP server (API, dashboard, /metrics, /healthz)"),
		token: envString(fs, "token", "MANHATTAN_TOKEN", "", "bearer token the API, the dashboard and /metrics require (not /healthz); "+
			"prefer the environment variable, a flag is visible to other users in the process list"),
		insecure: fs.Bool("insecure-listen", false, "allow a --listen address beyond loopback without --token (when a proxy in front controls access)"),
	}
}

// check applies the listening policy before anything starts.
func (f *serverFlags) check() error {
	if err := api.CheckToken(*f.token); err != nil {
		return usagef("--token (or MANHATTAN_TOKEN): %v", err)
	}
	if err := api.CheckListen(*f.listen, *f.token != "", *f.insecure); err != nil {
		return usagef("--listen: %v", err)
	}
	return nil
}

// open listens on --listen.
func (f *serverFlags) open() (net.Listener, error) {
	ln, err := net.Listen("tcp", *f.listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", *f.listen, err)
	}
	return ln, nil
}

// liveIngest is the pipeline of this process and the source whose pointer rows it commits.
type liveIngest struct {
	p      *actors.Pipeline
	source string
}

// newHandler returns the server's handler: the API with the dashboard (configured by
// dash) at "/". live, when not nil, is this process's pipeline: /api/v1/status reports it
// and the lag of its source's partitions; rules, when not nil, are the counting rules of
// the data (for their complex goals; nil takes those an ingest stored with the schema).
func newHandler(store *persistence.Store, f *serverFlags, m *metrics.Metrics, log *slog.Logger, live *liveIngest, rules *visitor.Rules, dash dashboard.Options) (http.Handler, error) {
	if dash.Logger == nil {
		dash.Logger = log
	}
	if rules == nil {
		var err error
		if rules, err = storedRules(store, log); err != nil {
			return nil, err
		}
	}
	if dash.ComplexGoals == nil {
		dash.ComplexGoals = complexNames(rules)
	}
	d, err := newDashboard(store, dash)
	if err != nil {
		return nil, err
	}
	opts := api.Options{Token: *f.token, Dashboard: d, Metrics: m, Logger: log, ComplexGoals: complexNames(rules)}
	if live != nil {
		opts.Ingest, opts.IngestSource, opts.IngestLog = live.p.Stats, live.source, live.p.Log()
	}
	return api.New(store, opts), nil
}

// storedRules returns rules with the complex goals that an ingest stored with the
// schema (recordComplexGoals), so that a server started without the rules knows them
// before anyone converts on them; without any stored it says so in the log.
func storedRules(store *persistence.Store, log *slog.Logger) (*visitor.Rules, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	flags, stored, err := store.ComplexGoals(ctx)
	if err != nil {
		return nil, err
	}
	if !stored {
		log.Info("no complex goals stored with the schema (no ingest of this version filled it): "+
			"a complex goal nobody converted on yet is an unknown goal", slog.String("schema", store.Schema()))
	}
	cs, err := visitor.ParseComplexList(flags)
	if err != nil {
		return nil, fmt.Errorf("the complex goals stored with schema %s: %w", store.Schema(), err)
	}
	return &visitor.Rules{Complex: cs}, nil
}

// recordComplexGoals stores the complex goals of cfg's rules with the schema of its store
// (a *persistence.Store), for servers started without the rules, and warns when the
// schema was filled with other complex goals.
func recordComplexGoals(ctx context.Context, cfg actors.Config) error {
	store, ok := cfg.Store.(*persistence.Store)
	if !ok || cfg.Rules == nil {
		return nil
	}
	flags := make([]string, 0, len(cfg.Rules.Complex))
	for _, c := range cfg.Rules.Complex {
		flags = append(flags, c.String())
	}
	before, stored, err := store.SetComplexGoals(ctx, flags)
	if err != nil {
		return err
	}
	if stored && !slices.Equal(before, flags) && cfg.Logger != nil {
		cfg.Logger.Warn("the schema was filled with other complex goals: the counts of those that differ follow both; "+
			"rebuild with `manhattan reprocess` to count every visitor under the new ones",
			slog.String("schema", store.Schema()), slog.String("before", strings.Join(before, "; ")), slog.String("now", strings.Join(flags, "; ")))
	}
	return nil
}

// complexNames returns the names of the complex goals of rules (nil: none).
func complexNames(rules *visitor.Rules) []string {
	if rules == nil {
		return nil
	}
	names := make([]string, 0, len(rules.Complex))
	for _, c := range rules.Complex {
		names = append(names, c.Name)
	}
	return names
}

// printServing tells where the server listens.
func printServing(w io.Writer, ln net.Listener, f *serverFlags) {
	fmt.Fprintf(w, "dashboard  %s\n", baseURL(ln))
	fmt.Fprintf(w, "API        %sapi/v1/  (metrics: /metrics, health: /healthz)\n", baseURL(ln))
	if *f.token != "" {
		fmt.Fprintln(w, "token      required: Authorization: Bearer <token> (browsers: any user name, the token as password)")
	}
}

// baseURL is the http URL of the listener, with a trailing slash.
func baseURL(ln net.Listener) string {
	addr := ln.Addr().String()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		addr = net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	return "http://" + addr + "/"
}

func runServe(ctx context.Context, args []string) error {
	fs := newFlags("serve", "[flags]")
	dbf := addDBFlags(fs)
	lf := addLogFlags(fs)
	sf := addServerFlags(fs)
	su, err := setUp(ctx, fs, args, commandFlags{db: dbf, log: lf}, func(actors.Config) error { return sf.check() })
	if err != nil {
		return err
	}
	db, log := su.db, su.log
	defer db.close()
	m := metrics.New()
	h, err := newSwitchingHandler(ctx, db, func(st *persistence.Store) (http.Handler, error) {
		return newHandler(st, sf, m, log, nil, nil, dashboard.Options{})
	}, log)
	if err != nil {
		return err
	}
	ln, err := sf.open()
	if err != nil {
		return err
	}
	printServing(stdout, ln, sf)
	log.Info("serving", slog.String("address", ln.Addr().String()), slog.String("schema", db.store.Schema()))
	return api.Serve(ctx, ln, h, log)
}

// newDashboard returns the experiment dashboard for store.
func newDashboard(store *persistence.Store, opts dashboard.Options) (http.Handler, error) {
	h, err := dashboard.New(store, opts)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return h, nil
}
