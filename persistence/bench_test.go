package persistence_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// The benchmark epoch: 100,000 changed histories of ~300 bytes and 50,000 counter
// increments (20,000 conversions, 10,000 impressions, 20,000 variant conversions).
const (
	benchHistories   = 100_000
	benchHistorySize = 300
	benchConversions = 20_000
	benchImpressions = 10_000
	benchVariants    = 20_000
	benchRows        = benchHistories + benchConversions + benchImpressions + benchVariants
)

// benchEpoch returns the benchmark's epoch; its histories have random visitor ids, as
// real ones do, so index insertions land all over the index.
func benchEpoch() *messages.Epoch {
	rng := rand.New(rand.NewPCG(1, 2))
	e := &messages.Epoch{Source: "bench", Advances: []messages.Advance{{Pointer: messages.Pointer{File: 3600, Offset: 1}}}, Deltas: messages.NewDeltas()}
	e.Histories = make([]messages.HistorySnapshot, benchHistories)
	for i := range e.Histories {
		data := make([]byte, benchHistorySize)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		e.Histories[i] = messages.HistorySnapshot{VID: fmt.Sprintf("%016x", rng.Uint64()), Data: data}
	}
	rollups := []string{"all", "pst_day", "pst_week", "browser"}
	bucket := func(i int) string { return fmt.Sprint(1_400_000_000 + 86_400*i) }
	value := func(i int) decimal.Decimal { return decimal.New(int64(i%1000), -2) }
	// Keys are distinct by construction: i runs through goals (or tests and populations)
	// first, then rollups, then buckets.
	for i := range benchConversions {
		j := i / 50
		k := messages.ConversionKey{Goal: fmt.Sprintf("goal %d", i%50), Rollup: rollups[j%4], Bucket: bucket(j / 4), Site: int64(i % 3)}
		e.Deltas.Conversions[k] = messages.Counter{Count: 1 + int64(i%5), Value: value(i)}
	}
	for i := range benchImpressions {
		j := i / 15
		k := messages.ImpressionKey{Test: fmt.Sprintf("test %d", i%5), Population: fmt.Sprintf("pop %d", (i/5)%3), Rollup: rollups[j%4], Bucket: bucket(j / 4), Site: int64(i % 3)}
		e.Deltas.Impressions[k] = 1 + int64(i%7)
	}
	for i := range benchVariants {
		j := i / 750
		k := messages.VariantConversionKey{Goal: fmt.Sprintf("goal %d", i%50), Test: fmt.Sprintf("test %d", (i/50)%5), Population: fmt.Sprintf("pop %d", (i/250)%3),
			Rollup: rollups[j%4], Bucket: bucket(j / 4), Site: int64(i % 3)}
		e.Deltas.VariantConversions[k] = messages.Counter{Count: 1, Value: value(i)}
	}
	if n := len(e.Deltas.Conversions) + len(e.Deltas.Impressions) + len(e.Deltas.VariantConversions); n != benchRows-benchHistories {
		panic(fmt.Sprintf("benchmark epoch has %d distinct counters", n))
	}
	return e
}

// benchStore returns a store on a fresh schema that uses a single connection, so that
// the CPU time of its server process can be measured, and a meter for that CPU time.
func benchStore(b *testing.B) (*persistence.Store, *cpuMeter) {
	b.Helper()
	ctx := context.Background()
	schema := pgtest.NewStore(b).Schema()
	url := pgtest.URL(b)
	if strings.Contains(url, "://") {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		url += sep + "pool_max_conns=1"
	} else {
		url += " pool_max_conns=1"
	}
	st, err := persistence.Open(ctx, url, schema)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	m := &cpuMeter{}
	if err := st.Pool().QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&m.backend); err != nil {
		b.Fatal(err)
	}
	return st, m
}

// cpuMeter adds up the CPU time of this process and of one PostgreSQL backend (when it
// runs on this machine) while the benchmark timer runs: a figure that other work on the
// machine disturbs much less than elapsed time.
type cpuMeter struct {
	backend int
	total   time.Duration
	start   time.Duration
}

func (m *cpuMeter) now() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	d := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", m.backend)); err == nil {
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		d += time.Duration(utime+stime) * (time.Second / 100) // USER_HZ
	}
	return d
}

