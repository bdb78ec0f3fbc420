package actors

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
)

// pull asks the source to read another batch.
type pull struct{ gen int64 }

// stopReading asks the source to end its input after what it has sent (graceful shutdown).
type stopReading struct{}

// source reads the partitions of the log this generation covers, each from its committed
// pointer, and sends RecordBatches to the router. It keeps one Reader for its generation,
// so that the reader's rules (the files' rollover grace window, their watch for late data)
// hold across the whole run. It never blocks on the log: when the reader has nothing more
// it ends the input (batch mode) or looks again after the poll interval (follow mode, or
// ErrNotYet in either mode). What the reader passes over unread is reported as a Gap
// (log, Events.Gap, Stats).
type source struct {
	env        *env
	gen        int64
	router     *actor.PID
	aggregator *actor.PID
	supervisor *actor.PID

	from      []messages.Pointer // where this generation started, per partition
	reader    logsource.Reader
	seq       int64   // last batch sent
	acked     []int64 // last batch applied, per shard
	throttled bool    // the aggregator asked us to wait for the committer
	caughtUp  bool    // CaughtUp sent in this generation
	ended     bool
	wanted    bool // the source should read as soon as it may
	pending   bool // a pull message is on its way
	timer     *time.Timer
	skipped   int       // the reader's Skipped already reported
	lines     lineBatch // the lines of the batch being read
}

func (s *source) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *wiring:
		s.router, s.aggregator, s.supervisor = m.router, m.aggregator, m.supervisor
		s.acked = make([]int64, len(m.shards))
		s.from = m.start
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
		s.open()
	}
	batch, atEnd, notYet := s.fill()
	if batch.Records+len(batch.DeadLetters) > 0 {
		s.seq++
		batch.Seq = s.seq
		s.env.stats.read.Add(int64(batch.Records + len(batch.DeadLetters)))
		ctx.Send(s.router, batch)
	} else {
		for _, p := range batch.Parts {
			s.env.parts.put(p)
		}
	}
	s.reportGaps()
	if !atEnd && !notYet {
		s.ask(ctx)
		return
	}
	s.wanted = false
	if atEnd || s.env.cfg.Follow {
		s.reportCaughtUp(ctx)
	}
	if atEnd && !s.env.cfg.Follow {
		s.end(ctx)
		return
	}
	// At the end of what the log holds: look again after the poll interval.
	self, gen, root := ctx.Self(), s.gen, ctx.ActorSystem().Root
	s.pending = true
	s.timer = time.AfterFunc(s.env.cfg.PollInterval, func() { root.Send(self, &pull{gen: gen}) })
}

// open opens the log at the generation's pointers.
func (s *source) open() {
	cfg := s.env.cfg
	if len(s.from) == 0 {
		s.reader = noPartitions{} // this process owns none now
		return
	}
	r, err := cfg.Log.Open(s.env.ctx, s.from, logsource.Options{
		Follow: cfg.Follow, PollInterval: cfg.PollInterval, SkipMissing: cfg.SkipMissing,
	})
	if errors.Is(err, logsource.ErrPointerNotInLog) {
		// Reading again cannot help: the operator has to choose (docs/log-format.md).
		panic(fatalError{fmt.Errorf("source %q: the committed pointers %v do not fit %s: %w; "+
			"if this is another log than the one source %q was reading, give it a source of its own (--source, or --schema for separate counts); "+
			"if it is the same log and the data is gone, set SkipMissing (--skip-missing) to continue at its next file",
			cfg.Source, s.from, cfg.Log, err, cfg.Source)})
	}
	if errors.Is(err, logsource.ErrNotLog) {
		panic(fatalError{fmt.Errorf("source %q: %w", cfg.Source, err)})
	}
	if err != nil {
		panic(fmt.Errorf("source: open %s at %v: %w", cfg.Log, s.from, err))
	}
	s.reader = r
}

