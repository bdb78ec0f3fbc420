package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/term"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ship"
	"github.com/manhattan-analytics/manhattan/stream"
)

func init() {
	register(&command{name: "ship", summary: "forward the local event log into the JetStream stream", run: runShip})
}

func runShip(ctx context.Context, args []string) error {
	fs := newFlags("ship", "[flags]")
	nf := addNATSFlags(fs, "this shipper's partition count: refuse a stream with another (0: take the stream's)")
	lf := addLogFlags(fs)
	logBase := envString(fs, "log", "MANHATTAN_LOG", "log/manhattan.log", "event log base path (files <base>.<hour>)")
	progressPath := envString(fs, "progress-file", "MANHATTAN_SHIP_PROGRESS", "", "progress file (default <log>.ship)")
	host, _ := os.Hostname()
	source := envString(fs, "source-id", "MANHATTAN_SHIP_SOURCE", "", "this log's name in dedupe ids, unique among the stream's shippers (default <hostname>/<log file name>)")
	once := fs.Bool("once", false, "ship up to the end of the log, wait for the acknowledgements, exit (default: follow the log)")
	poll := envDuration(fs, "poll-interval", "MANHATTAN_POLL_INTERVAL", 200*time.Millisecond, "how often to look for new log lines")
	grace := envDuration(fs, "grace", "MANHATTAN_GRACE", eventlog.DefaultGrace, "how long an hour's file is kept open after a newer one appeared, for writers that append late (negative: none)")
	chunkLines := fs.Int("chunk-lines", ship.DefaultChunkLines, "lines per chunk (one message per partition per chunk)")
	linger := fs.Duration("linger", ship.DefaultLinger, "the longest a read line waits before its chunk is published")
	inflight := fs.Int("max-in-flight", ship.DefaultMaxInFlight, "chunks published and not yet acknowledged")
	metricsAddr := envString(fs, "metrics-listen", "MANHATTAN_SHIP_METRICS", "", "address to serve Prometheus /metrics on (e.g. 127.0.0.1:9464; empty: none)")
	progress := fs.Bool("progress", term.IsTerminal(int(os.Stderr.Fd())), "show a progress line on standard error")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *progressPath == "" {
		*progressPath = *logBase + ".ship"
	}
	if *source == "" {
		*source = host + "/" + filepath.Base(*logBase)
	}
	log, err := lf.logger()
	if err != nil {
		return err
	}
	nc, js, err := nf.connect(ctx, "manhattan ship "+*source, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := waitConnected(ctx, nc, *nf.url, log); err != nil {
		return nil
	}
	info, err := stream.Open(ctx, js, *nf.stream, *nf.partitions)
	if err != nil {
		return err
	}
	sh, err := ship.New(ship.Config{
		LogBase: *logBase, Progress: *progressPath, Source: *source, Stream: info, Conn: nc,
		Follow: !*once, Reader: eventlog.Options{PollInterval: *poll, Grace: *grace},
		ChunkLines: *chunkLines, Linger: *linger, MaxInFlight: *inflight, Logger: log,
	})
	if err != nil {
		return err
	}
	if *metricsAddr != "" {
		stop, err := serveShipMetrics(*metricsAddr, sh.Stats())
		if err != nil {
			return err
		}
		defer stop()
	}
	if *progress {
		defer showShipProgress(sh.Stats())()
	}
	start := time.Now()
	err = sh.Run(ctx)
	st := sh.Stats()
	fmt.Fprintf(stdout, "shipped %d lines in %d messages (%d already in the stream) in %v; acknowledged up to %v; %d lines skipped\n",
		st.Lines.Load(), st.Messages.Load(), st.Duplicates.Load(), time.Since(start).Round(time.Millisecond), st.Acked(), st.DeadLines.Load())
	return err
}

// serveShipMetrics serves /metrics with the shipper's counters and the process's.
func serveShipMetrics(addr string, st *ship.Stats) (stop func(), err error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := ship.RegisterMetrics(reg, st); err != nil {
		return nil, err
	}
	stop, _, err = serveMetrics(addr, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return stop, err
}

// serveMetrics serves h at /metrics on addr (--metrics-listen) until stop is called, and
// returns the address it listens on.
func serveMetrics(addr string, h http.Handler) (stop func(), at net.Addr, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "metrics server: %v\n", err)
		}
	}()
	return func() { _ = srv.Close() }, ln.Addr(), nil
}

// showShipProgress prints lines/s, lag and the acknowledged pointer twice a second.
func showShipProgress(st *ship.Stats) (stop func()) {
	last, lastAt := st.Lines.Load(), time.Now()
	return progressLine(func(now time.Time) string {
		n := st.Lines.Load()
		rate := float64(n-last) / now.Sub(lastAt).Seconds()
		last, lastAt = n, now
		state := "connected"
		if !st.Connected.Load() {
			state = "WAITING FOR THE BROKER"
		}
		return fmt.Sprintf("%d lines shipped, %.0f lines/s, %.1f MB behind, at %v, %d in flight, %s",
			n, rate, float64(st.LagBytes.Load())/1e6, st.Acked(), st.InFlight.Load(), state)
	})
}
