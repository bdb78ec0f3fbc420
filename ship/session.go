package ship

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/stream"
)

// session ships from the acknowledged pointer until the end of the log (batch mode: done
// is true), a failure, or ctx is done. It returns only once every chunk it published is
// resolved, with the acknowledged pointer and the pending ends up to date.
func (s *Shipper) session(ctx context.Context) (done bool, err error) {
	if err := s.waitConnected(ctx); err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		return false, fatalError{err}
	}
	opts := s.cfg.Reader
	opts.Follow = s.cfg.Follow
	r, err := eventlog.OpenReader(s.cfg.LogBase, s.acked, opts)
	if err != nil {
		return false, fatalError{s.readError(err)}
	}
	cctx, cancel := context.WithCancel(ctx)
	ck := &chunker{
		r: r, out: make(chan *chunk, s.cfg.MaxInFlight), forced: slices.Clone(s.pend),
		maxLines: int64(s.cfg.ChunkLines), maxBytes: int64(s.cfg.ChunkBytes), linger: s.cfg.Linger,
		newSplit: func() *stream.Splitter { return s.splits.Get().(*stream.Splitter) },
		log:      s.cfg.Logger, stats: &s.stats,
	}
	readErr := make(chan error, 1)
	go func() { readErr <- ck.run(cctx, s.acked) }()
	defer func() {
		cancel()
		for range ck.out {
		}
		_ = r.Close()
	}()

	var (
		inflight []*chunk
		resolved = make(chan *chunk, s.cfg.MaxInFlight)
		replay   = len(s.pend) // the first chunks of the session are the pending ones
		failed   error
		in       = ck.out
		ctxDone  = ctx.Done()
	)
	for {
		admit := in
		if failed != nil || len(inflight) >= s.cfg.MaxInFlight {
			admit = nil
		}
		if in == nil && len(inflight) == 0 {
			return failed == nil && !s.cfg.Follow && ctx.Err() == nil, failed
		}
		if failed != nil && len(inflight) == 0 {
			return false, failed
		}
		select {
		case c, ok := <-admit:
			if !ok {
				in = nil
				if err := <-readErr; err != nil && ctx.Err() == nil && failed == nil {
					failed = fatalError{s.readError(err)}
				}
				continue
			}
			batch := s.drain(c, ck.out, s.cfg.MaxInFlight-len(inflight))
			for _, c := range batch {
				if replay > 0 {
					replay--
				} else {
					s.pend = append(s.pend, c.end)
				}
			}
			if err := s.save(); err != nil { // the chunks' ends are durable before they are published
				failed = err
				for _, c := range batch {
					s.splits.Put(c.split)
				}
				continue
			}
			for _, c := range batch {
				s.publish(c)
				inflight = append(inflight, c)
				s.stats.InFlight.Add(1)
				go awaitAcks(c, resolved)
			}
		case c := <-resolved:
			c.resolved = true
			inflight, failed = s.advance(inflight, failed)
		case <-ctxDone:
			ctxDone = nil
			cancel()
		}
	}
}

// drain returns c and the chunks ready after it, up to room in all.
func (s *Shipper) drain(c *chunk, out <-chan *chunk, room int) []*chunk {
	batch := []*chunk{c}
	for len(batch) < room {
		select {
		case c, ok := <-out:
			if !ok {
				return batch
			}
			batch = append(batch, c)
		default:
			return batch
		}
	}
	return batch
}

// publish sends one message per partition that the chunk has lines for.
func (s *Shipper) publish(c *chunk) {
	for p := range s.subjects {
		body, n := c.split.Body(p)
		if n == 0 {
			continue
		}
		m := &nats.Msg{Subject: s.subjects[p], Data: body, Header: nats.Header{}}
		m.Header.Set(jetstream.MsgIDHeader, stream.MsgID(s.cfg.Source, c.start, p))
		f, err := s.js.PublishMsgAsync(m)
		if err != nil {
			c.err = err
			return
		}
		c.futures = append(c.futures, f)
	}
}

// awaitAcks waits until every message of c is acknowledged or failed, then reports c.
func awaitAcks(c *chunk, resolved chan<- *chunk) {
	for _, f := range c.futures {
		select {
		case pa := <-f.Ok():
			if pa.Duplicate {
				c.dups++
			}
		case err := <-f.Err():
			if c.err == nil {
				c.err = err
			}
		}
	}
	resolved <- c
}

// advance moves the acknowledged pointer over the resolved chunks at the head of
// inflight, stopping at the first failed one (the session then fails).
func (s *Shipper) advance(inflight []*chunk, failed error) ([]*chunk, error) {
	for len(inflight) > 0 && inflight[0].resolved {
		c := inflight[0]
		inflight = inflight[1:]
		s.stats.InFlight.Add(-1)
		if c.err != nil || failed != nil {
			if failed == nil {
				failed = fmt.Errorf("ship: publish chunk %v-%v: %w", c.start, c.end, c.err)
			}
			continue
		}
		s.acked = c.end
		if len(s.pend) > 0 {
			s.pend = s.pend[1:]
		}
		s.stats.Lines.Add(c.lines)
		s.stats.Bytes.Add(c.bytes)
		s.stats.Messages.Add(int64(len(c.futures)))
		s.stats.Duplicates.Add(c.dups)
		s.stats.Chunks.Add(1)
		s.stats.mu.Lock()
		s.stats.acked = s.acked
		s.stats.mu.Unlock()
		c.split.Reset()
		s.splits.Put(c.split)
	}
	return inflight, failed
}

// waitConnected waits until the connection is up, or ctx is done.
func (s *Shipper) waitConnected(ctx context.Context) error {
	for !s.cfg.Conn.IsConnected() {
		s.stats.Connected.Store(false)
		if s.cfg.Conn.IsClosed() {
			return fmt.Errorf("ship: connection closed")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.stats.Connected.Store(true)
	return nil
}

// readError words an error of reading the log. A file truncated, or truncated and written
// again, under the shipper's progress stops it: what the progress file says was shipped
// is no longer what the log holds, and only the operator can tell what the log should be.
func (s *Shipper) readError(err error) error {
	for _, changed := range []error{eventlog.ErrPointerRewritten, eventlog.ErrFileTruncated, eventlog.ErrPointerBeyondEnd, eventlog.ErrPointerMisaligned} {
		if errors.Is(err, changed) {
			return fmt.Errorf("ship: the log changed under the progress file %s (acknowledged up to %s): %w; "+
				"check the log; to ship it again from its start, move the progress file away (the lines the stream has already are then stored twice)",
				s.cfg.Progress, s.acked, err)
		}
	}
	return fmt.Errorf("ship: read log: %w", err)
}