// fill reads one batch: up to BatchSize lines, parsed into records (in one part per
// shard) or dead letters, with the advance of every partition they come from. atEnd reports that the reader has
// nothing more for now, notYet that more is due but cannot be read yet (ErrNotYet).
func (s *source) fill() (batch *messages.RecordBatch, atEnd, notYet bool) {
	cfg := s.env.cfg
	batch = &messages.RecordBatch{Gen: s.gen, Parts: make([]*messages.ShardBatch, len(s.acked))}
	slot := -1 // index in batch.Ends of the partition of the last line
	advance := func(part int, record bool) {
		if slot < 0 || batch.Ends[slot].Pointer.Partition != part {
			slot = slices.IndexFunc(batch.Ends, func(a messages.Advance) bool { return a.Pointer.Partition == part })
			if slot < 0 {
				slot = len(batch.Ends)
				batch.Ends = append(batch.Ends, messages.Advance{Pointer: messages.Pointer{Partition: part}})
			}
		}
		if record {
			batch.Ends[slot].Records++
		}
	}
	lines := &s.lines
	lines.reset()
	for lines.len() < cfg.BatchSize {
		line, err := s.reader.Next(s.env.ctx)
		if errors.Is(err, io.EOF) {
			atEnd = true
			break
		}
		if errors.Is(err, logsource.ErrNotYet) {
			notYet = true
			break
		}
		if dl, ok := logsource.AsBadLine(err); ok { // e.g. a truncated or over-long line
			lines.addDeadLetter(dl)
			continue
		}
		if errors.Is(err, logsource.ErrNotLog) {
			panic(fatalError{fmt.Errorf("source %q: %w", cfg.Source, err)})
		}
		if errors.Is(err, logsource.ErrPointerNotInLog) {
			panic(fatalError{fmt.Errorf("source %q: %w (set SkipMissing, --skip-missing, to continue at the next file)", cfg.Source, err)})
		}
		if err != nil {
			panic(fmt.Errorf("source: read %s: %w", cfg.Log, err))
		}
		lines.addLine(line.Raw, line.Ptr)
	}
	lines.parse(batch.Parts, s.env.parts, func(ptr messages.Pointer) {
		batch.Records++
		advance(ptr.Partition, true)
	}, func(dl messages.DeadLetter) {
		batch.DeadLetters = append(batch.DeadLetters, dl)
		advance(dl.Ptr.Partition, false)
	})
	for i := range batch.Ends {
		// The resumable pointer, with the identity the log keeps (the files' check).
		batch.Ends[i].Pointer = s.reader.Pointer(batch.Ends[i].Pointer.Partition)
	}
	slices.SortFunc(batch.Ends, func(a, b messages.Advance) int { return cmp.Compare(a.Pointer.Partition, b.Pointer.Partition) })
	return batch, atEnd, notYet
}

// reportGaps reports what the reader passed over since the last call: late data and, with
// SkipMissing, what it skipped.
func (s *source) reportGaps() {
	skipped := s.reader.Skipped()
	if len(skipped) == s.skipped {
		return
	}
	var gaps []ingest.Gap
	now := time.Now()
	for _, err := range skipped[s.skipped:] {
		g := ingest.Gap{Reason: logsource.GapSkipped, Detail: err.Error(), At: now}
		var ge *logsource.GapError
		if errors.As(err, &ge) {
			g.Reason, g.Path, g.Bytes = ge.Reason, ge.Where, ge.Bytes
		}
		gaps = append(gaps, g)
	}
	s.skipped = len(skipped)
	st := &s.env.stats
	st.gapMu.Lock()
	for _, g := range gaps {
		st.gaps.Count++
		st.gaps.Bytes += g.Bytes
		st.gaps.Recent = append(st.gaps.Recent, g)
	}
	if n := len(st.gaps.Recent); n > recentGaps {
		st.gaps.Recent = slices.Delete(st.gaps.Recent, 0, n-recentGaps)
	}
	st.gapMu.Unlock()
	for _, g := range gaps {
		s.env.cfg.Logger.Warn("log data not read", slog.String("source", s.env.cfg.Source), slog.String("reason", g.Reason),
			slog.String("file", g.Path), slog.Int64("bytes", g.Bytes), slog.String("detail", g.Detail))
		if f := s.env.events.Gap; f != nil {
			f(g)
		}
	}
}

// reportCaughtUp tells the router, the aggregator and the supervisor, once per
// generation, that the source has reached the end of the log. The router gets it after
// the last batch sent before it.
func (s *source) reportCaughtUp(ctx actor.Context) {
	if s.caughtUp {
		return
	}
	s.caughtUp = true
	m := &messages.CaughtUp{Gen: s.gen}
	ctx.Send(s.router, m)
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

// noPartitions is the reader of a generation that owns no partition.
type noPartitions struct{}

func (noPartitions) Next(context.Context) (logsource.Line, error) { return logsource.Line{}, io.EOF }
func (noPartitions) Pointer(p int) messages.Pointer               { return messages.Pointer{Partition: p} }
func (noPartitions) Skipped() []error                             { return nil }
func (noPartitions) Close() error                                 { return nil }
