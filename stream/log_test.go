package stream_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/stream"
)

// pixel returns a line of visitor vid (without its "\n").
func pixel(vid string, ts int64) string {
	r := messages.Record{Kind: messages.KindPixel, Timestamp: ts, VID: vid, Site: 1}
	return strings.TrimSuffix(messages.FormatLine(&r), "\n")
}

// vidOf returns a visitor id of partition p of n.
func vidOf(p, n, i int) string {
	for j := 0; ; j++ {
		if vid := fmt.Sprintf("v%d-%d", i, j); stream.Partition(vid, n) == p {
			return vid
		}
	}
}

type readLine struct {
	raw  string
	ptr  messages.Pointer
	dead string // the dead letter's reason, for a bad part
}

// readAll reads r until io.EOF.
func readAll(t *testing.T, r logsource.Reader) []readLine {
	t.Helper()
	var out []readLine
	for {
		l, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if dl, ok := logsource.AsBadLine(err); ok {
			out = append(out, readLine{raw: dl.Raw, ptr: dl.Ptr, dead: dl.Reason})
			continue
		}
		require.NoError(t, err)
		out = append(out, readLine{raw: string(l.Raw), ptr: l.Ptr})
	}
}

func newLog(t *testing.T, partitions int) (*stream.Log, jetstream.JetStream, *natstest.Server) {
	t.Helper()
	srv := natstest.Start(t)
	_, js := srv.Connect()
	info, err := stream.Create(context.Background(), js, stream.Config{Name: "LOG", Partitions: partitions})
	require.NoError(t, err)
	return stream.NewLog(js, info, srv.URL()), js, srv
}

func publish(t *testing.T, js jetstream.JetStream, log *stream.Log, p int, body string) uint64 {
	t.Helper()
	ack, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: log.Info().Subject(p), Data: []byte(body)})
	require.NoError(t, err)
	return ack.Sequence
}

func TestReaderReturnsEachLineOnceInStreamOrderAndResumes(t *testing.T) {
	log, js, _ := newLog(t, 3)
	a0, b0 := pixel(vidOf(0, 3, 1), 10), pixel(vidOf(0, 3, 2), 11)
	a1, a2 := pixel(vidOf(1, 3, 1), 12), pixel(vidOf(2, 3, 1), 13)
	s1 := publish(t, js, log, 0, a0+"\n"+b0+"\n")
	s2 := publish(t, js, log, 1, a1+"\n")
	s3 := publish(t, js, log, 2, a2+"\n")
	s4 := publish(t, js, log, 0, b0+"\n")
	off := int64(len(a0) + 1)

	r, err := log.Open(context.Background(), []messages.Pointer{{Partition: 0}, {Partition: 2}}, logsource.Options{})
	require.NoError(t, err)
	got := readAll(t, r)
	require.Equal(t, []readLine{
		{raw: a0, ptr: messages.StreamPointer(0, int64(s1), off)},
		{raw: b0, ptr: messages.StreamPointer(0, int64(s1), 2*off)},
		{raw: a2, ptr: messages.StreamPointer(2, int64(s3), int64(len(a2)+1))},
		{raw: b0, ptr: messages.StreamPointer(0, int64(s4), off)},
	}, got)
	require.Equal(t, got[2].ptr, r.Pointer(2))
	require.Equal(t, got[3].ptr, r.Pointer(0))
	require.NoError(t, r.Close())

	// Resume inside a message, at the end of one, and at the start of a partition.
	r, err = log.Open(context.Background(), []messages.Pointer{
		messages.StreamPointer(0, int64(s1), off), messages.StreamPointer(1, 0, 0), got[2].ptr,
	}, logsource.Options{})
	require.NoError(t, err)
	require.Equal(t, []readLine{
		{raw: b0, ptr: messages.StreamPointer(0, int64(s1), 2*off)},
		{raw: a1, ptr: messages.StreamPointer(1, int64(s2), int64(len(a1)+1))},
		{raw: b0, ptr: messages.StreamPointer(0, int64(s4), off)},
	}, readAll(t, r))
	require.Equal(t, got[2].ptr, r.Pointer(2), "a partition with nothing new keeps its pointer")

	// At the end of every partition there is nothing to read.
	end, err := log.Open(context.Background(), []messages.Pointer{got[3].ptr, got[2].ptr}, logsource.Options{})
	require.NoError(t, err)
	require.Empty(t, readAll(t, end))
	require.NoError(t, end.Close())

	// What arrives later is read by the same Reader after io.EOF.
	s5 := publish(t, js, log, 2, a2+"\n")
	require.Eventually(t, func() bool {
		l, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return false
		}
		require.NoError(t, err)
		require.Equal(t, messages.StreamPointer(2, int64(s5), int64(len(a2)+1)), l.Ptr)
		return true
	}, 10*time.Second, time.Millisecond)
	require.NoError(t, r.Close())
}

