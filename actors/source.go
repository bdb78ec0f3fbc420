package actors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
)

// pull asks the source to read another batch.
type pull struct{ gen int64 }

// stopReading asks the source to end its input after what it has sent (graceful shutdown).
type stopReading struct{}

// source reads the log from the committed pointer and sends RecordBatches to the router.
// It never blocks on the log: at the end of the files it closes its reader and looks again
// after the poll interval (follow mode) or ends the input (batch mode).
type source struct {
	env        *env
	gen        int64
	router     *actor.PID
	aggregator *actor.PID
	supervisor *actor.PID

	pos       messages.Pointer // just past the last line read
	reader    *eventlog.Reader
	seq       int64   // last batch sent
	acked     []int64 // last batch applied, per shard
	throttled bool    // the aggregator asked us to wait for the committer
	caughtUp  bool    // CaughtUp sent in this generation
	ended     bool
	wanted    bool // the source should read as soon as it may
	pending   bool // a pull message is on its way
	timer     *time.Timer
}

func (s *source) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *wiring:
		s.router, s.aggregator, s.supervisor = m.router, m.aggregator, m.supervisor
		s.acked = make([]int64, len(m.shards))
		s.pos = m.start
		s.wanted = true
		s.ask(ctx)
	case *pull:
		if m.gen == s.gen {
			s.pending = false
			s.wanted = true
			s.read(ctx)
		}
	case *messages.ShardProgress:
		if m.Gen == s.gen && m.Seq > s.acked[m.Shard] {
			s.acked[m.Shard] = m.Seq
			s.read(ctx)
		}
	case *messages.Throttle:
		if m.Gen == s.gen {
			s.throttled = m.Hold
			s.read(ctx)
		}
	case *stopReading:
		s.end(ctx)
	case *actor.Stopping:
		if s.timer != nil {
			s.timer.Stop()
		}
		if s.reader != nil {
			_ = s.reader.Close()
		}
	}
}

// ask queues a pull unless one is queued already, so that reading yields to the
// mailbox between batches.
func (s *source) ask(ctx actor.Context) {
	if !s.pending {
		s.pending = true
		ctx.Send(ctx.Self(), &pull{gen: s.gen})
	}
}

func (s *source) ahead() int64 {
	low := s.seq
	for _, a := range s.acked {
		low = min(low, a)
	}
	return s.seq - low
}

// read sends one batch if the source may read now, then asks itself for the next one.
func (s *source) read(ctx actor.Context) {
	if s.ended || !s.wanted || s.pending || s.throttled || s.ahead() >= int64(s.env.cfg.MaxBatchesAhead) {
		return
	}
	if s.reader == nil {
		r, err := eventlog.OpenReader(s.env.cfg.LogBase, s.pos, eventlog.Options{SkipMissing: s.env.cfg.SkipMissing})
		if errors.Is(err, eventlog.ErrPointerFileMissing) || errors.Is(err, eventlog.ErrPointerBeyondEnd) ||
			errors.Is(err, eventlog.ErrPointerRewritten) {
			// Reading again cannot help: the operator has to choose (DESIGN §2).
			panic(fatalError{fmt.Errorf("source %q: the committed pointer %v does not fit log %s (set SkipMissing, --skip-missing, to continue at the next file): %w",
				s.env.cfg.Source, s.pos, s.env.cfg.LogBase, err)})
		}
		if err != nil {
			panic(fmt.Errorf("source: open log %s at %v: %w", s.env.cfg.LogBase, s.pos, err))
		}
		s.reader = r
	}
	batch := &messages.RecordBatch{Gen: s.gen, Records: s.env.pools.get(s.env.cfg.BatchSize)}
	atEnd := false
	for len(batch.Records)+len(batch.DeadLetters) < s.env.cfg.BatchSize {
		line, err := s.reader.Next(context.Background())
		if errors.Is(err, io.EOF) {
			atEnd = true
			break
		}
		if dl, ok := eventlog.AsDeadLetter(err); ok { // a truncated or over-long line
			batch.DeadLetters = append(batch.DeadLetters, dl)
			s.pos = dl.Ptr
			continue
		}
		if errors.Is(err, eventlog.ErrFileTruncated) {
			panic(fatalError{fmt.Errorf("source %q: %w (set SkipMissing, --skip-missing, to continue at the next file)", s.env.cfg.Source, err)})
		}
		if err != nil {
			panic(fmt.Errorf("source: read log at %v: %w", s.pos, err))
		}
		s.pos = line.Ptr
		rec, perr := messages.ParseLine(line.Raw)
		if perr != nil {
			batch.DeadLetters = append(batch.DeadLetters, messages.DeadLetter{
				Raw: string(line.Raw), Ptr: line.Ptr, Reason: perr.Error(),
			})
			continue
		}
		rec.Ptr = line.Ptr
		batch.Records = append(batch.Records, rec)
	}
	if len(batch.Records)+len(batch.DeadLetters) > 0 {
		s.seq++
		batch.Seq = s.seq
		batch.End = s.reader.Pointer() // with the check of the line before it
		s.pos = batch.End
		s.env.stats.read.Add(int64(len(batch.Records) + len(batch.DeadLetters)))
		ctx.Send(s.router, batch)
	}
	if !atEnd {
		s.ask(ctx)
		return
	}
	s.wanted = false
	// At the end of the log: release the files; look again later or end the input.
	_ = s.reader.Close()
	s.reader = nil
	s.reportCaughtUp(ctx)
	if !s.env.cfg.Follow {
		s.end(ctx)
		return
	}
	self, gen, root := ctx.Self(), s.gen, ctx.ActorSystem().Root
	s.pending = true
	s.timer = time.AfterFunc(s.env.cfg.PollInterval, func() { root.Send(self, &pull{gen: gen}) })
}

// reportCaughtUp tells the aggregator and the supervisor, once per generation, that the
// source has reached the end of the log.
func (s *source) reportCaughtUp(ctx actor.Context) {
	if s.caughtUp {
		return
	}
	s.caughtUp = true
	m := &messages.CaughtUp{Gen: s.gen}
	ctx.Send(s.aggregator, m)
	ctx.Send(s.supervisor, m)
}

func (s *source) end(ctx actor.Context) {
	if s.ended || s.router == nil {
		return
	}
	s.ended = true
	ctx.Send(s.router, &messages.EndOfInput{Gen: s.gen})
}
