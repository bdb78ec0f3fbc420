package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/logsource"
)

// showProgress prints a progress line to standard error twice a second: records/s, how
// much of the log is still ahead of the committed pointers (per partition for a stream),
// and an estimate of the time left. It returns a function that stops it and ends the line.
func showProgress(p *actors.Pipeline) (stop func()) {
	var lastRead int64
	lastAt := time.Now()
	var lastBehind int64 = -1
	return progressLine(func(now time.Time) string {
		st := p.Stats()
		rate := float64(st.Read-lastRead) / now.Sub(lastAt).Seconds()
		lastRead, lastAt = st.Read, now
		behind, lag := lagOf(p)
		eta := "-"
		if lastBehind >= 0 && behind >= 0 && behind < lastBehind {
			eta = time.Duration(float64(behind) / float64(lastBehind-behind) * float64(progressEvery)).Round(time.Second).String()
		}
		lastBehind = behind
		return fmt.Sprintf("%d read, %d committed, %.0f records/s, %s, ETA %s",
			st.Read, st.Committed.Records, rate, lag, eta)
	})
}

// progressEvery is how often a progress line is rewritten.
const progressEvery = 500 * time.Millisecond

// progressLine rewrites one line of standard error with line(now) every progressEvery,
// from a goroutine of its own (line needs no lock for the state it keeps between calls).
// It returns a function that stops it and clears the line.
func progressLine(line func(now time.Time) string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(os.Stderr, "\r\033[K")
				return
			case now := <-t.C:
				fmt.Fprint(os.Stderr, "\r\033[K"+line(now))
			}
		}
	}()
	return func() { close(done); <-finished }
}

// lagOf returns how much of the log lies after the pipeline's committed pointers, summed
// over its partitions, and those lags as words (see formatLag); -1 when the log cannot
// tell now.
func lagOf(p *actors.Pipeline) (int64, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	lags, err := p.Lag(ctx)
	if err != nil {
		return -1, "lag unknown"
	}
	var n int64
	for _, l := range lags {
		n += l.Behind
	}
	return n, formatLag(lags)
}

// mostBehind is how many partitions a progress line names.
const mostBehind = 3

// formatLag says how far the partitions stand behind the end of the log: the bytes of
// the files, or for a stream the messages behind in all and in the partitions furthest
// behind, e.g. "1234 messages behind in 5 of 16 partitions (p7 800, p3 300, p12 100)".
func formatLag(lags []logsource.Lag) string {
	if len(lags) == 0 {
		return "0.0 MB behind"
	}
	var n int64
	var behind []logsource.Lag
	for _, l := range lags {
		n += l.Behind
		if l.Behind > 0 {
			behind = append(behind, l)
		}
	}
	if lags[0].Unit == logsource.UnitBytes && len(lags) == 1 {
		return fmt.Sprintf("%.1f MB behind", float64(n)/1e6)
	}
	if len(behind) == 0 {
		return fmt.Sprintf("0 %s behind in %d partitions", lags[0].Unit, len(lags))
	}
	slices.SortFunc(behind, func(a, b logsource.Lag) int {
		return cmp.Or(cmp.Compare(b.Behind, a.Behind), cmp.Compare(a.Partition, b.Partition))
	})
	named := make([]string, 0, mostBehind)
	for _, l := range behind[:min(len(behind), mostBehind)] {
		named = append(named, fmt.Sprintf("p%d %d", l.Partition, l.Behind))
	}
	more := ""
	if len(behind) > mostBehind {
		more = ", …"
	}
	return fmt.Sprintf("%d %s behind in %d of %d partitions (%s%s)", n, lags[0].Unit, len(behind), len(lags), strings.Join(named, ", "), more)
}
