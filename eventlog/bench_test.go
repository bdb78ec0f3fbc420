package eventlog_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/messages"
	"golang.org/x/sys/unix"
)

// cpuTime returns the CPU time (user and system) the process has used. The benchmarks
// report lines per CPU second besides lines per second, as the machine may be shared.
func cpuTime(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchLog writes the standard synthetic workload (1M records over a week of hourly
// files) to a temporary log.
func benchLog(b *testing.B) (string, loggen.Summary) {
	b.Helper()
	base := filepath.Join(b.TempDir(), "manhattan.log")
	sum, err := loggen.Write(base, loggen.Options{Seed: 1, Records: 1_000_000})
	if err != nil {
		b.Fatal(err)
	}
	return base, sum
}

// readLog reads the whole log once, parsing every line when parse is set, and returns the
// number of lines.
func readLog(b *testing.B, base string, parse bool) int {
	r, err := eventlog.OpenReader(base, messages.Pointer{}, eventlog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		line, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		if parse {
			rec, err := messages.ParseLine(line.Raw)
			if err != nil {
				b.Fatal(err)
			}
			rec.Ptr = line.Ptr
		}
		n++
	}
}

func benchmarkRead(b *testing.B, parse bool) {
	base, sum := benchLog(b)
	b.SetBytes(sum.Bytes)
	b.ReportAllocs()
	cpu := cpuTime(b)
	for b.Loop() {
		if n := readLog(b, base, parse); n != sum.Lines {
			b.Fatalf("read %d lines, want %d", n, sum.Lines)
		}
	}
	lines := float64(sum.Lines) * float64(b.N)
	b.ReportMetric(lines/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(lines/(cpuTime(b)-cpu).Seconds(), "lines/cpu-s")
}

// BenchmarkReadAndParse reads and parses the standard 1M-record log: the work of the
// pipeline's source.
func BenchmarkReadAndParse(b *testing.B) { benchmarkRead(b, true) }

// BenchmarkRead only reads the lines of the same log.
func BenchmarkRead(b *testing.B) { benchmarkRead(b, false) }