func TestReaderDeadLettersBadPartsAndGoesOn(t *testing.T) {
	log, js, _ := newLog(t, 2)
	good, other := pixel(vidOf(0, 2, 1), 10), pixel(vidOf(1, 2, 1), 11)
	s1 := publish(t, js, log, 0, good+"\n"+other+"\n"+good+"\n"+"cut off")
	s2 := publish(t, js, log, 0, "\x00\xff garbage\n"+good+"\n")
	r, err := log.Open(context.Background(), []messages.Pointer{{Partition: 0}}, logsource.Options{})
	require.NoError(t, err)
	got := readAll(t, r)
	require.Len(t, got, 6)
	n := int64(len(good) + 1)
	require.Equal(t, readLine{raw: good, ptr: messages.StreamPointer(0, int64(s1), n)}, got[0])
	require.Equal(t, other, got[1].raw)
	require.Contains(t, got[1].dead, "a line of partition 1 in partition 0")
	require.Equal(t, good, got[2].raw)
	require.Empty(t, got[2].dead)
	require.Equal(t, "cut off", got[3].raw)
	require.Contains(t, got[3].dead, "does not end with a line end")
	require.Equal(t, messages.StreamPointer(0, int64(s1), 3*n+int64(len("cut off"))), got[3].ptr)
	// An undecodable line travels to the caller, which dead-letters it when it does not
	// parse; its neighbour is read.
	require.Equal(t, "\x00\xff garbage", got[4].raw)
	require.Equal(t, readLine{raw: good, ptr: messages.StreamPointer(0, int64(s2), int64(len("\x00\xff garbage\n"))+n)}, got[5])
}

func TestReaderRefusesAPointerWhoseMessageIsGone(t *testing.T) {
	log, js, _ := newLog(t, 2)
	line := pixel(vidOf(1, 2, 1), 10)
	s1 := publish(t, js, log, 1, line+"\n")
	s2 := publish(t, js, log, 1, line+"\n")
	s, err := js.Stream(context.Background(), "LOG")
	require.NoError(t, err)
	require.NoError(t, s.DeleteMsg(context.Background(), s1))

	at := []messages.Pointer{messages.StreamPointer(1, int64(s1), int64(len(line)+1))}
	_, err = log.Open(context.Background(), at, logsource.Options{})
	require.ErrorIs(t, err, logsource.ErrPointerNotInLog)
	require.ErrorContains(t, err, "no longer in the stream")

	r, err := log.Open(context.Background(), at, logsource.Options{SkipMissing: true})
	require.NoError(t, err)
	require.Len(t, r.Skipped(), 1)
	require.Equal(t, []readLine{{raw: line, ptr: messages.StreamPointer(1, int64(s2), int64(len(line)+1))}}, readAll(t, r))

	// A pointer into a message of another partition, or beyond a message's end.
	_, err = log.Open(context.Background(), []messages.Pointer{messages.StreamPointer(0, int64(s2), 0)}, logsource.Options{})
	require.ErrorIs(t, err, logsource.ErrPointerNotInLog)
	_, err = log.Open(context.Background(), []messages.Pointer{messages.StreamPointer(1, int64(s2), 999)}, logsource.Options{})
	require.ErrorIs(t, err, logsource.ErrPointerNotInLog)
	_, err = log.Open(context.Background(), []messages.Pointer{{Partition: 2}}, logsource.Options{})
	require.ErrorContains(t, err, "no partition 2")
}

