package stream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
)

// Log is a Manhattan stream as a partitioned log for the ingest pipeline
// (logsource.Log): partition p is subject <prefix>.<p>, a position is a stream sequence
// and a byte offset inside that message's body.
type Log struct {
	js   jetstream.JetStream
	info Info
	url  string
	nc   *nats.Conn // owned, when made by Dial
}

// NewLog returns the stream of info, read through js, as a logsource.Log. url names the
// servers in String.
func NewLog(js jetstream.JetStream, info Info, url string) *Log {
	return &Log{js: js, info: info, url: url}
}

// Info returns what the stream's metadata says.
func (l *Log) Info() Info { return l.info }

func (l *Log) String() string { return fmt.Sprintf("%s stream %s", l.url, l.info.Name) }

// Partitions returns the stream's partition count.
func (l *Log) Partitions(context.Context) (int, error) { return l.info.Partitions, nil }

// Lag returns, for each pointer, how many stream sequences lie between it and the last
// message of its partition (0 when the partition is read to its end): a measure that
// grows with the backlog, in UnitMessages of the stream.
func (l *Log) Lag(ctx context.Context, at []messages.Pointer) ([]logsource.Lag, error) {
	s, err := l.js.Stream(ctx, l.info.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l, err)
	}
	lags := make([]logsource.Lag, 0, len(at))
	for _, p := range at {
		if err := l.checkPartition(p.Partition); err != nil {
			return nil, err
		}
		var behind int64
		m, err := s.GetLastMsgForSubject(ctx, l.info.Subject(p.Partition))
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
		case err != nil:
			return nil, fmt.Errorf("%s: %w", l, err)
		case int64(m.Sequence) > p.Seq():
			behind = int64(m.Sequence) - p.Seq()
		case int64(m.Sequence) == p.Seq() && p.Offset < int64(len(m.Data)):
			behind = 1
		}
		lags = append(lags, logsource.Lag{Partition: p.Partition, Behind: behind, Unit: logsource.UnitMessages})
	}
	return lags, nil
}

func (l *Log) checkPartition(p int) error {
	if p < 0 || p >= l.info.Partitions {
		return fmt.Errorf("%s: no partition %d (the stream has %d)", l, p, l.info.Partitions)
	}
	return nil
}

// partitionOf returns the partition of a subject of the stream.
func (l *Log) partitionOf(subject string) (int, bool) {
	s, ok := strings.CutPrefix(subject, l.info.Prefix+".")
	if !ok {
		return 0, false
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p >= l.info.Partitions || strconv.Itoa(p) != s {
		return 0, false
	}
	return p, true
}

// Dial connects to the NATS servers of urls (comma-separated), opens the Manhattan stream
// name with the caller's partition count (0: the stream's; another is refused, see Open)
// and returns it as a Log that owns the connection: Close it when done. The connection
// reconnects for ever, so a reader waits out a broker outage.
func Dial(ctx context.Context, urls, name string, partitions int, opts ...nats.Option) (*Log, error) {
	opts = append([]nats.Option{nats.Name("manhattan ingest"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(500 * time.Millisecond)}, opts...)
	nc, err := nats.Connect(urls, opts...)
	if err != nil {
		return nil, fmt.Errorf("stream: connect to %s: %w", urls, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("stream: %w", err)
	}
	info, err := Open(ctx, js, name, partitions)
	if err != nil {
		nc.Close()
		return nil, err
	}
	l := NewLog(js, info, urls)
	l.nc = nc
	return l, nil
}

// Close closes the connection of a Log made by Dial; it does nothing for one made by
// NewLog.
func (l *Log) Close() {
	if l.nc != nil {
		l.nc.Close()
	}
}
