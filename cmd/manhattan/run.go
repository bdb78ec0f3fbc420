package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/dashboard"
	"github.com/manhattan-analytics/manhattan/metrics"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func init() {
	register(&command{name: "run", summary: "ingest the log as it grows and serve the API and dashboard, in one process", run: runRun})
}

func runRun(ctx context.Context, args []string) error {
	fs := newFlags("run", "[flags]")
	dbf := addDBFlags(fs)
	pf := addPipelineFlags(fs)
	pf.keepWaitingForStore(fs)
	lf := addLogFlags(fs)
	sf := addServerFlags(fs)
	follow := fs.Bool("follow", true, "keep reading as the log grows; with --follow=false, read to the end, commit, and keep serving")
	su, err := setUp(ctx, fs, args, commandFlags{db: dbf, log: lf, pipeline: pf}, func(actors.Config) error { return sf.check() })
	if err != nil {
		return err
	}
	db, log, cfg := su.db, su.log, su.cfg
	defer db.close()
	cfg.Follow = *follow
	closeLog, err := openLog(ctx, pf, &cfg, "manhattan run", log)
	if err != nil {
		return err
	}
	defer closeLog()

	ln, err := sf.open()
	if err != nil {
		return err
	}
	m := metrics.New()
	if err := recordComplexGoals(ctx, cfg); err != nil {
		ln.Close()
		return err
	}
	p, err := actors.Start(cfg, m.PipelineEvents())
	if err != nil {
		ln.Close()
		return err
	}
	m.TrackPipeline(p)
	h, err := newSwitchingHandler(ctx, db, func(st *persistence.Store) (http.Handler, error) {
		return newHandler(st, sf, m, log, &liveIngest{p: p, source: cfg.Source}, cfg.Rules, dashboard.Options{})
	}, log)
	if err != nil {
		ln.Close()
		p.Stop()
		_, _ = p.Wait()
		return err
	}
	serveCtx, stopServing := context.WithCancel(context.Background())
	defer stopServing()
	served := make(chan error, 1)
	go func() { served <- api.Serve(serveCtx, ln, h, log) }()
	printServing(stdout, ln, sf)
	fmt.Fprintf(stdout, "ingesting  %s (source %q)\n", p.Log(), cfg.Source)
	log.Info("running", slog.String("address", ln.Addr().String()), slog.String("log", p.Log().String()), slog.Bool("follow", cfg.Follow))

	pipelineErr, serveErr := supervise(ctx, p, served, stopServing, log)
	sum := p.Stats().Committed
	printSummary(sum)
	return errors.Join(pipelineErr, serveErr)
}

// supervise runs until ctx ends, the pipeline fails, or the server fails, then stops
// both: the server stops accepting and finishes its requests, the pipeline commits what it
// has read. A pipeline that ends without error (a batch ingest that reached the end of the
// log) leaves the server running until ctx ends.
func supervise(ctx context.Context, p *actors.Pipeline, served <-chan error, stopServing func(), log *slog.Logger) (pipelineErr, serveErr error) {
	pipelineDone := p.Done()
	pipelineOver := false
	for {
		select {
		case <-ctx.Done():
			log.Info("stopping: committing what was read and closing the server")
			stopServing()
			if !pipelineOver {
				p.Stop()
				_, pipelineErr = p.Wait()
			}
			return pipelineErr, <-served
		case <-pipelineDone:
			pipelineDone, pipelineOver = nil, true
			if _, pipelineErr = p.Wait(); pipelineErr != nil {
				log.Error("ingest failed; stopping the server", slog.Any("error", pipelineErr))
				stopServing()
				return pipelineErr, <-served
			}
			log.Info("ingest reached the end of the log and committed; still serving")
		case serveErr = <-served:
			log.Error("server failed; stopping the ingest", slog.Any("error", serveErr))
			if !pipelineOver {
				p.Stop()
				_, pipelineErr = p.Wait()
			}
			return pipelineErr, serveErr
		}
	}
}
