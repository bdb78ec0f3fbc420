package metrics

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/buildinfo"
	"github.com/manhattan-analytics/manhattan/logsource"
)

// Namespace prefixes every metric name.
const Namespace = "manhattan"

// Metrics is a registry with Manhattan's ingest and query metrics. Its methods are safe
// for concurrent use.
type Metrics struct {
	registry   *prometheus.Registry
	collectors []prometheus.Collector // what New registered

	recordsCommitted prometheus.Counter
	deadLetters      prometheus.Counter
	epochs           prometheus.Counter
	lastEpoch        prometheus.Gauge
	lastCommit       prometheus.Gauge
	commitSeconds    prometheus.Histogram
	restarts         prometheus.Counter
	historiesLoaded  prometheus.Counter
	unreadBytes      *prometheus.CounterVec
	unreadEvents     *prometheus.CounterVec

	queryDuration *prometheus.HistogramVec
	queryErrors   *prometheus.CounterVec

	read readCounter
}

// New returns metrics on a new registry that also holds the Go runtime and process
// collectors.
func New() *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	ingest := func(name, help string) prometheus.CounterOpts {
		return prometheus.CounterOpts{Namespace: Namespace, Subsystem: "ingest", Name: name, Help: help}
	}
	m.recordsCommitted = prometheus.NewCounter(ingest("records_committed_total", "Log records committed to the store (dead letters not included)."))
	m.deadLetters = prometheus.NewCounter(ingest("dead_letters_total", "Malformed log lines recorded as dead letters and skipped."))
	m.epochs = prometheus.NewCounter(ingest("epochs_committed_total", "Epochs committed, one transaction each."))
	m.restarts = prometheus.NewCounter(ingest("restarts_total", "Pipeline rewinds to the committed pointer after a failure (shard, aggregator, committer or store)."))
	m.historiesLoaded = prometheus.NewCounter(ingest("histories_loaded_total", "Visitor histories loaded from the store into the shards' caches."))
	m.lastEpoch = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "ingest", Name: "last_committed_epoch",
		Help: "Number of the last committed epoch."})
	m.commitSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "ingest", Name: "commit_duration_seconds",
		Help: "Time to commit one epoch to the store.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)})
	m.queryDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "query", Name: "duration_seconds",
		Help: "Time to answer an HTTP request, by endpoint.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"endpoint"})
	m.queryErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "query", Name: "errors_total",
		Help: "HTTP requests answered with an error status, by endpoint and status code."}, []string{"endpoint", "code"})
	m.unreadBytes = prometheus.NewCounterVec(ingest("log_unread_bytes_total",
		"Log bytes passed over unread, by reason: late_append (appended to a file after the source left it), late_file (a file of an hour the source had passed) or skipped (--skip-missing)."),
		[]string{"reason"})
	m.unreadEvents = prometheus.NewCounterVec(ingest("log_unread_total",
		"Times log data was passed over unread, by reason (see manhattan_ingest_log_unread_bytes_total)."), []string{"reason"})
	readTotal := prometheus.NewCounterFunc(ingest("records_read_total", "Log lines read by the source (read again after a rewind counts again)."),
		func() float64 { return float64(m.read.total()) })

	bi := buildinfo.Get()
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info",
		Help:        "Always 1; the labels name the running build (module version, VCS revision, Go version).",
		ConstLabels: prometheus.Labels{"version": bi.Version, "revision": bi.Revision, "goversion": bi.GoVersion}})
	buildInfo.Set(1)

	m.lastCommit = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "ingest", Name: "last_commit_timestamp_seconds",
		Help: "Unix time of the last committed epoch: time() minus it is how stale the answers are."})

	m.collectors = []prometheus.Collector{
		buildInfo, m.lastCommit, newPipelineCollector(&m.read),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.recordsCommitted, m.deadLetters, m.epochs, m.lastEpoch, m.commitSeconds, m.restarts, m.historiesLoaded,
		m.unreadBytes, m.unreadEvents,
		readTotal, m.queryDuration, m.queryErrors,
	}
	m.registry.MustRegister(m.collectors...)
	return m
}

// fqNameRE finds the metric name in a prometheus.Desc's String.
var fqNameRE = regexp.MustCompile(`fqName: "([^"]+)"`)

// Names returns the name of every metric family New registers, whether or not it has a
// sample now (e.g. the lag gauges of a pipeline not started yet), sorted.
func (m *Metrics) Names() []string {
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range m.collectors {
			c.Describe(ch)
		}
		close(ch)
	}()
	var names []string
	for d := range ch {
		if sub := fqNameRE.FindStringSubmatch(d.String()); sub != nil {
			names = append(names, sub[1])
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Registry returns the registry, e.g. to register more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// PipelineEvents returns the callbacks that feed the ingest metrics from a pipeline; pass
// them to actors.Start or actors.Run.
func (m *Metrics) PipelineEvents() ingest.Events {
	return ingest.Events{
		Committed: func(epoch, records, deadLetters int64, took time.Duration) {
			m.recordsCommitted.Add(float64(records))
			m.deadLetters.Add(float64(deadLetters))
			m.epochs.Inc()
			m.lastEpoch.Set(float64(epoch))
			m.lastCommit.SetToCurrentTime()
			m.commitSeconds.Observe(took.Seconds())
		},
		Restarted: func(error) { m.restarts.Inc() },
		Loaded:    func(histories int) { m.historiesLoaded.Add(float64(histories)) },
		Gap: func(g ingest.Gap) {
			m.unreadBytes.WithLabelValues(g.Reason).Add(float64(g.Bytes))
			m.unreadEvents.WithLabelValues(g.Reason).Inc()
		},
	}
}

// Pipeline is what the metrics read of a running pipeline (*actors.Pipeline has it).
type Pipeline interface {
	Stats() ingest.Stats
	Lag(ctx context.Context) ([]logsource.Lag, error)
}

// TrackPipeline makes the records-read counter and the pipeline gauges follow p. Lines
// read by a pipeline tracked before stay counted.
func (m *Metrics) TrackPipeline(p Pipeline) { m.read.track(p) }

// Instrument wraps next so that every request is timed under the given endpoint label and
// every answer with status 400 or above is counted as an error. endpoint must come from a
// fixed set (never from the request).
func (m *Metrics) Instrument(endpoint string, next http.Handler) http.Handler {
	duration := m.queryDuration.WithLabelValues(endpoint)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		duration.Observe(time.Since(start).Seconds())
		if rec.status >= 400 {
			m.queryErrors.WithLabelValues(endpoint, strconv.Itoa(rec.status)).Inc()
		}
	})
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush and deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// readCounter sums the lines read by the pipelines tracked so far.
type readCounter struct {
	mu       sync.Mutex
	finished int64 // lines read by pipelines tracked before the current one
	current  Pipeline
}

func (c *readCounter) track(p Pipeline) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != nil {
		c.finished += c.current.Stats().Read
	}
	c.current = p
}

func (c *readCounter) total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.finished
	if c.current != nil {
		n += c.current.Stats().Read
	}
	return n
}
