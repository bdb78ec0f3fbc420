package visitor_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// BenchmarkLiveHeapPerVisitor measures the live heap the histories of the standard
// workload hold (docs/benchmarks.md: at most 1 KB per cached visitor): 1,000,000 records of 100,000
// visitors, formatted into log lines and parsed back as the pipeline's source does (so
// that strings are substrings of their lines), applied as a shard applies them, each line
// dropped once applied. It reports the heap that stays live after a collection, per
// visitor (the histories and a map keyed by copied ids, as the cache keeps them).
func BenchmarkLiveHeapPerVisitor(b *testing.B) {
	rules := benchRules(b)
	recs := loggen.Records(loggen.Options{Seed: 1, Records: 1_000_000, Visitors: 100_000})
	lines := make([][]byte, len(recs))
	for i := range recs {
		lines[i] = messages.AppendLine(nil, &recs[i])
		lines[i] = lines[i][:len(lines[i])-1] // without its "\n"
	}
	recs = nil
	var perVisitor float64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		histories := make(map[string]*visitor.History)
		var c visitor.Counts
		for i, line := range lines {
			rec, err := messages.ParseLine(line)
			if err != nil {
				b.Fatal(err)
			}
			rec.Ptr = messages.Pointer{File: 1, Offset: int64(i + 1)}
			h := histories[rec.VID]
			if h == nil {
				h = visitor.NewHistory()
				histories[strings.Clone(rec.VID)] = h
			}
			rules.ApplyCounts(h, &rec, &c)
			if i%250_000 == 0 {
				c.Flush(messages.NewDeltas())
			}
		}
		c.Flush(messages.NewDeltas())
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		perVisitor = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(len(histories))
		runtime.KeepAlive(histories)
		b.StartTimer()
	}
	b.ReportMetric(perVisitor, "live-B/visitor")
}
