package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// lagTimeout bounds the look at the log's end that a scrape makes.
const lagTimeout = 2 * time.Second

// pipelineCollector exports the state of the tracked pipeline at scrape time: whether its
// source has caught up with the log, and how far each partition's committed pointer stands
// behind the end of the log (manhattan_ingest_partition_lag_<unit>{partition}).
type pipelineCollector struct {
	c        *readCounter
	caughtUp *prometheus.Desc
	lag      map[string]*prometheus.Desc // by logsource unit
}

func newPipelineCollector(c *readCounter) *pipelineCollector {
	lag := func(unit, what string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "ingest", "partition_lag_"+unit),
			"How much of the log lies after the committed pointer, per partition, in "+what+".", []string{"partition"}, nil)
	}
	return &pipelineCollector{
		c: c,
		caughtUp: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "ingest", "caught_up"),
			"1 once the source has reached the end of the log (it then commits at every flush interval), 0 while it works through a backlog; absent without a pipeline.", nil, nil),
		lag: map[string]*prometheus.Desc{
			"bytes":    lag("bytes", "bytes (log files)"),
			"messages": lag("messages", "messages (a stream)"),
		},
	}
}

func (p *pipelineCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- p.caughtUp
	for _, d := range p.lag {
		ch <- d
	}
}

func (p *pipelineCollector) Collect(ch chan<- prometheus.Metric) {
	p.c.mu.Lock()
	pl := p.c.current
	p.c.mu.Unlock()
	if pl == nil {
		return
	}
	caught := 0.0
	if pl.Stats().CaughtUp {
		caught = 1
	}
	ch <- prometheus.MustNewConstMetric(p.caughtUp, prometheus.GaugeValue, caught)
	ctx, cancel := context.WithTimeout(context.Background(), lagTimeout)
	defer cancel()
	lags, err := pl.Lag(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(p.lag["bytes"], err)
		return
	}
	for _, l := range lags {
		d := p.lag[l.Unit]
		if d == nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(l.Behind), strconv.Itoa(l.Partition))
	}
}
