package stream_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/stream"
)

func TestCreateRecordsThePartitionCountAndOpenChecksIt(t *testing.T) {
	ctx := context.Background()
	_, js := natstest.Start(t).Connect()
	info, err := stream.Create(ctx, js, stream.Config{Name: "LOG", Partitions: 8})
	require.NoError(t, err)
	require.Equal(t, stream.Info{Name: "LOG", Prefix: stream.DefaultPrefix, Partitions: 8, Duplicates: stream.DefaultDuplicates}, info)
	require.Equal(t, "manhattan.log.5", info.Subject(5))

	// Creating it again with the same count is fine; with another count it is refused.
	_, err = stream.Create(ctx, js, stream.Config{Name: "LOG", Partitions: 8})
	require.NoError(t, err)
	_, err = stream.Create(ctx, js, stream.Config{Name: "LOG", Partitions: 16})
	require.ErrorIs(t, err, stream.ErrPartitionMismatch)
	require.ErrorContains(t, err, "stream LOG has 8 partitions, this process is configured for 16")

	got, err := stream.Open(ctx, js, "LOG", 0)
	require.NoError(t, err)
	require.Equal(t, 8, got.Partitions)
	_, err = stream.Open(ctx, js, "LOG", 64)
	require.ErrorIs(t, err, stream.ErrPartitionMismatch)

	// A stream that was not made by Create is refused.
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"other.>"}})
	require.NoError(t, err)
	_, err = stream.Open(ctx, js, "OTHER", 0)
	require.ErrorIs(t, err, stream.ErrNotManhattan)
	_, err = stream.Open(ctx, js, "MISSING", 0)
	require.ErrorIs(t, err, jetstream.ErrStreamNotFound)
}

func TestDumpWritesTheLinesInStreamOrderAsAnHourlyLog(t *testing.T) {
	ctx := context.Background()
	_, js := natstest.Start(t).Connect()
	info, err := stream.Create(ctx, js, stream.Config{Name: "LOG", Partitions: 4})
	require.NoError(t, err)
	const h = 1362700800
	line := func(ts int64, vid string) string {
		r := messages.Record{Kind: messages.KindPixel, Timestamp: ts, VID: vid, Site: 1}
		return strings.TrimSuffix(messages.FormatLine(&r), "\n")
	}
	// Stream order: hour h, then h+1, then a late line of hour h (stays in h+1's file),
	// then a bad line (stays too), then hour h+2.
	bodies := []string{
		line(h+5, "a") + "\n" + line(h+6, "a") + "\n",
		line(h+3600, "b") + "\n",
		line(h+10, "c") + "\n" + "not a line\n",
		line(h+7200, "d") + "\n",
	}
	for i, b := range bodies {
		_, err := js.PublishMsg(ctx, &nats.Msg{Subject: info.Subject(i % 4), Data: []byte(b)})
		require.NoError(t, err)
	}
	base := filepath.Join(t.TempDir(), "dump.log")
	st, err := stream.Dump(ctx, js, info, base)
	require.NoError(t, err)
	require.Equal(t, stream.DumpStats{Messages: 4, Lines: 6, Files: 3, LastSeq: 4}, st)
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	require.Equal(t, []int64{h, h + 3600, h + 7200}, hours)
	read := func(hour int64) string {
		b, err := os.ReadFile(eventlog.Path(base, hour))
		require.NoError(t, err)
		return string(b)
	}
	require.Equal(t, bodies[0], read(h))
	require.Equal(t, bodies[1]+bodies[2], read(h+3600))
	require.Equal(t, bodies[3], read(h+7200))

	// An empty stream dumps to nothing; an existing file is not overwritten.
	_, err = stream.Dump(ctx, js, info, base)
	require.Error(t, err)
	empty, err := stream.Create(ctx, js, stream.Config{Name: "EMPTY", Prefix: "empty", Partitions: 2, MaxAge: 10 * time.Minute})
	require.NoError(t, err)
	require.Equal(t, 10*time.Minute, empty.Duplicates, "the duplicate window is at most the max age")
	st, err = stream.Dump(ctx, js, empty, filepath.Join(t.TempDir(), "x"))
	require.NoError(t, err)
	require.Zero(t, st.Lines)
}
