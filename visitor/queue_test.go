package visitor

import (
	"fmt"
	"math"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/messages"
)

func TestHeldQueueKeepsTheNewestRecordsExactly(t *testing.T) {
	var q heldQueue
	var all []queued
	for i := range 3*MaxQueue + 11 {
		// Distinct strings on every record: the string table is rebuilt on the way.
		var r messages.Record
		switch i % 3 {
		case 0:
			r = messages.Record{Kind: messages.KindPage, IP: fmt.Sprintf("10.0.%d.%d", i/256, i%256), UserAgent: "agent " + fmt.Sprint(i)}
		case 1:
			r = messages.Record{Kind: messages.KindGoal, Goal: "g" + fmt.Sprint(i), ValueType: "A", ValueFormat: "C",
				Value: decimal.New(int64(i)*1000-7, -3), HasValue: i%2 == 0}
		case 2:
			r = messages.Record{Kind: messages.KindSplit, Test: "t" + fmt.Sprint(i), Population: "B"}
		}
		r.Timestamp, r.Site = int64(i)*17-5, int64(i%3)
		r.Ptr = messages.Pointer{Partition: i % 2, File: int64(i / 10), Offset: int64(i) * 100, Check: uint32(i) * 7919}
		if i == 5 { // the extremes of every number
			r.Timestamp, r.Site = math.MinInt64, math.MaxInt64
			r.Ptr = messages.Pointer{Partition: math.MaxInt32, File: math.MaxInt64, Offset: math.MinInt64, Check: math.MaxUint32}
		}
		q.push(&r, nil)
		all = append(all, queueRecord(&r))
		require.LessOrEqual(t, q.strs.len(), maxHeldStrings)
		want := all[max(0, len(all)-MaxQueue):]
		if i%97 == 0 || i < 10 || i >= 3*MaxQueue {
			got := q.records()
			require.Equal(t, len(want), q.len())
			require.Equal(t, len(want), len(got))
			for j := range want {
				w, g := want[j], got[j]
				require.True(t, w.value.Equal(g.value), "record %d value", j)
				if w.value.Sign() != 0 {
					require.Equal(t, w.value.Exponent(), g.value.Exponent())
				}
				w.value, g.value = decimal.Decimal{}, decimal.Decimal{}
				require.Equal(t, w, g, "record %d of %d", j, i)
			}
		}
	}
	require.Len(t, q.records(), MaxQueue)
	var none *heldQueue // a history without held records has no queue
	require.Zero(t, none.len())
	require.Empty(t, none.records())
}
