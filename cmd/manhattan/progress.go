package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/logsource"
)

// showProgress prints a progress line to standard error twice a second: records/s, how
// much of the log is still ahead of the committed pointer, and an estimate of the time
// left. It returns a function that stops it and ends the line.
func showProgress(p *actors.Pipeline) (stop func()) {
	var lastRead int64
	lastAt := time.Now()
	var lastBehind int64 = -1
	return progressLine(func(now time.Time) string {
		st := p.Stats()
		rate := float64(st.Read-lastRead) / now.Sub(lastAt).Seconds()
		lastRead, lastAt = st.Read, now
		behind, unit := lagOf(p)
		eta := "-"
		if lastBehind >= 0 && behind < lastBehind {
			eta = time.Duration(float64(behind) / float64(lastBehind-behind) * float64(progressEvery)).Round(time.Second).String()
		}
		lastBehind = behind
		return fmt.Sprintf("%d read, %d committed, %.0f records/s, %s behind, ETA %s",
			st.Read, st.Committed.Records, rate, formatBehind(behind, unit), eta)
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
// over its partitions, and the unit of the figure.
func lagOf(p *actors.Pipeline) (int64, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	lags, err := p.Lag(ctx)
	if err != nil || len(lags) == 0 {
		return 0, logsource.UnitBytes
	}
	var n int64
	for _, l := range lags {
		n += l.Behind
	}
	return n, lags[0].Unit
}

func formatBehind(n int64, unit string) string {
	if unit == logsource.UnitBytes {
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d %s", n, unit)
}
