package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
)

var metricsLine = regexp.MustCompile(`(?m)^metrics\s+(http://\S+/metrics)$`)

// manhattan ingest --metrics-listen exports the pipeline's metrics, with the lag of each
// partition of the stream it reads.
func TestIngestExportsTheLagOfEachPartition(t *testing.T) {
	srv := natstest.Start(t)
	natsArgs := []string{"--nats", srv.URL(), "--stream", "LOG"}
	code, _, errOut := runCmd(append([]string{"stream", "create", "--partitions", "3"}, natsArgs...)...)
	require.Zero(t, code, errOut)
	base := fixtures.CopyLog(t, fixtures.Clickstream)
	code, _, errOut = runCmd(append([]string{"ship", "--once", "--log", base, "--progress=false"}, natsArgs...)...)
	require.Zero(t, code, errOut)

	store := pgtest.NewStore(t)
	b := startCommand(t, runIngest, "--db", pgtest.URL(t), "--schema", store.Schema(), "--source", srv.URL(), "--stream", "LOG",
		"--follow", "--progress=false", "--flush-interval", "20ms", "--poll-interval", "10ms", "--metrics-listen", "127.0.0.1:0")
	var url string
	waitFor(t, "the metrics address", func() bool {
		m := metricsLine.FindStringSubmatch(b.out.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	// Everything committed: each partition 0 messages behind.
	waitFor(t, "every partition to be committed to its end", func() bool {
		status, body := get(t, url, "")
		require.Equal(t, http.StatusOK, status)
		for _, p := range []string{"0", "1", "2"} {
			if !strings.Contains(string(body), `manhattan_ingest_partition_lag_messages{partition="`+p+`"} 0`+"\n") {
				return false
			}
		}
		return strings.Contains(string(body), "manhattan_ingest_caught_up 1\n")
	})
	require.NoError(t, b.stop(t))
}