func TestLagCountsStreamSequencesBehindEachPartition(t *testing.T) {
	log, js, _ := newLog(t, 2)
	line := pixel(vidOf(0, 2, 1), 10)
	publish(t, js, log, 0, line+"\n")
	publish(t, js, log, 1, pixel(vidOf(1, 2, 1), 10)+"\n")
	s3 := publish(t, js, log, 0, line+"\n")
	lags, err := log.Lag(context.Background(), []messages.Pointer{
		{Partition: 0}, messages.StreamPointer(1, 2, int64(len(line)+1)),
	})
	require.NoError(t, err)
	require.Equal(t, []logsource.Lag{{Partition: 0, Behind: int64(s3), Unit: logsource.UnitMessages}, {Partition: 1, Unit: logsource.UnitMessages}}, lags)
	lags, err = log.Lag(context.Background(), []messages.Pointer{messages.StreamPointer(0, int64(s3), int64(len(line)+1))})
	require.NoError(t, err)
	require.Zero(t, lags[0].Behind)
}

// A consumer lost by the broker (its node died) is replaced from the Reader's pointers:
// reading goes on with nothing lost or read twice.
func TestReaderReplacesALostConsumer(t *testing.T) {
	log, js, _ := newLog(t, 2)
	line := pixel(vidOf(1, 2, 1), 10)
	s1 := publish(t, js, log, 1, line+"\n"+line+"\n")
	r, err := log.Open(context.Background(), []messages.Pointer{{Partition: 1}}, logsource.Options{Follow: true})
	require.NoError(t, err)
	l, err := r.Next(context.Background())
	require.NoError(t, err)
	n := int64(len(line) + 1)
	require.Equal(t, messages.StreamPointer(1, int64(s1), n), l.Ptr)

	s, err := js.Stream(context.Background(), "LOG")
	require.NoError(t, err)
	names := s.ConsumerNames(context.Background())
	for name := range names.Name() {
		require.NoError(t, s.DeleteConsumer(context.Background(), name))
	}
	require.NoError(t, names.Err())
	s2 := publish(t, js, log, 1, line+"\n")

	var got []messages.Pointer
	require.Eventually(t, func() bool {
		l, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return false
		}
		require.NoError(t, err)
		got = append(got, l.Ptr)
		return len(got) == 2
	}, 30*time.Second, time.Millisecond)
	require.Equal(t, []messages.Pointer{messages.StreamPointer(1, int64(s1), 2*n), messages.StreamPointer(1, int64(s2), n)}, got)
	require.NoError(t, r.Close())
}

// A consumer that stops delivering while it says messages are pending (as one left
// without a pull request after its node died) is replaced from the Reader's pointers:
// reading goes on with nothing lost or read twice, without waiting for the broker to
// drop the idle consumer.
func TestReaderReplacesAStalledConsumer(t *testing.T) {
	stream.SetStallAfter(t, 50*time.Millisecond)
	log, js, _ := newLog(t, 2)
	line := pixel(vidOf(0, 2, 1), 10)
	n := int64(len(line) + 1)
	s1 := publish(t, js, log, 0, line+"\n")
	r, err := log.Open(context.Background(), []messages.Pointer{{Partition: 0}}, logsource.Options{Follow: true})
	require.NoError(t, err)
	require.Equal(t, []readLine{{raw: line, ptr: messages.StreamPointer(0, int64(s1), n)}}, readAll(t, r))

	s, err := js.Stream(context.Background(), "LOG")
	require.NoError(t, err)
	names := s.ConsumerNames(context.Background())
	paused := 0
	for name := range names.Name() {
		_, err := js.PauseConsumer(context.Background(), "LOG", name, time.Now().Add(time.Hour))
		require.NoError(t, err)
		paused++
	}
	require.NoError(t, names.Err())
	require.Equal(t, 1, paused)
	s2 := publish(t, js, log, 0, line+"\n"+line+"\n")

	var got []messages.Pointer
	require.Eventually(t, func() bool {
		l, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return false
		}
		require.NoError(t, err)
		got = append(got, l.Ptr)
		return len(got) == 2
	}, 30*time.Second, time.Millisecond)
	require.Equal(t, []messages.Pointer{messages.StreamPointer(0, int64(s2), n), messages.StreamPointer(0, int64(s2), 2*n)}, got)
	require.NoError(t, r.Close())
}
