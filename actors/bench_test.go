package actors

import (
	"fmt"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/ingest"
)

// BenchmarkPipelineInMemory measures the in-memory part of ingest: reading, parsing,
// routing, applying the rules, encoding histories and merging deltas, with a store that
// keeps everything in memory. Compare shard counts to see how it scales with cores.
func BenchmarkPipelineInMemory(b *testing.B) {
	rules := testRules(b)
	const records = 200_000
	base := genLog(b, records)
	for _, shards := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				store := newMemStore()
				cfg := config(store, rules, base)
				cfg.Shards, cfg.BatchSize, cfg.FlushEvery = shards, 2048, 100_000
				t0 := time.Now()
				if _, err := Run(b.Context(), cfg, ingest.Events{}); err != nil {
					b.Fatal(err)
				}
				total += time.Since(t0)
			}
			b.ReportMetric(float64(records*b.N)/total.Seconds(), "records/s")
		})
	}
}
