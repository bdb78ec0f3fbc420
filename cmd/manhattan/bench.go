package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func init() {
	register(&command{name: "bench", summary: "measure end-to-end ingest on the standard synthetic workload", run: runBench})
}

func runBench(ctx context.Context, args []string) error {
	fs := newFlags("bench", "[flags]")
	dbf := addDBFlags(fs)
	lf := addLogFlags(fs)
	records := fs.Int("records", 1_000_000, "records in the generated log")
	visitors := fs.Int("visitors", 100_000, "visitors in the generated log")
	shardList := fs.String("shards", "1,2,4", "comma-separated shard counts to measure")
	defaults := actors.DefaultConfig()
	flushEvery := fs.Int("flush-every", int(defaults.FlushEvery), "records per epoch")
	cacheSize := fs.Int("cache-size", defaults.CacheSize, "visitor histories kept in memory")
	logDir := fs.String("log-dir", filepath.Join(".manhattan", "bench"), "folder for the generated log (reused when it matches)")
	if err := parse(fs, args); err != nil {
		return err
	}
	log, err := lf.logger()
	if err != nil {
		return err
	}
	var shards []int
	for _, s := range strings.Split(*shardList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return usagef("--shards: %q is not a positive number", s)
		}
		shards = append(shards, n)
	}
	cfgFlags := newFlags("bench", "")
	p := addPipelineFlags(cfgFlags)
	_ = cfgFlags.Parse(nil)
	for _, c := range loggen.ComplexGoals {
		_ = p.complex.Set(c)
	}
	rules, err := p.rules()
	if err != nil {
		return err
	}

	// The workload: generated once per size and seed, then reused.
	base := filepath.Join(*logDir, fmt.Sprintf("r%d-v%d", *records, *visitors), "manhattan.log")
	if _, err := os.Stat(filepath.Dir(base)); err != nil {
		fmt.Fprintf(stdout, "generating %d records, %d visitors into %s ...\n", *records, *visitors, filepath.Dir(base))
		sum, err := loggen.Write(base, loggen.Options{Seed: 1, Records: *records, Visitors: *visitors})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %d lines, %.1f MB, %d files\n", sum.Lines, float64(sum.Bytes)/1e6, sum.Files)
	}

	db, err := openDatabase(ctx, dbf, log)
	if err != nil {
		return err
	}
	defer db.close()
	url := *dbf.url
	if db.server != nil {
		url = db.server.URL()
	}

	fmt.Fprintf(stdout, "machine: %d CPUs, %s, %s\n", runtime.NumCPU(), cpuModel(), runtime.Version())
	lines, took, err := readParse(ctx, base)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "read+parse only (one core): %d lines in %v = %.0f lines/s\n", lines, took.Round(time.Millisecond), float64(lines)/took.Seconds())

	for _, n := range shards {
		schema := fmt.Sprintf("%s_bench_%d", *dbf.schema, n)
		store, err := persistence.Open(ctx, url, schema)
		if err != nil {
			return err
		}
		if err := store.Reset(ctx); err != nil {
			store.Close()
			return err
		}
		runtime.GC()
		peak := startPeakHeap()
		var commitNanos atomic.Int64
		cfg := actors.Config{
			Store: store, Rules: rules, LogBase: base, Shards: n, FlushEvery: int64(*flushEvery),
			CacheSize: *cacheSize, Logger: log,
		}
		t0 := time.Now()
		sum, err := actors.Run(ctx, cfg, actors.Events{Committed: func(_ int64, _ int64, _ int64, took time.Duration) {
			commitNanos.Add(int64(took))
		}})
		elapsed := time.Since(t0)
		heap := peak()
		store.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "shards=%d: %d records in %v = %.0f records/s end to end; %d epochs, commits took %v in all; peak Go heap %.0f MB, peak RSS %s\n",
			n, sum.Records+sum.DeadLetters, elapsed.Round(time.Millisecond), float64(sum.Records+sum.DeadLetters)/elapsed.Seconds(),
			sum.Epochs, time.Duration(commitNanos.Load()).Round(time.Millisecond), float64(heap)/1e6, peakRSS())
	}
	return nil
}

// readParse reads and parses the whole log on one goroutine: the floor under any ingest.
func readParse(ctx context.Context, base string) (int64, time.Duration, error) {
	t0 := time.Now()
	r, err := eventlog.OpenReader(base, messages.Pointer{}, eventlog.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	var n int64
	for {
		line, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return n, time.Since(t0), nil
		}
		if err != nil {
			return n, 0, err
		}
		if _, err := messages.ParseLine(line.Raw); err == nil {
			n++
		}
	}
}

// startPeakHeap samples the Go heap until the returned function is called, which
// returns the highest value seen.
func startPeakHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(stop); <-done; return peak.Load() }
}

// peakRSS returns the process's peak resident set size from /proc (Linux), or "?".
func peakRSS() string {
	return procField("/proc/self/status", "VmHWM:")
}

func cpuModel() string {
	return procField("/proc/cpuinfo", "model name")
}

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, key) {
			v := strings.TrimSpace(strings.TrimPrefix(line, key))
			return strings.TrimSpace(strings.TrimPrefix(v, ":"))
		}
	}
	return "?"
}
