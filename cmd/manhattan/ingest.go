package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/metrics"
)

func init() {
	register(&command{name: "ingest", summary: "read the event log to its end, commit, print a summary", run: runIngest})
}

func runIngest(ctx context.Context, args []string) error {
	fs := newFlags("ingest", "[flags]")
	dbf := addDBFlags(fs)
	pf := addPipelineFlags(fs)
	lf := addLogFlags(fs)
	follow := fs.Bool("follow", false, "keep reading as the log grows until SIGINT/SIGTERM, then commit and exit")
	progress := fs.Bool("progress", term.IsTerminal(int(os.Stderr.Fd())), "show a progress line on standard error")
	metricsAddr := envString(fs, "metrics-listen", "MANHATTAN_INGEST_METRICS", "", "address to serve Prometheus /metrics on, with the lag of each partition (e.g. 127.0.0.1:9465; empty: none)")
	su, err := setUp(ctx, fs, args, commandFlags{db: dbf, log: lf, pipeline: pf}, func(cfg actors.Config) error {
		if pf.natsURL() != "" {
			return nil
		}
		return checkLogBase(cfg.LogBase, *follow)
	})
	if err != nil {
		return err
	}
	log := su.log
	defer su.db.close()
	cfg := su.cfg
	cfg.Follow = *follow
	closeLog, err := openLog(ctx, pf, &cfg, "manhattan ingest", log)
	if err != nil {
		return err
	}
	defer closeLog()
	if cfg.Log == nil {
		if hours, err := eventlog.Files(cfg.LogBase); err == nil && len(hours) == 0 {
			fmt.Fprintf(os.Stderr, "manhattan ingest: no log files %s.<hour> yet\n", cfg.LogBase)
		}
	}

	events, track := ingest.Events{}, func(*actors.Pipeline) {}
	if *metricsAddr != "" {
		m := metrics.New()
		stop, at, err := serveMetrics(*metricsAddr, m.Handler())
		if err != nil {
			return err
		}
		defer stop()
		fmt.Fprintf(stdout, "metrics      http://%s/metrics\n", at)
		events, track = m.PipelineEvents(), func(p *actors.Pipeline) { m.TrackPipeline(p) }
	}
	_, err = ingestToEnd(ctx, cfg, events, track, *progress)
	return err
}

// checkLogBase catches a --log that cannot be what was meant: an hour's file given instead
// of the log's base, or (in batch mode, where nothing would be read) a folder that does not
// exist. A following ingest may wait for its folder to appear.
func checkLogBase(base string, follow bool) error {
	if fi, err := os.Stat(base); err == nil && !fi.IsDir() {
		if i := strings.LastIndexByte(base, '.'); i > 0 {
			if _, err := strconv.ParseInt(base[i+1:], 10, 64); err == nil {
				return fmt.Errorf("--log %s is one hour's file of the log %s: give the log's base, --log %s", base, base[:i], base[:i])
			}
		}
	}
	dir := filepath.Dir(base)
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("--log %s: %s is not a folder", base, dir)
	case errors.Is(err, fs.ErrNotExist) && !follow:
		return fmt.Errorf("--log %s: the folder %s does not exist, so there is no log to read (the log is the files %s.<hour>)", base, dir, base)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--log %s: %w", base, err)
	}
	return nil
}

// ingestToEnd runs a pipeline until its input ends (or, in follow mode, until ctx is
// cancelled: then it commits what it has read), showing progress when asked, and prints
// the run's summary. track, when not nil, is given the pipeline once it has started.
func ingestToEnd(ctx context.Context, cfg actors.Config, events ingest.Events, track func(*actors.Pipeline), progress bool) (ingest.Summary, error) {
	if err := recordComplexGoals(ctx, cfg); err != nil {
		return ingest.Summary{}, err
	}
	p, err := actors.Start(cfg, events)
	if err != nil {
		return ingest.Summary{}, err
	}
	if track != nil {
		track(p)
	}
	stopProgress := func() {}
	if progress {
		stopProgress = showProgress(p)
	}
	go func() {
		select {
		case <-ctx.Done():
			// A second signal aborts: what is not committed yet is simply read again
			// by the next run.
			again := make(chan os.Signal, 1)
			signal.Notify(again, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(again)
			fmt.Fprintln(os.Stderr, "stopping: committing what has been read (signal again to abort)")
			p.Stop()
			select {
			case <-again:
				p.Kill()
			case <-p.Done():
			}
		case <-p.Done():
		}
	}()
	sum, err := p.Wait()
	stopProgress()
	printSummary(sum)
	printGaps(p.Stats().Gaps)
	return sum, err
}

// printGaps says what the run passed over unread (late data, skipped files), if anything.
func printGaps(g ingest.GapStats) {
	if g.Count == 0 {
		return
	}
	fmt.Fprintf(stdout, "NOT READ     %d bytes in %d places (late data or skipped files; logged as warnings):\n", g.Bytes, g.Count)
	for _, r := range g.Recent {
		fmt.Fprintf(stdout, "  %s %s: %s\n", r.Reason, r.Path, r.Detail)
	}
}

func printSummary(s ingest.Summary) {
	fmt.Fprintf(stdout, "records      %d\n", s.Records)
	fmt.Fprintf(stdout, "humans       %d (visitors who loaded the pixel in this run)\n", s.Humans)
	fmt.Fprintf(stdout, "held back    %d (records of visitors not yet known to be human)\n", s.Held)
	fmt.Fprintf(stdout, "dead letters %d\n", s.DeadLetters)
	fmt.Fprintf(stdout, "epochs       %d\n", s.Epochs)
	if s.Restarts > 0 {
		fmt.Fprintf(stdout, "restarts     %d\n", s.Restarts)
	}
	for _, p := range s.Pointers {
		fmt.Fprintf(stdout, "pointer      %s\n", p)
	}
	fmt.Fprintf(stdout, "elapsed      %v (%s)\n", s.Elapsed.Round(time.Millisecond), formatRate(s.Records+s.DeadLetters, s.Elapsed))
}