func (m *cpuMeter) Start() { m.start = m.now() }
func (m *cpuMeter) Stop()  { m.total += m.now() - m.start }

func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if m.total > 0 {
		b.ReportMetric(float64(benchRows)*float64(b.N)/m.total.Seconds(), "rows/cpu-s")
	}
}

func truncate(b *testing.B, st *persistence.Store, tables ...string) {
	b.Helper()
	for i, t := range tables {
		tables[i] = pgx.Identifier{st.Schema(), t}.Sanitize()
	}
	if _, err := st.Pool().Exec(context.Background(), "TRUNCATE "+strings.Join(tables, ", ")); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCommitEpoch commits the benchmark epoch: into empty tables ("insert"), and
// over existing rows of the same keys ("update", the steady state of counters and
// returning visitors).
func BenchmarkCommitEpoch(b *testing.B) {
	ctx := context.Background()
	st, cpu := benchStore(b)
	e := benchEpoch()
	for _, mode := range []string{"insert", "update"} {
		b.Run(mode, func(b *testing.B) {
			cpu.total = 0
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if mode == "insert" || i == 0 {
					truncate(b, st, "histories", "conversions", "impressions", "variant_conversions")
					if mode == "update" {
						e.Number++
						if err := st.CommitEpoch(ctx, e); err != nil {
							b.Fatal(err)
						}
					}
				}
				e.Number++
				cpu.Start()
				b.StartTimer()
				if err := st.CommitEpoch(ctx, e); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cpu.Stop()
			}
			cpu.report(b)
		})
	}
}

// BenchmarkPlainCopy writes the same rows as BenchmarkCommitEpoch with a plain COPY per
// table, in one transaction, into empty tables of the same definition (primary keys
// included): the machine's own limit for bulk-writing these rows.
func BenchmarkPlainCopy(b *testing.B) {
	ctx := context.Background()
	st, cpu := benchStore(b)
	e := benchEpoch()
	tables := []string{"histories", "conversions", "impressions", "variant_conversions"}
	for _, t := range tables {
		if _, err := st.Pool().Exec(ctx, fmt.Sprintf("CREATE TABLE %s (LIKE %s INCLUDING ALL)",
			pgx.Identifier{st.Schema(), "plain_" + t}.Sanitize(), pgx.Identifier{st.Schema(), t}.Sanitize())); err != nil {
			b.Fatal(err)
		}
	}
	var hist, conv, imps, vconv [][]any
	for _, h := range e.Histories {
		hist = append(hist, []any{h.VID, h.Data})
	}
	for k, c := range e.Deltas.Conversions {
		conv = append(conv, []any{k.Goal, k.Rollup, k.Bucket, k.Site, c.Count, numeric(c.Value)})
	}
	for k, n := range e.Deltas.Impressions {
		imps = append(imps, []any{k.Test, k.Population, k.Rollup, k.Bucket, k.Site, n})
	}
	for k, c := range e.Deltas.VariantConversions {
		vconv = append(vconv, []any{k.Goal, k.Test, k.Population, k.Rollup, k.Bucket, k.Site, c.Count, numeric(c.Value)})
	}
	copies := []struct {
		table   string
		columns []string
		rows    [][]any
	}{
		{"plain_histories", []string{"vid", "data"}, hist},
		{"plain_conversions", []string{"goal", "rollup", "bucket", "site", "count", "value"}, conv},
		{"plain_impressions", []string{"test", "population", "rollup", "bucket", "site", "count"}, imps},
		{"plain_variant_conversions", []string{"goal", "test", "population", "rollup", "bucket", "site", "count", "value"}, vconv},
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		truncate(b, st, "plain_histories", "plain_conversions", "plain_impressions", "plain_variant_conversions")
		cpu.Start()
		b.StartTimer()
		err := pgx.BeginFunc(ctx, st.Pool(), func(tx pgx.Tx) error {
			for _, c := range copies {
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{st.Schema(), c.table}, c.columns, pgx.CopyFromRows(c.rows)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu.Stop()
	}
	cpu.report(b)
}

func numeric(d decimal.Decimal) pgtype.Numeric {
	return pgtype.Numeric{Int: d.Coefficient(), Exp: d.Exponent(), Valid: true}
}
