package visitor_test

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// applyEach applies recs one by one with Apply, each visitor with its own history.
func applyEach(rules *visitor.Rules, recs []messages.Record) *messages.Deltas {
	histories := map[string]*visitor.History{}
	d := messages.NewDeltas()
	for i := range recs {
		h := histories[recs[i].VID]
		if h == nil {
			h = visitor.NewHistory()
			histories[recs[i].VID] = h
		}
		rules.Apply(h, &recs[i], d)
	}
	return d
}

func TestCountsFlushEqualsApply(t *testing.T) {
	recs := loggen.Records(loggen.Options{Seed: 11, Records: 30_000, Visitors: 2_000, Days: 3})
	for i := range recs {
		recs[i].Ptr = messages.Pointer{File: 1, Offset: int64(i + 1)}
	}
	requireCountsFlushEqualsApply(t, recs, 7_001)
}

// TestCountsFlushEqualsApplyWithManyNames is TestCountsFlushEqualsApply with hundreds of
// goals and variants: more than the counters' dense indexes hold, so that some of them
// are found in their maps.
func TestCountsFlushEqualsApplyWithManyNames(t *testing.T) {
	var recs []messages.Record
	ts := int64(1_700_000_000)
	for i := range 6_000 {
		v := i % 97
		r := messages.Record{VID: fmt.Sprintf("v%d", v), Timestamp: ts + int64(i)*31, Site: int64(1 + v%3)}
		switch i % 5 {
		case 0:
			r.Kind, r.IP, r.UserAgent = messages.KindPage, "10.0.0.1", "Mozilla/5.0 Chrome/1"
		case 1:
			r.Kind = messages.KindPixel
		case 2:
			r.Kind, r.Test, r.Population = messages.KindSplit, fmt.Sprintf("test %d", (i/5*11)%300), fmt.Sprint(i%3)
		default:
			r.Kind, r.Goal, r.ValueType = messages.KindGoal, fmt.Sprintf("goal %d", (i/5*7+i%5)%300), "S"
			r.HasValue, r.Value = true, decimal.New(int64(i%1000), -2)
		}
		r.Ptr = messages.Pointer{File: 1, Offset: int64(i + 1)}
		recs = append(recs, r)
	}
	requireCountsFlushEqualsApply(t, recs, 1_000)
}

// requireCountsFlushEqualsApply checks that applying recs with ApplyCounts to one Counts,
// flushed every `every` records, adds up to applying them one by one with Apply.
func requireCountsFlushEqualsApply(t *testing.T, recs []messages.Record, every int) {
	t.Helper()
	var cs []visitor.ComplexGoal
	for _, f := range loggen.ComplexGoals {
		c, err := visitor.ParseComplex(f)
		require.NoError(t, err)
		cs = append(cs, c)
	}
	rules, err := visitor.NewRules(rollups.Defaults(), cs)
	require.NoError(t, err)
	want := reference.Canonical(applyEach(rules, recs))
	require.NotEmpty(t, want)

	// One Counts for all records, flushed at uneven intervals into one Deltas: the
	// numbering kept from one flush to the next must not mix counters up.
	histories := map[string]*visitor.History{}
	var c visitor.Counts
	got := messages.NewDeltas()
	flushes := 0
	for i := range recs {
		h := histories[recs[i].VID]
		if h == nil {
			h = visitor.NewHistory()
			histories[recs[i].VID] = h
		}
		rules.ApplyCounts(h, &recs[i], &c)
		if i%every == every-1 {
			require.False(t, c.Empty())
			c.Flush(got)
			assert.True(t, c.Empty())
			flushes++
		}
	}
	c.Flush(got)
	assert.Equal(t, len(recs)/every, flushes)
	assert.Equal(t, want, reference.Canonical(got))
}

func TestCountsHeldRecordsAllocateNothing(t *testing.T) {
	rules, err := visitor.NewRules(rollups.Defaults(), nil)
	require.NoError(t, err)
	var c visitor.Counts
	rules.ApplyCounts(visitor.NewHistory(), &messages.Record{Kind: messages.KindGoal, VID: "v", Goal: "g"}, &c)
	assert.True(t, c.Empty())
	var d messages.Deltas
	c.Flush(&d)
	assert.Nil(t, d.Conversions, "a record held for a robot counts nothing")
}
