package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/visitor"
)

func init() {
	register(&command{name: "bench", summary: "measure end-to-end ingest on the standard synthetic workload", run: runBench})
}

// benchOptions are the bench's settings after flag parsing.
type benchOptions struct {
	records, visitors    int
	shards, cpus         []int
	runs                 int
	flushEvery           int64
	catchUpEvery         int64
	cacheSize            int
	postgres, memory     bool
	floors               bool
	logDir, cpuProfile   string
	rules                *visitor.Rules
	base, url, serverDir string
	schema               string
}

// benchResult is one measured pipeline run.
type benchResult struct {
	cpus, shards   int
	memory         bool
	records        int64
	elapsed        time.Duration
	goCPU, pgCPU   time.Duration
	commits        time.Duration
	epochs         int64
	baseRSS, peak  int64
	visitors       int
	gcCycles       uint32
	totalAllocated uint64
}

func (r benchResult) rate() float64 { return float64(r.records) / r.elapsed.Seconds() }

// cpuRate is records per CPU second of this process and the server together: steadier than
// the rate when other work shares the machine.
func (r benchResult) cpuRate() float64 { return float64(r.records) / (r.goCPU + r.pgCPU).Seconds() }

func runBench(ctx context.Context, args []string) error {
	fs := newFlags("bench", "[flags]")
	dbf := addDBFlags(fs)
	lf := addLogFlags(fs)
	o := &benchOptions{postgres: true}
	fs.IntVar(&o.records, "records", 1_000_000, "records in the generated log")
	fs.IntVar(&o.visitors, "visitors", 100_000, "visitors in the generated log")
	shardList := fs.String("shards", "2", "comma-separated shard counts to measure")
	cpuList := fs.String("cpu", "", "comma-separated GOMAXPROCS values to measure (default: the current one); the scaling is against the first")
	fs.IntVar(&o.runs, "runs", 3, "runs of each configuration (alternating); the median is reported")
	defaults := actors.DefaultConfig()
	flushEvery := fs.Int("flush-every", int(defaults.FlushEvery), "records per epoch")
	catchUpEvery := fs.Int("catch-up-flush-every", defaultCatchUpFlushEvery, "records per epoch while the run works through the log (before its end; at least --flush-every)")
	fs.IntVar(&o.cacheSize, "cache-size", defaults.CacheSize, "visitor histories kept in memory")
	stores := fs.String("store", "postgres", "what the pipeline commits to: postgres, memory (a store that loads nothing and discards commits: the in-memory part alone) or both")
	fs.BoolVar(&o.floors, "floors", true, "measure the floors: read+parse alone, COPY of the raw lines, COPY of the rows the run wrote")
	fs.StringVar(&o.logDir, "log-dir", filepath.Join(".manhattan", "bench"), "folder for the generated log (reused when it matches)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the pipeline runs (not the floors) to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	var err error
	if o.shards, err = positiveList("--shards", *shardList); err != nil {
		return err
	}
	if *cpuList == "" {
		o.cpus = []int{runtime.GOMAXPROCS(0)}
	} else if o.cpus, err = positiveList("--cpu", *cpuList); err != nil {
		return err
	}
	if o.runs <= 0 {
		return usagef("--runs must be positive")
	}
	switch *stores {
	case "postgres":
	case "memory":
		o.memory, o.postgres = true, false
	case "both":
		o.memory = true
	default:
		return usagef("--store: %q is not postgres, memory or both", *stores)
	}
	o.flushEvery, o.catchUpEvery = int64(*flushEvery), int64(*catchUpEvery)
	log, err := lf.logger()
	if err != nil {
		return err
	}
	if o.rules, err = benchRules(); err != nil {
		return err
	}
	if err := o.prepareLog(); err != nil {
		return err
	}
	db, err := openDatabase(ctx, dbf, log)
	if err != nil {
		return err
	}
	defer db.close()
	o.url, o.schema = *dbf.url, *dbf.schema
	if db.server != nil {
		o.url, o.serverDir = db.server.URL(), db.server.Dir()
	}
	return o.measure(ctx, db.store)
}

func positiveList(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, usagef("%s: %q is not a positive number", flag, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// benchRules are the default rollups with the complex goals of the synthetic workload.
func benchRules() (*visitor.Rules, error) {
	fs := newFlags("bench", "")
	p := addPipelineFlags(fs)
	_ = fs.Parse(nil)
	for _, c := range loggen.ComplexGoals {
		_ = p.complex.Set(c)
	}
	return p.rules()
}

// prepareLog generates the workload once per size and seed; later runs reuse it.
func (o *benchOptions) prepareLog() error {
	o.base = filepath.Join(o.logDir, fmt.Sprintf("r%d-v%d", o.records, o.visitors), "manhattan.log")
	if _, err := os.Stat(filepath.Dir(o.base)); err == nil {
		return nil
	}
	fmt.Fprintf(stdout, "generating %d records, %d visitors into %s ...\n", o.records, o.visitors, filepath.Dir(o.base))
	sum, err := loggen.Write(o.base, loggen.Options{Seed: 1, Records: o.records, Visitors: o.visitors})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  %d lines, %.1f MB, %d files\n", sum.Lines, float64(sum.Bytes)/1e6, sum.Files)
	return nil
}

func (o *benchOptions) measure(ctx context.Context, store *persistence.Store) error {
	visitors, err := countVisitors(ctx, o.base)
	if err != nil {
		return err
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(stdout, "machine: %d CPUs, %s, %s; load average %s\n", runtime.NumCPU(), cpuModel(), runtime.Version(),
		strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
	fmt.Fprintf(stdout, "workload: %s, %d distinct visitors; --flush-every %d, --catch-up-flush-every %d, --cache-size %d\n",
		filepath.Dir(o.base), visitors, o.flushEvery, o.catchUpEvery, o.cacheSize)

	var fl floors
	floor := o.schema + "_bench_floor"
	if o.floors && o.postgres {
		if err := fl.measureLog(ctx, store, o, floor); err != nil {
			return err
		}
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	tuneGC(o.cacheSize) // as ingest does

	type config struct {
		cpus, shards int
		memory       bool
	}
	var configs []config
	for _, c := range o.cpus {
		for _, n := range o.shards {
			if o.postgres {
				configs = append(configs, config{c, n, false})
			}
			if o.memory {
				configs = append(configs, config{c, n, true})
			}
		}
	}
	results := map[config][]benchResult{}
	for run := 1; run <= o.runs; run++ { // alternate the configurations: A B A B …
		for _, c := range configs {
			r, err := o.runOnce(ctx, c.cpus, c.shards, c.memory, visitors)
			if err != nil {
				return err
			}
			r.print(run)
			results[c] = append(results[c], r)
			if o.floors && !c.memory && !fl.rowsDone {
				if err := fl.measureRows(ctx, store, o, benchSchema(o.schema, c.shards), floor); err != nil {
					return err
				}
			}
		}
	}

	fmt.Fprintln(stdout, "\nmedians:")
	medians := map[config]benchResult{}
	for _, c := range configs {
		m := median(results[c])
		medians[c] = m
		m.print(0)
		if !c.memory {
			fl.ratios(m)
		}
	}
	if len(o.cpus) > 1 {
		fmt.Fprintln(stdout, "\nscaling (median records/s against --cpu "+strconv.Itoa(o.cpus[0])+"):")
		for _, c := range configs {
			if c.cpus == o.cpus[0] {
				continue
			}
			b := medians[config{o.cpus[0], c.shards, c.memory}]
			fmt.Fprintf(stdout, "  %s: %.2f×\n", medians[c].label(), medians[c].rate()/b.rate())
		}
	}
	return nil
}

func benchSchema(schema string, shards int) string { return fmt.Sprintf("%s_bench_%d", schema, shards) }

// runOnce runs the whole pipeline once on a fresh schema (or the in-memory store).
func (o *benchOptions) runOnce(ctx context.Context, cpus, shards int, memory bool, visitors int) (benchResult, error) {
	res := benchResult{cpus: cpus, shards: shards, memory: memory, visitors: visitors}
	var store actors.Store = nullStore{}
	if !memory {
		s, err := persistence.Open(ctx, o.url, benchSchema(o.schema, shards))
		if err != nil {
			return res, err
		}
		defer s.Close()
		if err := s.Reset(ctx); err != nil {
			return res, err
		}
		store = s
	}
	runtime.GOMAXPROCS(cpus)
	runtime.GC()
	debug.FreeOSMemory()
	res.baseRSS = currentRSS()
	resetPeakRSS()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	var commitNanos atomic.Int64
	cfg := actors.Config{
		Store: store, Rules: o.rules, LogBase: o.base, Shards: shards, FlushEvery: o.flushEvery, CatchUpFlushEvery: o.catchUpEvery,
		CacheSize: o.cacheSize,
	}
	cpu0, pg0 := processCPU(), serverCPU(o.serverDir)
	t0 := time.Now()
	sum, err := actors.Run(ctx, cfg, ingest.Events{Committed: func(_ int64, _ int64, _ int64, took time.Duration) {
		commitNanos.Add(int64(took))
	}})
	res.elapsed = time.Since(t0)
	res.goCPU, res.pgCPU = processCPU()-cpu0, serverCPU(o.serverDir)-pg0
	if o.serverDir == "" || memory {
		res.pgCPU = 0
	}
	res.peak = peakRSS()
	runtime.ReadMemStats(&ms1)
	res.gcCycles, res.totalAllocated = ms1.NumGC-ms0.NumGC, ms1.TotalAlloc-ms0.TotalAlloc
	if err != nil {
		return res, err
	}
	res.records, res.epochs = sum.Records+sum.DeadLetters, sum.Epochs
	res.commits = time.Duration(commitNanos.Load())
	return res, nil
}

func (r benchResult) label() string {
	l := fmt.Sprintf("cpu=%d shards=%d", r.cpus, r.shards)
	if r.memory {
		l += " in memory"
	}
	return l
}

func (r benchResult) print(run int) {
	what := "median"
	if run > 0 {
		what = "run " + strconv.Itoa(run)
	}
	pg := "?"
	if r.pgCPU > 0 {
		pg = fmt.Sprintf("%.2f", r.pgCPU.Seconds())
	}
	if r.memory {
		pg = "-"
	}
	perVisitor := float64(r.peak-r.baseRSS) / float64(max(r.visitors, 1))
	fmt.Fprintf(stdout, "%s %s: %d records in %v = %.0f records/s; CPU-s: ingest %.2f, PostgreSQL %s (%.0f records per CPU-s); %d epochs, commits %v; "+
		"peak RSS %.0f MB (+%.0f MB over the idle process: %.2f KB per cached visitor); %d GCs, %.0f MB allocated\n",
		r.label(), what, r.records, r.elapsed.Round(time.Millisecond), r.rate(), r.goCPU.Seconds(), pg, r.cpuRate(), r.epochs,
		r.commits.Round(time.Millisecond), float64(r.peak)/1e6, float64(r.peak-r.baseRSS)/1e6, perVisitor/1e3,
		r.gcCycles, float64(r.totalAllocated)/1e6)
}

// median returns the run with the median rate (the lower middle one of an even count).
func median(rs []benchResult) benchResult {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b benchResult) int { return int(a.elapsed - b.elapsed) })
	return s[len(s)/2]
}

// floors are the bench's reference figures, each measured once.
type floors struct {
	parseLines, copyLines, copyRows int64
	parse, lines, rows              time.Duration
	linesCPU                        [2]time.Duration // this process, the server
	rowsCPU                         [2]time.Duration
	rowsDone                        bool
}

func (f *floors) measureLog(ctx context.Context, store *persistence.Store, o *benchOptions, schema string) error {
	var err error
	if f.parseLines, f.parse, err = readParse(ctx, o.base); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "floor: read+parse only (one goroutine): %d lines in %v = %.0f lines/s\n",
		f.parseLines, f.parse.Round(time.Millisecond), float64(f.parseLines)/f.parse.Seconds())
	if err := floorSchema(ctx, store.Pool(), schema); err != nil {
		return err
	}
	cpu0, pg0 := processCPU(), serverCPU(o.serverDir)
	if f.copyLines, f.lines, err = copyLines(ctx, store.Pool(), schema, o.base); err != nil {
		return fmt.Errorf("floor: copy the raw lines: %w", err)
	}
	f.linesCPU = [2]time.Duration{processCPU() - cpu0, serverCPU(o.serverDir) - pg0}
	fmt.Fprintf(stdout, "floor: plain COPY of the raw lines into one table: %d lines in %v = %.0f lines/s; CPU-s: this process %.2f, PostgreSQL %.2f\n",
		f.copyLines, f.lines.Round(time.Millisecond), float64(f.copyLines)/f.lines.Seconds(), f.linesCPU[0].Seconds(), f.linesCPU[1].Seconds())
	return nil
}

func (f *floors) measureRows(ctx context.Context, store *persistence.Store, o *benchOptions, from, schema string) error {
	f.rowsDone = true
	cpu0, pg0 := processCPU(), serverCPU(o.serverDir)
	var err error
	if f.copyRows, f.rows, err = copyRows(ctx, store.Pool(), from, schema); err != nil {
		return fmt.Errorf("floor: copy the written rows: %w", err)
	}
	f.rowsCPU = [2]time.Duration{processCPU() - cpu0, serverCPU(o.serverDir) - pg0}
	fmt.Fprintf(stdout, "floor: plain COPY of the %d rows the run left (histories, counters, metadata) into empty tables of the same definition: %v; CPU-s: this process %.2f, PostgreSQL %.2f\n",
		f.copyRows, f.rows.Round(time.Millisecond), f.rowsCPU[0].Seconds(), f.rowsCPU[1].Seconds())
	return nil
}

// ratios prints r against each floor measured.
func (f *floors) ratios(r benchResult) {
	if f.parse > 0 {
		fmt.Fprintf(stdout, "  = %.2f× read+parse (%.0f lines/s)", r.rate()/(float64(f.parseLines)/f.parse.Seconds()), float64(f.parseLines)/f.parse.Seconds())
	}
	if f.lines > 0 {
		fmt.Fprintf(stdout, "; %.2f× the COPY of the raw lines (%.0f lines/s)", r.rate()/(float64(f.copyLines)/f.lines.Seconds()), float64(f.copyLines)/f.lines.Seconds())
	}
	if f.lines > 0 && f.linesCPU[1] > 0 {
		fmt.Fprintf(stdout, " (by CPU time: %.2f×)", r.cpuRate()/(float64(f.copyLines)/(f.linesCPU[0]+f.linesCPU[1]).Seconds()))
	}
	if f.rows > 0 {
		fmt.Fprintf(stdout, "; %.2f× the COPY of the rows written (%.0f records/s if ingest cost only that)", f.rows.Seconds()/r.elapsed.Seconds(), float64(r.records)/f.rows.Seconds())
	}
	fmt.Fprintln(stdout)
}

// nullStore is the in-memory bench's store: nothing is stored, so nothing is loaded.
type nullStore struct{}

func (nullStore) LoadPointers(_ context.Context, _ string, partitions []int) ([]messages.Pointer, int64, error) {
	ptrs := make([]messages.Pointer, len(partitions))
	for i, p := range partitions {
		ptrs[i].Partition = p
	}
	return ptrs, 0, nil
}

func (nullStore) LoadHistories(context.Context, []string) (map[string][]byte, error) {
	return map[string][]byte{}, nil
}

func (nullStore) CommitEpoch(context.Context, *messages.Epoch) error { return nil }

func (nullStore) HasHistories(context.Context) (bool, error) { return false, nil }
