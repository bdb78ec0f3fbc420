package actors

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/messages"
)

// TestLineBatchParsesLikeParseLineInOrder checks the source's parallel parse against
// ParseLine, one line at a time: the same records and dead letters, in log order.
func TestLineBatchParsesLikeParseLineInOrder(t *testing.T) {
	recs := loggen.Records(loggen.Options{Seed: 3, Records: 3000})
	for _, n := range []int{0, 1, 100, 3000} { // one goroutine, and several
		t.Run(fmt.Sprint(n), func(t *testing.T) {
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
			b.parse(func(r messages.Record) { got = append(got, outcome{rec: &r}) },
				func(dl messages.DeadLetter) { got = append(got, outcome{dl: &dl}) })
			require.Equal(t, want, got)
		})
	}
}
