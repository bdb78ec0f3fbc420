package ship_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/ship"
	"github.com/manhattan-analytics/manhattan/stream"
)

const benchRecords = 500_000

// cpuTime returns the CPU time (user and system) the process has used: the benchmarks
// report lines per CPU second besides lines per second, as the machine may be shared.
func cpuTime(b *testing.B) time.Duration {
	var ru unix.Rusage
	require.NoError(b, unix.Getrusage(unix.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchLog writes the standard synthetic log of benchRecords lines once per benchmark.
func benchLog(b *testing.B) string {
	b.Helper()
	base := filepath.Join(b.TempDir(), "manhattan.log")
	_, err := loggen.Write(base, loggen.Options{Records: benchRecords})
	require.NoError(b, err)
	return base
}

// BenchmarkShip ships the log into a 64-partition stream of an embedded server (file
// storage) on the same machine, from the start each time: lines/s end to end, the
// server's work included.
func BenchmarkShip(b *testing.B) {
	base := benchLog(b)
	srv := natstest.Start(b)
	nc, js := srv.Connect()
	ctx := context.Background()
	var lines int64
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		name := "B" + string(rune('A'+i%26))
		_ = js.DeleteStream(ctx, name)
		info, err := stream.Create(ctx, js, stream.Config{Name: name, Prefix: "b" + string(rune('a'+i%26)), Partitions: 64})
		require.NoError(b, err)
		_ = os.Remove(base + ".ship")
		sh, err := ship.New(ship.Config{LogBase: base, Progress: base + ".ship", Source: "bench", Stream: info, Conn: nc})
		require.NoError(b, err)
		b.StartTimer()
		start := cpuTime(b)
		require.NoError(b, sh.Run(ctx))
		cpu += cpuTime(b) - start
		lines += sh.Stats().Lines.Load()
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(lines)/cpu.Seconds(), "lines/cpu-s")
}

// BenchmarkSplit reads the log and splits it by partition, without publishing: the
// shipper's own cost per line.
func BenchmarkSplit(b *testing.B) {
	base := benchLog(b)
	sp := stream.NewSplitter(64)
	var lines int64
	cpu := cpuTime(b)
	for b.Loop() {
		r, err := eventlog.OpenReader(base, messages.Pointer{}, eventlog.Options{})
		require.NoError(b, err)
		for {
			l, err := r.Next(context.Background())
			if err != nil {
				break
			}
			sp.Add(l.Raw)
			if lines++; lines%16384 == 0 {
				sp.Reset()
			}
		}
		_ = r.Close()
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(lines)/(cpuTime(b)-cpu).Seconds(), "lines/cpu-s")
}
