package actors

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/messages"
)

// TestLineBatchParsesLikeParseLineInOrder checks the source's parallel parse against
// ParseLine, one line at a time: the same records and dead letters, in log order, every
// record in the part of the shard of its visitor with the hash of its id, the records of
// each part in log order.
func TestLineBatchParsesLikeParseLineInOrder(t *testing.T) {
	recs := loggen.Records(loggen.Options{Seed: 3, Records: 3000})
	for _, c := range []struct{ lines, shards int }{{0, 1}, {1, 1}, {100, 3}, {3000, 1}, {3000, 4}} { // one goroutine, and several
		n := c.lines
		t.Run(fmt.Sprint(c.lines, "x", c.shards), func(t *testing.T) {
			var b lineBatch
			type outcome struct {
				rec *messages.Record
				dl  *messages.DeadLetter
			}
			var want, got []outcome
			for i := range n {
				ptr := messages.Pointer{File: 1, Offset: int64(i + 1)}
				switch {
				case i%97 == 5: // a dead letter of the reader
					dl := messages.DeadLetter{Raw: "cut", Ptr: ptr, Reason: "truncated"}
					b.addDeadLetter(dl)
					want = append(want, outcome{dl: &dl})
					continue
				case i%89 == 7: // a line that does not parse
					b.addLine([]byte("1\tnonsense"), ptr)
				case i%211 == 9: // an empty line
					b.addLine(nil, ptr)
				default:
					line := messages.AppendLine(nil, &recs[i])
					b.addLine(line[:len(line)-1], ptr)
				}
				it := b.items[len(b.items)-1]
				raw := b.buf[it.start:it.end]
				rec, err := messages.ParseLine(raw)
				if err != nil {
					want = append(want, outcome{dl: &messages.DeadLetter{Raw: string(raw), Ptr: ptr, Reason: err.Error()}})
					continue
				}
				rec.Ptr = ptr
				want = append(want, outcome{rec: &rec})
			}
			parts := make([]*messages.ShardBatch, c.shards)
			var ptrs []messages.Pointer
			b.parse(parts, newPartPool(2048, c.shards), func(ptr messages.Pointer) {
				ptrs = append(ptrs, ptr)
				got = append(got, outcome{})
			}, func(dl messages.DeadLetter) { got = append(got, outcome{dl: &dl}) })
			byPtr := map[messages.Pointer]*messages.Record{}
			for k, p := range parts {
				require.Len(t, p.Hashes, len(p.Records))
				for i := range p.Records {
					r := &p.Records[i]
					require.Equal(t, vidHash(r.VID), p.Hashes[i])
					require.Equal(t, k, ShardOf(r.VID, c.shards), "record %v in part %d", r.Ptr, k)
					if i > 0 {
						require.Less(t, p.Records[i-1].Ptr.Offset, r.Ptr.Offset, "part %d out of log order", k)
					}
					byPtr[r.Ptr] = r
				}
			}
			require.Len(t, byPtr, len(ptrs))
			j := 0
			for i := range got {
				if got[i].dl == nil {
					got[i].rec = byPtr[ptrs[j]]
					j++
				}
			}
			require.Equal(t, want, got)
		})
	}
}
