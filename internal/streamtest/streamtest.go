// Package streamtest compares what a JetStream event log stream holds with the local logs
// that were shipped into it. It is test support, not a product feature.
//
// Invariants: it only reads (an ordered consumer over the stream, a Reader over the
// files) and splits the local lines by stream.LinePartition, the rule the shipper uses,
// so that comparing the two shows any line lost, doubled, misplaced or out of order.
package streamtest

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/stream"
)

// Partitions returns the stream's lines per partition, in stream order, each with its
// "\n", and the number of messages.
func Partitions(t testing.TB, js jetstream.JetStream, info stream.Info) (lines []string, msgs int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := js.Stream(ctx, info.Name)
	require.NoError(t, err)
	si, err := s.Info(ctx)
	require.NoError(t, err)
	out := make([][]byte, info.Partitions)
	if si.State.Msgs > 0 {
		cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
		require.NoError(t, err)
		it, err := cons.Messages()
		require.NoError(t, err)
		defer it.Stop()
		for {
			m, err := it.Next()
			require.NoError(t, err)
			md, err := m.Metadata()
			require.NoError(t, err)
			p := -1
			for q := range info.Partitions {
				if m.Subject() == info.Subject(q) {
					p = q
				}
			}
			require.GreaterOrEqual(t, p, 0, "subject %s", m.Subject())
			out[p] = append(out[p], m.Data()...)
			msgs++
			if md.Sequence.Stream >= si.State.LastSeq {
				break
			}
		}
	}
	lines = make([]string, info.Partitions)
	for p := range out {
		lines[p] = string(out[p])
	}
	return lines, msgs
}

// LogPartitions returns the lines of the local log base per partition of n, in log order,
// each with its "\n".
func LogPartitions(t testing.TB, base string, n int) []string {
	t.Helper()
	out := make([][]byte, n)
	r, err := eventlog.OpenReader(base, messages.Pointer{}, eventlog.Options{})
	require.NoError(t, err)
	defer r.Close()
	for {
		line, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		p := stream.LinePartition(line.Raw, n)
		out[p] = append(append(out[p], line.Raw...), '\n')
	}
	lines := make([]string, n)
	for p := range out {
		lines[p] = string(out[p])
	}
	return lines
}
