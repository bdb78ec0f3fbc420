package visitor

import (
	"strconv"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cohortRules(t *testing.T) *Rules {
	t.Helper()
	rs, err := rollups.ParseList([]string{"all", "cohort=first_day:America/Los_Angeles", "cweek=first_week:America/Los_Angeles", "pst_day=day:America/Los_Angeles"})
	require.NoError(t, err)
	r, err := NewRules(rs, nil)
	require.NoError(t, err)
	return r
}

func unix(y int, m time.Month, d, h, min int) int64 {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC).Unix()
}

func bucket(ts int64) string { return strconv.FormatInt(ts, 10) }

func TestCohortIsTheDayOfTheFirstHumanRecord(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(cohortRules(t))
	sat := unix(2013, 3, 10, 7, 30) // Saturday 9 March, 23:30 PST
	h.apply(
		l.goal("v", sat, 1, "revenue", "4", "S", ""), // queued; the first record on the human path at the pixel
		l.pixel("v", unix(2013, 3, 10, 17, 0), 1),    // Sunday 10 March, 10:00 PDT
		l.split("v", unix(2013, 3, 11, 17, 0), 1, "t", "A"),
		l.goal("v", unix(2013, 3, 12, 17, 0), 1, "revenue", "6", "S", ""),
	)
	first, ok := h.histories["v"].FirstHuman()
	require.True(t, ok)
	assert.Equal(t, sat, first, "the replayed queued record's own time, not the pixel's")

	sat9, sun3 := bucket(unix(2013, 3, 9, 8, 0)), bucket(unix(2013, 3, 3, 8, 0))
	c := conv(h.d, "revenue", "cohort", sat9, 1)
	assert.Equal(t, int64(1), c.Count)
	assertDec(t, "10", c.Value, "every later conversion in the arrival day")
	assertSquares(t, "100", c.Squares, "a cohort rollup is per visitor: the squares of its totals")
	assert.Equal(t, int64(1), conv(h.d, "revenue", "cweek", sun3, 1).Count, "the week from Sunday 3 March")
	k := messages.ImpressionKey{Test: "t", Population: "A", Rollup: "cohort", Bucket: sat9, Site: 1}
	assert.Equal(t, int64(1), h.d.Impressions[k], "impressions in the arrival day too")
	vk := messages.VariantConversionKey{Goal: "revenue", Test: "t", Population: "A", Rollup: "cohort", Bucket: sat9, Site: 1}
	assertSquares(t, "36", h.d.VariantConversions[vk].Squares)
	// The calendar day rollup still uses each record's own time.
	assert.Equal(t, int64(1), conv(h.d, "revenue", "pst_day", bucket(unix(2013, 3, 12, 7, 0)), 1).Count)
	for key := range h.d.Conversions {
		if key.Rollup == "cohort" {
			assert.Equal(t, sat9, key.Bucket)
		}
	}
}

func TestCohortAcrossDaylightSaving(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(cohortRules(t))
	lateShortDay := unix(2013, 3, 11, 6, 30)    // Sunday 10 March, 23:30 PDT: the 23-hour day
	secondHalfPast1 := unix(2013, 11, 3, 9, 30) // Sunday 3 November, 01:30 PST: the 25-hour day
	h.apply(
		l.pixel("spring", lateShortDay-60, 1),
		l.page("spring", lateShortDay, 1, chromeUA),
		l.page("spring", lateShortDay+3600, 1, chromeUA), // Monday 11 March: same cohort
		l.pixel("fall", 0, 1),
		l.page("fall", secondHalfPast1, 1, chromeUA),
	)
	assert.Equal(t, int64(1), conv(h.d, messages.ViewedPage, "cohort", bucket(unix(2013, 3, 10, 8, 0)), 1).Count)
	assert.Equal(t, int64(0), conv(h.d, messages.ViewedPage, "cohort", bucket(unix(2013, 3, 11, 7, 0)), 1).Count)
	assert.Equal(t, int64(1), conv(h.d, messages.ViewedPage, "pst_day", bucket(unix(2013, 3, 11, 7, 0)), 1).Count)
	assert.Equal(t, int64(1), conv(h.d, messages.ViewedPage, "cohort", bucket(unix(2013, 11, 3, 7, 0)), 1).Count)
	assert.Equal(t, int64(1), conv(h.d, messages.ViewedPage, "cweek", bucket(unix(2013, 11, 3, 7, 0)), 1).Count)
}

func TestPixelAloneSetsNoFirstHuman(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(cohortRules(t))
	h.apply(l.pixel("v", day0, 1), l.pixel("v", day0+5, 1))
	_, ok := h.histories["v"].FirstHuman()
	assert.False(t, ok, "a pixel counts nothing and is no record of the human path")
	h.apply(l.page("v", day0+86400, 1, chromeUA))
	first, ok := h.histories["v"].FirstHuman()
	assert.True(t, ok)
	assert.Equal(t, day0+86400, first)
}

// A history kept before the first human timestamp was (encoding version 1) does not know
// it: its cohort is "", and stays so.
func TestCohortOfAHistoryFromVersion1(t *testing.T) {
	data := readGolden(t, "human")
	var h History
	require.NoError(t, h.UnmarshalBinary(data))
	_, ok := h.FirstHuman()
	require.False(t, ok)
	l := &logBuilder{}
	d := messages.NewDeltas()
	cohortRules(t).Apply(&h, l.goal("human", day0+86400*9, 1, "revenue", "2", "S", ""), d)
	assert.Equal(t, int64(1), conv(d, "revenue", "cohort", "", 1).Count)
	_, ok = h.FirstHuman()
	assert.False(t, ok)
}
