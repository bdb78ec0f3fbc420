package visitor_test

import (
	"testing"

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
		if i%7_001 == 7_000 {
			require.False(t, c.Empty())
			c.Flush(got)
			assert.True(t, c.Empty())
			flushes++
		}
	}
	c.Flush(got)
	assert.Equal(t, 4, flushes)
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
