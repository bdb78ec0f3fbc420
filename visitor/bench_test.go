package visitor_test

import (
	"hash/fnv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// benchRecords is a slice of the standard synthetic workload (docs/benchmarks.md): 200,000
// records of 20,000 visitors, 30 % robots, three sites, three split tests, a week.
var benchRecords = sync.OnceValue(func() []messages.Record {
	recs := loggen.Records(loggen.Options{Seed: 7, Records: 200_000})
	for i := range recs {
		recs[i].Ptr = messages.Pointer{File: 1, Offset: int64(i + 1)}
	}
	return recs
})

func benchRules(b *testing.B) *visitor.Rules {
	var cs []visitor.ComplexGoal
	for _, f := range loggen.ComplexGoals {
		c, err := visitor.ParseComplex(f)
		if err != nil {
			b.Fatal(err)
		}
		cs = append(cs, c)
	}
	r, err := visitor.NewRules(rollups.Defaults(), cs)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// epochRecords is how many records share one Deltas, as in a pipeline epoch.
const epochRecords = 10_000

// applyAll applies recs to fresh histories, starting a new Deltas every epochRecords.
func applyAll(rules *visitor.Rules, recs []messages.Record) {
	histories := make(map[string]*visitor.History)
	d := messages.NewDeltas()
	for i := range recs {
		if i%epochRecords == 0 {
			d = messages.NewDeltas()
		}
		rec := &recs[i]
		h := histories[rec.VID]
		if h == nil {
			h = visitor.NewHistory()
			histories[rec.VID] = h
		}
		rules.Apply(h, rec, d)
	}
}

// BenchmarkApply measures records applied per second on one core: the standard mix, 4
// rollups, 4 complex goals, each visitor's history looked up in a map, a new Deltas
// every 10,000 records.
func BenchmarkApply(b *testing.B) {
	recs := benchRecords()
	rules := benchRules(b)
	b.ReportAllocs()
	start, cpu0 := time.Now(), cpuTime(b)
	for b.Loop() {
		applyAll(rules, recs)
	}
	n := float64(len(recs)) * float64(b.N)
	b.ReportMetric(n/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(n/(cpuTime(b)-cpu0).Seconds(), "records/cpu-s")
}

// BenchmarkApplyCounts is BenchmarkApply with ApplyCounts, as the pipeline's shards
// apply records: one Counts, flushed into a new Deltas every 10,000 records.
func BenchmarkApplyCounts(b *testing.B) {
	recs := benchRecords()
	rules := benchRules(b)
	b.ReportAllocs()
	start, cpu0 := time.Now(), cpuTime(b)
	for b.Loop() {
		histories := make(map[string]*visitor.History)
		var c visitor.Counts
		for i := range recs {
			if i%epochRecords == 0 {
				c.Flush(messages.NewDeltas())
			}
			rec := &recs[i]
			h := histories[rec.VID]
			if h == nil {
				h = visitor.NewHistory()
				histories[rec.VID] = h
			}
			rules.ApplyCounts(h, rec, &c)
		}
		c.Flush(messages.NewDeltas())
	}
	n := float64(len(recs)) * float64(b.N)
	b.ReportMetric(n/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(n/(cpuTime(b)-cpu0).Seconds(), "records/cpu-s")
}

// cpuTime returns the CPU time (user and system) the process has used, garbage
// collection included. On a busy machine, records per CPU second is the steadier figure.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkApplyPartitioned measures the same work split by visitor into two partitions
// applied concurrently, sharing one Rules (as shards do).
func BenchmarkApplyPartitioned(b *testing.B) {
	recs := benchRecords()
	rules := benchRules(b)
	const parts = 2
	split := make([][]messages.Record, parts)
	for _, r := range recs {
		h := fnv.New32a()
		_, _ = h.Write([]byte(r.VID))
		p := h.Sum32() % parts
		split[p] = append(split[p], r)
	}
	b.ReportAllocs()
	start, cpu0 := time.Now(), cpuTime(b)
	for b.Loop() {
		var wg sync.WaitGroup
		for _, part := range split {
			wg.Add(1)
			go func() {
				defer wg.Done()
				applyAll(rules, part)
			}()
		}
		wg.Wait()
	}
	n := float64(len(recs)) * float64(b.N)
	b.ReportMetric(n/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(n/(cpuTime(b)-cpu0).Seconds(), "records/cpu-s")
}

// BenchmarkMarshalHistory and BenchmarkUnmarshalHistory measure the encoding of the
// histories the standard mix produces (per history, averaged over all visitors).
func BenchmarkMarshalHistory(b *testing.B) {
	hs := benchHistories(b)
	b.ReportAllocs()
	var bytes int
	for b.Loop() {
		bytes = 0
		for _, h := range hs {
			data, err := h.MarshalBinary()
			if err != nil {
				b.Fatal(err)
			}
			bytes += len(data)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(hs)), "ns/history")
	b.ReportMetric(float64(bytes)/float64(len(hs)), "bytes/history")
}

func BenchmarkUnmarshalHistory(b *testing.B) {
	hs := benchHistories(b)
	encoded := make([][]byte, len(hs))
	for i, h := range hs {
		data, err := h.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		encoded[i] = data
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range encoded {
			var h visitor.History
			if err := h.UnmarshalBinary(data); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(hs)), "ns/history")
}

func benchHistories(b *testing.B) []*visitor.History {
	rules := benchRules(b)
	histories := make(map[string]*visitor.History)
	d := messages.NewDeltas()
	recs := benchRecords()
	for i := range recs {
		h := histories[recs[i].VID]
		if h == nil {
			h = visitor.NewHistory()
			histories[recs[i].VID] = h
		}
		rules.Apply(h, &recs[i], d)
	}
	out := make([]*visitor.History, 0, len(histories))
	for _, h := range histories {
		out = append(out, h)
	}
	return out
}
