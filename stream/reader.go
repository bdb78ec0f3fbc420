package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
)

// nextWait is how long Next waits for a message already on its way before it reports
// io.EOF (nothing available now).
const nextWait = 50 * time.Millisecond

// maxDeadRaw bounds the raw bytes a dead letter keeps of a bad part of a message.
const maxDeadRaw = 4096

// stallAfter is how long a Reader waits for the next message while its consumer says
// more are pending before it replaces the consumer. After a node of a cluster dies, an
// ordered consumer can be left with no pull request the broker knows of while the client
// waits for the one it sent: nothing arrives until the broker drops the idle consumer
// (its inactivity threshold, 5 minutes).
var stallAfter = 5 * time.Second

// Open returns a Reader of the partitions of from, each resuming just past its pointer.
// One ordered consumer reads the partitions' subjects in stream order from the oldest
// pointer; messages (or their starts) a partition has consumed already are skipped. A
// pointer whose message is no longer in the stream (expired, deleted) or does not belong
// to its partition wraps logsource.ErrPointerNotInLog, unless opts.SkipMissing: then the
// Reader goes on after it and reports it in Skipped.
func (l *Log) Open(ctx context.Context, from []messages.Pointer, opts logsource.Options) (logsource.Reader, error) {
	if len(from) == 0 {
		return nil, fmt.Errorf("%s: no partition to read", l)
	}
	s, err := l.js.Stream(ctx, l.info.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l, err)
	}
	r := &reader{log: l, follow: opts.Follow, ptrs: make(map[int]messages.Pointer, len(from))}
	for _, p := range from {
		if err := l.checkPartition(p.Partition); err != nil {
			return nil, err
		}
		if _, dup := r.ptrs[p.Partition]; dup {
			return nil, fmt.Errorf("%s: partition %d asked for twice", l, p.Partition)
		}
		if err := r.checkPointer(ctx, s, p, opts.SkipMissing); err != nil {
			return nil, err
		}
		r.ptrs[p.Partition] = p
	}
	if err := r.subscribe(ctx, s); err != nil {
		return nil, err
	}
	return r, nil
}

// subscribe starts an ordered consumer of the Reader's subjects at the oldest message a
// partition has not read to its end.
func (r *reader) subscribe(ctx context.Context, s jetstream.Stream) error {
	l := r.log
	start := uint64(0)
	var subjects []string
	for p, ptr := range r.ptrs {
		subjects = append(subjects, l.info.Subject(p))
		if seq := uint64(max(ptr.Seq(), 1)); start == 0 || seq < start {
			start = seq
		}
	}
	if len(subjects) == l.info.Partitions {
		subjects = []string{l.info.Prefix + ".*"}
	}
	slices.Sort(subjects)
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: subjects,
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    start,
	})
	if err != nil {
		return fmt.Errorf("%s: %w", l, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(256))
	if err != nil {
		return fmt.Errorf("%s: %w", l, err)
	}
	r.cons, r.it, r.lastConsumer, r.lastDelivery = cons, it, "", 0
	return nil
}

// resubscribe replaces a consumer the broker lost (its node died, it was removed) by a
// new one from the Reader's pointers.
func (r *reader) resubscribe(ctx context.Context) error {
	r.it.Stop()
	s, err := r.log.js.Stream(ctx, r.log.info.Name)
	if err == nil {
		err = r.subscribe(ctx, s)
	}
	return err
}

// reader reads the messages of some partitions in stream order and returns their lines.
type reader struct {
	log    *Log
	follow bool
	cons   jetstream.Consumer
	it     jetstream.MessagesContext
	// The consumer and its delivery sequence of the last message received: the
	// Reader is caught up when the consumer has delivered no more than that.
	lastConsumer string
	lastDelivery uint64
	// waitingSince is when Next began to find no message while more were pending (zero
	// when a message arrived since, or the Reader is caught up).
	waitingSince time.Time
	ptrs         map[int]messages.Pointer // just past the last line returned, per partition
	skipped      []error
	closed       bool

	body []byte // the current message's body
	part int    // its partition
	seq  int64  // its stream sequence
	off  int    // the offset of its next line
}

// checkPointer makes sure the message a pointer points into is still in the stream and
// belongs to the pointer's partition.
func (r *reader) checkPointer(ctx context.Context, s jetstream.Stream, p messages.Pointer, skip bool) error {
	if p.Seq() <= 0 {
		return nil
	}
	m, err := s.GetMsg(ctx, uint64(p.Seq()))
	var problem string
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		problem = fmt.Sprintf("message %d is no longer in the stream (expired or deleted): what partition %d held after it and before the stream's first message may be lost", p.Seq(), p.Partition)
	case err != nil:
		return fmt.Errorf("%s: pointer %v: %w", r.log, p, err)
	case m.Subject != r.log.info.Subject(p.Partition):
		return fmt.Errorf("%s: pointer %v: %w: message %d is on subject %s, not %s", r.log, p, logsource.ErrPointerNotInLog, p.Seq(), m.Subject, r.log.info.Subject(p.Partition))
	case p.Offset > int64(len(m.Data)):
		return fmt.Errorf("%s: pointer %v: %w: message %d has %d bytes", r.log, p, logsource.ErrPointerNotInLog, p.Seq(), len(m.Data))
	default:
		return nil
	}
	err = fmt.Errorf("%s: pointer %v: %w: %s", r.log, p, logsource.ErrPointerNotInLog, problem)
	if !skip {
		return err
	}
	r.skipped = append(r.skipped, err)
	return nil
}

