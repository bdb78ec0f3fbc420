package main

import (
	"fmt"
	"os"
	"time"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
)

// showProgress prints a progress line to standard error twice a second: records/s, how
// much of the log is still ahead of the committed pointer, and an estimate of the time
// left. It returns a function that stops it and ends the line.
func showProgress(p *actors.Pipeline, base string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		var lastRead int64
		lastAt := time.Now()
		var lastBehind int64 = -1
		for {
			select {
			case <-done:
				fmt.Fprint(os.Stderr, "\r\033[K")
				return
			case now := <-t.C:
				st := p.Stats()
				rate := float64(st.Read-lastRead) / now.Sub(lastAt).Seconds()
				lastRead, lastAt = st.Read, now
				behind := bytesBehind(base, st.Committed.Pointer)
				eta := "-"
				if lastBehind >= 0 && behind < lastBehind {
					eta = (time.Duration(float64(behind) / float64(lastBehind-behind) * 0.5 * float64(time.Second))).Round(time.Second).String()
				}
				lastBehind = behind
				fmt.Fprintf(os.Stderr, "\r\033[K%d read, %d committed, %.0f records/s, %.1f MB behind, ETA %s",
					st.Read, st.Committed.Records, rate, float64(behind)/1e6, eta)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// bytesBehind returns how many bytes of the log lie after ptr.
func bytesBehind(base string, ptr messages.Pointer) int64 { return eventlog.BytesAfter(base, ptr) }
