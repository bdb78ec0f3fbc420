package integration

import (
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
)

// BenchmarkIngestThroughJetStream compares end-to-end ingest (to committed PostgreSQL) of
// one generated log of 1M records from its hourly files with ingest from a 64-partition
// stream of an embedded server holding the same lines, by 1 and by 2 ingest processes.
// Every ingest is a child process of the test binary with 2 shards and the default flush
// size; the 2 processes split the partitions. Each iteration starts from an empty schema;
// the figures are records/s over the whole run, process start included, and records per
// CPU second of the ingest processes (PostgreSQL and the NATS server not counted), which a
// busy machine disturbs less.
//
//	go test -run '^$' -bench IngestThroughJetStream -benchtime 3x ./integration
func BenchmarkIngestThroughJetStream(b *testing.B) {
	const records = 1_000_000
	base := generate(b, records, 51)
	l := newJSLog(b, 64)
	l.ship(b, base, "web1")
	flush := childFlushEvery + "=" + strconv.Itoa(250_000)
	run := func(b *testing.B, start func(schema string) []*exec.Cmd) {
		var cpu time.Duration // of the ingest processes alone
		for b.Loop() {
			b.StopTimer()
			store := pgtest.NewStore(b)
			b.StartTimer()
			for _, c := range start(store.Schema()) {
				require.NoError(b, c.Wait())
				cpu += c.ProcessState.UserTime() + c.ProcessState.SystemTime()
			}
		}
		b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(records)*float64(b.N)/cpu.Seconds(), "records/cpu-s")
	}
	b.Run("files", func(b *testing.B) {
		run(b, func(schema string) []*exec.Cmd {
			return []*exec.Cmd{startChild(b, childLog+"="+base, childDB+"="+pgtest.URL(b), childSchema+"="+schema, flush)}
		})
	})
	for _, procs := range []int{1, 2} {
		b.Run(fmt.Sprintf("jetstream/processes=%d", procs), func(b *testing.B) {
			run(b, func(schema string) []*exec.Cmd {
				var cs []*exec.Cmd
				for _, parts := range partitionSets(64, procs) {
					var ps string
					for i, p := range parts {
						if i > 0 {
							ps += ","
						}
						ps += strconv.Itoa(p)
					}
					cs = append(cs, startChild(b, childNATS+"="+l.srv.URL(), childDB+"="+pgtest.URL(b),
						childSchema+"="+schema, childParts+"="+ps, flush))
				}
				return cs
			})
		})
	}
}