// Next returns the next line of the Reader's partitions in stream order: io.EOF when no
// message is available now, a *logsource.BadLineError for an unterminated end of a
// message or a line whose visitor belongs to another partition.
func (r *reader) Next(ctx context.Context) (logsource.Line, error) {
	if r.closed {
		return logsource.Line{}, errors.New("stream: reader closed")
	}
	for {
		if line, next, complete, ok := NextLine(r.body, r.off); ok {
			r.off = next
			ptr := messages.StreamPointer(r.part, r.seq, int64(next))
			r.ptrs[r.part] = ptr
			if !complete {
				return logsource.Line{}, r.bad(line, ptr, fmt.Sprintf("message %d of partition %d does not end with a line end", r.seq, r.part))
			}
			if q := LinePartition(line, r.log.info.Partitions); q != r.part {
				return logsource.Line{}, r.bad(line, ptr, fmt.Sprintf("a line of partition %d in partition %d (message %d): its shipper uses another partition count or hash", q, r.part, r.seq))
			}
			return logsource.Line{Raw: line, Ptr: ptr}, nil
		}
		r.body = nil
		if err := ctx.Err(); err != nil {
			return logsource.Line{}, err
		}
		m, err := r.it.Next(jetstream.NextMaxWait(nextWait))
		if errors.Is(err, nats.ErrTimeout) {
			if err := r.caughtUp(ctx); err != nil {
				return logsource.Line{}, err
			}
			continue
		}
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			if err := r.resubscribe(ctx); err != nil {
				if r.follow {
					return logsource.Line{}, io.EOF
				}
				return logsource.Line{}, fmt.Errorf("%s: %w", r.log, err)
			}
			continue
		}
		if err != nil {
			return logsource.Line{}, fmt.Errorf("%s: %w", r.log, err)
		}
		if err := r.take(m); err != nil {
			return logsource.Line{}, err
		}
	}
}

// caughtUp returns io.EOF when the consumer has no message of the Reader's partitions
// left to deliver and every message it delivered was received, and nil when more is on
// its way. When the broker cannot tell (it is away), a following Reader reports
// io.EOF (nothing is available now) and a batch one the error.
func (r *reader) caughtUp(ctx context.Context) error {
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := r.cons.Info(ictx)
	switch {
	case errors.Is(err, jetstream.ErrOrderedConsumerNotCreated):
		return nil // being recreated after a reset
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		// The consumer was lost with its node (ordered consumers keep no replicas):
		// a missed heartbeat is never noticed between short waits, so start anew.
		if err := r.resubscribe(ictx); err != nil {
			if r.follow {
				return io.EOF
			}
			return err
		}
		return nil
	case err != nil && r.follow:
		return io.EOF
	case err != nil:
		return fmt.Errorf("%s: %w", r.log, err)
	case info.NumPending == 0 && (info.Delivered.Consumer == 0 ||
		info.Name == r.lastConsumer && info.Delivered.Consumer <= r.lastDelivery):
		r.waitingSince = time.Time{}
		return io.EOF
	}
	// More is pending: on its way, or stalled.
	switch {
	case r.waitingSince.IsZero():
		r.waitingSince = time.Now()
	case time.Since(r.waitingSince) > stallAfter:
		r.waitingSince = time.Time{}
		if err := r.resubscribe(ictx); err != nil && !r.follow {
			return err
		}
	}
	return nil
}

// take makes m the current message, from where its partition's pointer says, or skips it
// if the partition has consumed it already.
func (r *reader) take(m jetstream.Msg) error {
	md, err := m.Metadata()
	if err != nil {
		return fmt.Errorf("%s: %w", r.log, err)
	}
	r.lastConsumer, r.lastDelivery = md.Consumer, md.Sequence.Consumer
	r.waitingSince = time.Time{}
	p, ok := r.log.partitionOf(m.Subject())
	if !ok {
		return nil // not a subject of ours: the filter lets none through
	}
	ptr, ok := r.ptrs[p]
	if !ok {
		return nil
	}
	seq := int64(md.Sequence.Stream)
	switch {
	case seq < ptr.Seq():
		return nil
	case seq == ptr.Seq():
		r.off = int(ptr.Offset)
	default:
		r.off = 0
	}
	r.body, r.part, r.seq = m.Data(), p, seq
	return nil
}

func (r *reader) bad(raw []byte, ptr messages.Pointer, reason string) error {
	if len(raw) > maxDeadRaw {
		raw = raw[:maxDeadRaw]
	}
	return &logsource.BadLineError{DeadLetter: messages.DeadLetter{Raw: string(raw), Ptr: ptr, Reason: reason}}
}

// Pointer returns the pointer just past the last line of partition returned, or the one
// the Reader was opened at.
func (r *reader) Pointer(partition int) messages.Pointer { return r.ptrs[partition] }

func (r *reader) Skipped() []error { return r.skipped }

func (r *reader) Close() error {
	if !r.closed {
		r.closed = true
		r.it.Stop()
	}
	return nil
}
