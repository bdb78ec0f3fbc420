package stream_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/stream"
)

func TestLinePartitionIsThePartitionOfTheDecodedVisitor(t *testing.T) {
	for _, vid := range []string{"v1", "", "é", "back\\slash", "tab\there", "x\u0100y"} {
		rec := messages.Record{Kind: messages.KindPixel, Timestamp: 1400000000, VID: vid, Site: 1}
		line := strings.TrimSuffix(messages.FormatLine(&rec), "\n")
		for _, n := range []int{1, 7, 64} {
			require.Equal(t, stream.Partition(vid, n), stream.LinePartition([]byte(line), n), "vid %q line %q", vid, line)
		}
	}
	// A line that does not parse still gets a partition: that of its raw fourth field.
	require.Equal(t, stream.Partition(`bad\q`, 64), stream.LinePartition([]byte("1\tpage\tx\tbad\\q\t1"), 64))
	require.Equal(t, stream.Partition("", 64), stream.LinePartition([]byte("garbage"), 64))
}

// The visitors of one partition spread over all shards of a process: the partition hash
// is independent of the shard hash.
func TestPartitionIsIndependentOfTheShardHash(t *testing.T) {
	const parts, shards, visitors = 64, 4, 64 * 4 * 200
	counts := make([][shards]int, parts)
	for i := range visitors {
		vid := fmt.Sprintf("visitor-%d", i)
		counts[stream.Partition(vid, parts)][actors.ShardOf(vid, shards)]++
	}
	for p, c := range counts {
		total := c[0] + c[1] + c[2] + c[3]
		for s, n := range c {
			// Each cell expects ~50 (total/4); a dependent hash would leave cells empty.
			require.Greater(t, n, total/8, "partition %d shard %d: %v", p, s, c)
		}
	}
}

func TestMsgIDNamesSourceStartAndPartition(t *testing.T) {
	id := stream.MsgID("web1/manhattan.log", messages.Pointer{File: 1362700800, Offset: 4096}, 7)
	require.Equal(t, "web1/manhattan.log/1362700800:4096/7", id)
	require.NotEqual(t, id, stream.MsgID("web1/manhattan.log", messages.Pointer{File: 1362700800, Offset: 4096}, 8))
}

func TestSplitterKeepsOrderWithinAPartition(t *testing.T) {
	s := stream.NewSplitter(3)
	var want [3][]byte
	for i := range 100 {
		rec := messages.Record{Kind: messages.KindPixel, Timestamp: int64(1400000000 + i), VID: fmt.Sprint("v", i%17), Site: 1}
		line := strings.TrimSuffix(messages.FormatLine(&rec), "\n")
		s.Add([]byte(line))
		p := stream.Partition(rec.VID, 3)
		want[p] = append(append(want[p], line...), '\n')
	}
	for p := range 3 {
		body, _ := s.Body(p)
		require.Equal(t, string(want[p]), string(body))
		var lines int
		for off := 0; ; {
			line, next, complete, ok := stream.NextLine(body, off)
			if !ok {
				break
			}
			require.True(t, complete)
			rec, err := messages.ParseLine(line)
			require.NoError(t, err)
			require.Equal(t, p, stream.Partition(rec.VID, 3))
			off = next
			lines++
		}
		_, n := s.Body(p)
		require.Equal(t, n, lines)
	}
	s.Reset()
	body, n := s.Body(0)
	require.Empty(t, body)
	require.Zero(t, n)
}

func TestNextLineReportsAnUnterminatedTail(t *testing.T) {
	body := []byte("a\nbc")
	line, next, complete, ok := stream.NextLine(body, 0)
	require.Equal(t, "a", string(line))
	require.True(t, complete && ok)
	line, next, complete, ok = stream.NextLine(body, next)
	require.Equal(t, "bc", string(line))
	require.True(t, ok)
	require.False(t, complete)
	_, _, _, ok = stream.NextLine(body, next)
	require.False(t, ok)
}
