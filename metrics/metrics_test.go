package metrics_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/buildinfo"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/metrics"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// scrape returns the text exposition of m.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}

func TestPipelineEventsFeedIngestMetrics(t *testing.T) {
	m := metrics.New()
	ev := m.PipelineEvents()
	ev.Committed(1, 100, 2, 30*time.Millisecond)
	ev.Committed(2, 50, 0, 10*time.Millisecond)
	ev.Restarted(errors.New("shard 3 failed"))
	ev.Loaded(7)
	ev.Gap(ingest.Gap{Reason: logsource.GapLateAppend, Path: "log/m.log.3600", Bytes: 40})
	ev.Gap(ingest.Gap{Reason: logsource.GapLateAppend, Path: "log/m.log.3600", Bytes: 2})
	ev.Gap(ingest.Gap{Reason: logsource.GapLateFile, Path: "log/m.log.0", Bytes: 500})

	body := scrape(t, m)
	for _, want := range []string{
		"manhattan_ingest_records_committed_total 150",
		"manhattan_ingest_dead_letters_total 2",
		"manhattan_ingest_epochs_committed_total 2",
		"manhattan_ingest_last_committed_epoch 2",
		"manhattan_ingest_commit_duration_seconds_count 2",
		"manhattan_ingest_commit_duration_seconds_sum 0.04",
		"manhattan_ingest_restarts_total 1",
		"manhattan_ingest_histories_loaded_total 7",
		"manhattan_ingest_records_read_total 0",
		`manhattan_ingest_log_unread_bytes_total{reason="late_append"} 42`,
		`manhattan_ingest_log_unread_bytes_total{reason="late_file"} 500`,
		`manhattan_ingest_log_unread_total{reason="late_append"} 2`,
		`manhattan_ingest_log_unread_total{reason="late_file"} 1`,
	} {
		assert.Contains(t, body, "\n"+want+"\n")
	}
	assert.Contains(t, body, "\ngo_goroutines ", "the Go runtime collector is registered")
}

func TestInstrumentTimesRequestsAndCountsErrors(t *testing.T) {
	m := metrics.New()
	h := m.Instrument("count", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	for _, target := range []string{"/?x=1", "/?fail=1", "/?fail=1", "/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	}
	body := scrape(t, m)
	assert.Contains(t, body, `manhattan_query_duration_seconds_count{endpoint="count"} 4`+"\n")
	assert.Contains(t, body, `manhattan_query_errors_total{code="400",endpoint="count"} 2`+"\n")
	assert.NotContains(t, body, `code="200"`)
}

func TestMetricsAreLintClean(t *testing.T) {
	m := metrics.New()
	m.Instrument("count", http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	families, err := m.Registry().Gather()
	require.NoError(t, err)
	problems, err := promlint.NewWithMetricFamilies(families).Lint()
	require.NoError(t, err)
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "manhattan_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}

func TestRealPipelineFeedsMetrics(t *testing.T) {
	store := pgtest.NewStore(t)
	m := metrics.New()
	cfg := actors.Config{
		Store: store, Rules: fixtures.Rules(t, fixtures.Clickstream), LogBase: fixtures.CopyLog(t, fixtures.Clickstream),
		Shards: 2, FlushInterval: time.Hour,
	}
	p, err := actors.Start(cfg, m.PipelineEvents())
	require.NoError(t, err)
	m.TrackPipeline(p)
	sum, err := p.Wait()
	require.NoError(t, err)
	require.Positive(t, sum.Records)

	body := scrape(t, m)
	assert.Contains(t, body, "manhattan_ingest_epochs_committed_total "+itoa(sum.Epochs)+"\n")
	assert.Contains(t, body, "manhattan_ingest_records_committed_total "+itoa(sum.Records)+"\n")
	assert.Contains(t, body, "manhattan_ingest_dead_letters_total "+itoa(sum.DeadLetters)+"\n")
	assert.Contains(t, body, "manhattan_ingest_records_read_total "+itoa(sum.Records+sum.DeadLetters)+"\n")

	// A second pipeline over the same (fully committed) log reads nothing new; the
	// read counter keeps what the first one read.
	p2, err := actors.Start(cfg, m.PipelineEvents())
	require.NoError(t, err)
	m.TrackPipeline(p2)
	_, err = p2.Wait()
	require.NoError(t, err)
	assert.Contains(t, scrape(t, m), "manhattan_ingest_records_read_total "+itoa(sum.Records+sum.DeadLetters)+"\n")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestBuildInfoIsExported(t *testing.T) {
	body := scrape(t, metrics.New())
	bi := buildinfo.Get()
	assert.Contains(t, body, `manhattan_build_info{goversion="`+bi.GoVersion+`",revision="`+bi.Revision+`",version="`+bi.Version+`"} 1`)
}

func TestCaughtUpLagAndFreshnessOfTheTrackedPipeline(t *testing.T) {
	store := pgtest.NewStore(t)
	m := metrics.New()
	assert.NotContains(t, scrape(t, m), "manhattan_ingest_caught_up", "no pipeline, no state to report")

	base := fixtures.CopyLog(t, fixtures.Clickstream)
	cfg := actors.Config{Store: store, Rules: fixtures.Rules(t, fixtures.Clickstream), LogBase: base, Shards: 2, FlushInterval: time.Hour}
	before := time.Now().Unix()
	p, err := actors.Start(cfg, m.PipelineEvents())
	require.NoError(t, err)
	m.TrackPipeline(p)
	_, err = p.Wait()
	require.NoError(t, err)

	body := scrape(t, m)
	assert.Contains(t, body, "manhattan_ingest_caught_up 1\n")
	assert.Contains(t, body, `manhattan_ingest_partition_lag_bytes{partition="0"} 0`+"\n", "everything committed")
	var stamp float64
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, "manhattan_ingest_last_commit_timestamp_seconds "); ok {
			stamp, err = strconv.ParseFloat(v, 64)
			require.NoError(t, err)
		}
	}
	assert.GreaterOrEqual(t, int64(stamp), before)

	// Lines appended after the committed pointer are lag.
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	line := "1\tpixel\t1400000000\tlate\t1\n"
	f, err := os.OpenFile(eventlog.Path(base, hours[len(hours)-1]), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(line)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	assert.Contains(t, scrape(t, m), `manhattan_ingest_partition_lag_bytes{partition="0"} `+strconv.Itoa(len(line))+"\n")
}
