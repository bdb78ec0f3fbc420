package ship

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/stream"
)

// chunk is a run of consecutive lines of the log, split by partition.
type chunk struct {
	start, end messages.Pointer
	split      *stream.Splitter
	lines      int64
	bytes      int64
	dead       int64
	first      time.Time // when its first line was added

	futures  []jetstream.PubAckFuture
	err      error // the first failed publish
	dups     int64 // messages the stream already had
	resolved bool  // every future has answered
}

// chunker reads lines from a Reader and cuts them into chunks: at a size bound, when the
// oldest line of a chunk has waited for the linger time, at the end of the log in batch
// mode, and, while replaying, exactly at the pending ends of the previous session.
type chunker struct {
	r        *eventlog.Reader
	out      chan *chunk
	forced   []messages.Pointer
	maxLines int64
	maxBytes int64
	linger   time.Duration
	newSplit func() *stream.Splitter
	log      *slog.Logger
	stats    *Stats

	mu  sync.Mutex
	cur *chunk
}

// run reads until the end of the log (batch mode), an error, or ctx is done, and closes
// out when it returns.
func (c *chunker) run(ctx context.Context, from messages.Pointer) error {
	c.cur = &chunk{start: from, end: from, split: c.newSplit()}
	stop := make(chan struct{})
	var linger sync.WaitGroup
	linger.Go(func() { c.lingerLoop(ctx, stop) })
	defer func() {
		// out is closed only once the linger loop, which also sends on it, is gone.
		close(stop)
		linger.Wait()
		close(c.out)
	}()
	for {
		line, err := c.r.Next(ctx)
		if errors.Is(err, io.EOF) {
			c.mu.Lock()
			err = c.flushLocked(ctx)
			c.mu.Unlock()
			return err
		}
		if dl, ok := eventlog.AsDeadLetter(err); ok {
			c.log.Warn("ship: a line that cannot be shipped was skipped", "pointer", dl.Ptr, "reason", dl.Reason, "prefix", truncate(dl.Raw, 80))
			c.stats.DeadLines.Add(1)
			c.mu.Lock()
			c.cur.end = dl.Ptr
			c.cur.dead++
			err = c.maybeCutLocked(ctx)
			c.mu.Unlock()
			if err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		for _, late := range c.r.Late() {
			c.log.Warn("ship: lines arrived behind the reader and were not shipped", "late", late.String())
			c.stats.LateBytes.Add(late.Bytes)
		}
		c.mu.Lock()
		if c.cur.lines == 0 {
			c.cur.first = time.Now()
		}
		c.cur.split.Add(line.Raw)
		c.cur.lines++
		c.cur.bytes += int64(len(line.Raw)) + 1
		// The end carries the Check of its line, so that a resume notices a file that
		// was truncated and written again under the progress file.
		c.cur.end = line.Ptr
		c.cur.end.Check = eventlog.LineCheck(line.Raw)
		err = c.maybeCutLocked(ctx)
		c.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// maybeCutLocked cuts the current chunk at a forced end or at its size bound.
func (c *chunker) maybeCutLocked(ctx context.Context) error {
	if len(c.forced) > 0 {
		if c.cur.end.Less(c.forced[0]) {
			return nil
		}
		if c.cur.end.At() != c.forced[0].At() {
			c.log.Warn("ship: a pending chunk ends elsewhere than recorded; its lines may be stored twice", "recorded", c.forced[0], "now", c.cur.end)
		}
		c.forced = c.forced[1:]
		return c.flushLocked(ctx)
	}
	if c.cur.lines >= c.maxLines || c.cur.bytes >= c.maxBytes {
		return c.flushLocked(ctx)
	}
	return nil
}

// flushLocked hands the current chunk on, unless it is empty, and starts the next one.
func (c *chunker) flushLocked(ctx context.Context) error {
	if c.cur.lines == 0 && c.cur.dead == 0 {
		return nil
	}
	select {
	case c.out <- c.cur:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.cur = &chunk{start: c.cur.end, end: c.cur.end, split: c.newSplit()}
	return nil
}

// lingerLoop cuts a chunk whose first line has waited for the linger time, so that a
// quiet log is still shipped promptly.
func (c *chunker) lingerLoop(ctx context.Context, stop <-chan struct{}) {
	t := time.NewTicker(max(c.linger/2, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			c.mu.Lock()
			if len(c.forced) == 0 && (c.cur.lines > 0 && time.Since(c.cur.first) >= c.linger || c.cur.lines == 0 && c.cur.dead > 0) {
				_ = c.flushLocked(ctx)
			}
			c.mu.Unlock()
		}
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
