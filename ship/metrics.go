package ship

import "github.com/prometheus/client_golang/prometheus"

// RegisterMetrics registers the shipper's counters with reg under manhattan_ship_*.
func RegisterMetrics(reg prometheus.Registerer, st *Stats) error {
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "manhattan", Subsystem: "ship", Name: name, Help: help}, f)
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "manhattan", Subsystem: "ship", Name: name, Help: help}, f)
	}
	load := func(v interface{ Load() int64 }) func() float64 { return func() float64 { return float64(v.Load()) } }
	for _, c := range []prometheus.Collector{
		counter("lines_total", "Log lines acknowledged by the stream.", load(&st.Lines)),
		counter("bytes_total", "Bytes of log lines acknowledged by the stream.", load(&st.Bytes)),
		counter("messages_total", "Messages acknowledged by the stream.", load(&st.Messages)),
		counter("duplicate_messages_total", "Messages the stream already had (published again after a restart or failure).", load(&st.Duplicates)),
		counter("dead_lines_total", "Lines that could not be shipped (truncated or over-long), skipped and logged.", load(&st.DeadLines)),
		counter("late_bytes_total", "Bytes that arrived in log files the reader had already left (after the grace window), reported and not shipped.", load(&st.LateBytes)),
		counter("chunks_total", "Chunks of lines acknowledged.", load(&st.Chunks)),
		counter("failures_total", "Publishing sessions that failed and were retried.", load(&st.Failures)),
		gauge("in_flight_chunks", "Chunks published and not yet acknowledged.", load(&st.InFlight)),
		gauge("lag_bytes", "Bytes of the local log not yet acknowledged by the stream.", load(&st.LagBytes)),
		gauge("connected", "1 while the connection to the broker is up.", func() float64 {
			if st.Connected.Load() {
				return 1
			}
			return 0
		}),
		gauge("acked_file", "Hour file of the acknowledged pointer.", func() float64 { return float64(st.Acked().File) }),
		gauge("acked_offset", "Byte offset of the acknowledged pointer.", func() float64 { return float64(st.Acked().Offset) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
