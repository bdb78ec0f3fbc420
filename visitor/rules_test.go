package visitor

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logBuilder makes records with increasing pointers, as a log reader would.
type logBuilder struct{ off int64 }

func (l *logBuilder) next(r messages.Record) *messages.Record {
	l.off += 100
	r.Ptr = messages.Pointer{File: 3600, Offset: l.off}
	return &r
}

func (l *logBuilder) page(vid string, ts, site int64, ua string) *messages.Record {
	return l.next(messages.Record{Kind: messages.KindPage, VID: vid, Timestamp: ts, Site: site,
		IP: "10.0.0.1", Method: "GET", URL: "http://example.com/", UserAgent: ua})
}

func (l *logBuilder) pixel(vid string, ts, site int64) *messages.Record {
	return l.next(messages.Record{Kind: messages.KindPixel, VID: vid, Timestamp: ts, Site: site})
}

func (l *logBuilder) goal(vid string, ts, site int64, name, value, vtype, vformat string) *messages.Record {
	r := messages.Record{Kind: messages.KindGoal, VID: vid, Timestamp: ts, Site: site, Goal: name,
		ValueType: vtype, ValueFormat: vformat}
	if value != "" {
		r.Value, r.HasValue = decimal.RequireFromString(value), true
	}
	return l.next(r)
}

func (l *logBuilder) split(vid string, ts, site int64, test, pop string) *messages.Record {
	return l.next(messages.Record{Kind: messages.KindSplit, VID: vid, Timestamp: ts, Site: site, Test: test, Population: pop})
}

// day0 is 2013-03-08 12:00 in Los Angeles (20:00 UTC).
var day0 = time.Date(2013, 3, 8, 20, 0, 0, 0, time.UTC).Unix()

func pstDay(t *testing.T, ts int64) string {
	t.Helper()
	loc, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	y, m, d := time.Unix(ts, 0).In(loc).Date()
	return strconv.FormatInt(time.Date(y, m, d, 0, 0, 0, 0, loc).Unix(), 10)
}

func newTestRules(t *testing.T, complexFlags ...string) *Rules {
	t.Helper()
	var cs []ComplexGoal
	for _, f := range complexFlags {
		c, err := ParseComplex(f)
		require.NoError(t, err)
		cs = append(cs, c)
	}
	r, err := NewRules(rollups.Defaults(), cs)
	require.NoError(t, err)
	return r
}

// harness applies records to per-visitor histories, like a single shard.
type harness struct {
	rules     *Rules
	histories map[string]*History
	d         *messages.Deltas
}

func newHarness(r *Rules) *harness {
	return &harness{rules: r, histories: map[string]*History{}, d: messages.NewDeltas()}
}

func (h *harness) apply(recs ...*messages.Record) {
	for _, rec := range recs {
		hist := h.histories[rec.VID]
		if hist == nil {
			hist = NewHistory()
			h.histories[rec.VID] = hist
		}
		h.rules.Apply(hist, rec, h.d)
	}
}

func conv(d *messages.Deltas, goal, rollup, bucket string, site int64) messages.Counter {
	return d.Conversions[messages.ConversionKey{Goal: goal, Rollup: rollup, Bucket: bucket, Site: site}]
}

func allConv(d *messages.Deltas, goal string, site int64) messages.Counter {
	return conv(d, goal, "all", "0", site)
}

func varConv(d *messages.Deltas, goal, test, pop string, site int64) messages.Counter {
	return d.VariantConversions[messages.VariantConversionKey{Goal: goal, Test: test, Population: pop, Rollup: "all", Bucket: "0", Site: site}]
}

func impressions(d *messages.Deltas, test, pop string, site int64) int64 {
	return d.Impressions[messages.ImpressionKey{Test: test, Population: pop, Rollup: "all", Bucket: "0", Site: site}]
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func assertDec(t *testing.T, want string, got decimal.Decimal, msgAndArgs ...any) {
	t.Helper()
	assert.True(t, dec(want).Equal(got), "want %s, got %s %v", want, got, fmt.Sprint(msgAndArgs...))
}

const chromeUA = "Mozilla/5.0 (X11) AppleWebKit/537.22 (KHTML, like Gecko) Chrome/25.0 Safari/537.22"

func TestRobotCountsNothing(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t))
	h.apply(
		l.page("bot", day0, 1, "Googlebot/2.1"),
		l.goal("bot", day0+1, 1, "add to cart", "5", "S", "C"),
		l.split("bot", day0+2, 1, "hero", "video"),
	)
	assert.True(t, h.d.Empty(), "a visitor without a pixel counts nothing: %+v", h.d)
	assert.False(t, h.histories["bot"].Human())
	assert.Equal(t, 3, h.histories["bot"].QueueLen())
	_, ok := h.histories["bot"].FirstUserAgent()
	assert.False(t, ok, "queued pages add no user agent")
}

func TestPixelReplaysQueueOnce(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t))
	h.apply(
		l.page("v", day0, 1, chromeUA),
		l.goal("v", day0+10, 1, "completed checkout", "5.50", "S", "C"),
		l.pixel("v", day0+20, 1),
	)
	hist := h.histories["v"]
	require.True(t, hist.Human())
	assert.Equal(t, 0, hist.QueueLen())
	assert.Equal(t, int64(1), allConv(h.d, messages.ViewedPage, 1).Count)
	assert.Equal(t, int64(1), allConv(h.d, "completed checkout", 1).Count)
	assertDec(t, "5.50", allConv(h.d, "completed checkout", 1).Value)
	assert.Equal(t, int64(1), conv(h.d, "completed checkout", "browser", "Chrome", 1).Count)
	assert.Equal(t, int64(1), conv(h.d, "completed checkout", "pst_day", pstDay(t, day0), 1).Count)

	// (Go) A later pixel replays nothing: the queued value is not added again, and a
	// test joined afterwards is not credited with the queued goal.
	h.apply(
		l.split("v", day0+30, 1, "red checkout form", "True"),
		l.pixel("v", day0+40, 1),
	)
	assertDec(t, "5.50", allConv(h.d, "completed checkout", 1).Value)
	assert.Equal(t, int64(1), allConv(h.d, "completed checkout", 1).Count)
	assert.Equal(t, messages.Counter{}, varConv(h.d, "completed checkout", "red checkout form", "True", 1))
	assert.Equal(t, int64(1), impressions(h.d, "red checkout form", "True", 1))
}

func TestQueueKeepsNewest500(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t))
	for i := range MaxQueue + 10 {
		h.apply(l.goal("v", day0+int64(i), 1, fmt.Sprintf("g%03d", i), "", "", ""))
	}
	assert.Equal(t, MaxQueue, h.histories["v"].QueueLen())
	h.apply(l.pixel("v", day0+1000, 1))
	for i := range MaxQueue + 10 {
		want := int64(1)
		if i < 10 {
			want = 0 // dropped from the queue
		}
		assert.Equal(t, want, allConv(h.d, fmt.Sprintf("g%03d", i), 1).Count, "g%03d", i)
	}
	goals := h.histories["v"].Goals()
	require.Len(t, goals, MaxQueue)
	assert.Equal(t, "g010", goals[0], "replayed in log order")
	assert.Equal(t, fmt.Sprintf("g%03d", MaxQueue+9), goals[MaxQueue-1])
}

func TestValuesAddUpButVisitorCountsOncePerBucket(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t))
	day1 := day0 + 86400
	h.apply(
		l.pixel("v", day0, 1),
		l.goal("v", day0+1, 1, "completed checkout", "10", "S", "C"),
		l.goal("v", day0+2, 1, "completed checkout", "2.5", "S", "C"),
		l.goal("v", day0+3, 1, "completed checkout", "", "S", "C"), // no value
		l.goal("v", day0+4, 1, "completed checkout", "0", "S", "C"),
		l.goal("v", day1, 1, "completed checkout", "7", "S", "C"),
		l.goal("v", day1, 2, "completed checkout", "1", "S", "C"), // another site
	)
	all := allConv(h.d, "completed checkout", 1)
	assert.Equal(t, int64(1), all.Count)
	assertDec(t, "19.5", all.Value)

	d0 := conv(h.d, "completed checkout", "pst_day", pstDay(t, day0), 1)
	assert.Equal(t, int64(1), d0.Count)
	assertDec(t, "12.5", d0.Value)
	d1 := conv(h.d, "completed checkout", "pst_day", pstDay(t, day1), 1)
	assert.Equal(t, int64(1), d1.Count)
	assertDec(t, "7", d1.Value)

	s2 := allConv(h.d, "completed checkout", 2)
	assert.Equal(t, int64(1), s2.Count)
	assertDec(t, "1", s2.Value)

	// A goal conversion without a value leaves no value entry behind.
	h2 := newHarness(newTestRules(t))
	h2.apply(l.pixel("w", day0, 1), l.goal("w", day0, 1, "add to cart", "", "", ""))
	assert.True(t, allConv(h2.d, "add to cart", 1).Value.IsZero())
}

func TestVariantsCollectOnlyLaterConversions(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t))
	h.apply(
		l.pixel("v", day0, 1),
		l.goal("v", day0+1, 1, "completed checkout", "10", "S", "C"),
		l.goal("v", day0+2, 1, "add to cart", "", "", ""),
		l.split("v", day0+3, 1, "red checkout form", "False"),
		l.split("v", day0+4, 1, "red checkout form", "False"),
		l.goal("v", day0+5, 1, "completed checkout", "4", "S", "C"),
		l.goal("v", day0+6, 1, "completed checkout", "1", "S", "C"),
		l.page("v", day0+7, 1, chromeUA),
	)
	assert.Equal(t, int64(1), impressions(h.d, "red checkout form", "False", 1), "impressions count once")
	vc := varConv(h.d, "completed checkout", "red checkout form", "False", 1)
	assert.Equal(t, int64(1), vc.Count)
	assertDec(t, "5", vc.Value, "only values after the impression")
	assert.Equal(t, messages.Counter{}, varConv(h.d, "add to cart", "red checkout form", "False", 1))
	assert.Equal(t, int64(1), varConv(h.d, messages.ViewedPage, "red checkout form", "False", 1).Count)
	assertDec(t, "15", allConv(h.d, "completed checkout", 1).Value)

	// Variant conversions are kept per rollup bucket too.
	k := messages.VariantConversionKey{Goal: messages.ViewedPage, Test: "red checkout form", Population: "False", Rollup: "browser", Bucket: "Chrome", Site: 1}
	assert.Equal(t, int64(1), h.d.VariantConversions[k].Count)
}

func TestComplexGoals(t *testing.T) {
	flags := []string{
		"abandoned cart|add to cart|began checkout",
		"abandoned after payment failure|began checkout,payment failed|completed checkout",
	}
	l := &logBuilder{}
	h := newHarness(newTestRules(t, flags...))
	day1 := day0 + 86400
	h.apply(
		// a: adds to cart, never checks out.
		l.pixel("a", day0, 1),
		l.goal("a", day0+1, 1, "add to cart", "3", "S", ""),
		l.goal("a", day0+2, 1, "add to cart", "", "", ""),
		// b: adds to cart on day 0, begins checkout on day 1: the day-0 conversion is taken back.
		l.pixel("b", day0, 1),
		l.goal("b", day0+1, 1, "add to cart", "", "", ""),
		l.split("b", day0+2, 1, "hero", "video"),
		l.goal("b", day1, 1, "began checkout", "", "", ""),
		// c: both include goals, then completes: the complex conversion is taken back.
		l.pixel("c", day0, 1),
		l.goal("c", day0+1, 1, "began checkout", "", "", ""),
		l.goal("c", day0+2, 1, "payment failed", "", "", ""),
		// d: both include goals and never completes.
		l.pixel("d", day0, 1),
		l.goal("d", day0+1, 1, "payment failed", "", "", ""),
		l.goal("d", day0+2, 1, "began checkout", "", "", ""),
		// e: completes before the include set is complete: the exclude goal came first,
		// so the later conversion stays (the rule only looks at the first exclude goal).
		l.pixel("e", day0, 1),
		l.goal("e", day0+1, 1, "completed checkout", "", "", ""),
		l.goal("e", day0+2, 1, "began checkout", "", "", ""),
		l.goal("e", day0+3, 1, "payment failed", "", "", ""),
	)
	// c completes later.
	h.apply(l.goal("c", day1, 1, "completed checkout", "20", "S", "C"))

	assert.Equal(t, int64(1), allConv(h.d, "abandoned cart", 1).Count, "a only")
	assert.True(t, allConv(h.d, "abandoned cart", 1).Value.IsZero(), "complex goals carry no value")
	assert.Equal(t, int64(1), conv(h.d, "abandoned cart", "pst_day", pstDay(t, day0), 1).Count)
	assert.Equal(t, int64(0), conv(h.d, "abandoned cart", "pst_day", pstDay(t, day1), 1).Count,
		"b's take-back hits the remembered day-0 bucket, not day 1")
	assert.Equal(t, int64(2), allConv(h.d, "abandoned after payment failure", 1).Count, "d and e")
	for k := range h.d.VariantConversions {
		assert.NotEqual(t, "abandoned cart", k.Goal, "complex goals have no variant conversions")
	}
	_, hasMeta := h.d.Goals["abandoned cart"]
	assert.False(t, hasMeta, "complex goals have no goal metadata")
}

func TestComplexGoalInBothLists(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t, "odd|x|x"))
	h.apply(l.pixel("v", day0, 1), l.goal("v", day0, 1, "x", "", "", ""))
	// Include adds, then the same goal as first exclude takes it back.
	assert.Equal(t, int64(0), allConv(h.d, "odd", 1).Count)
}

func TestTestFirstLastAreMinMax(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t))
	h.apply(
		l.split("v", 500, 1, "t", "A"), // queued, replayed at the pixel
		l.split("w", 300, 1, "t", "B"),
		l.pixel("w", 301, 1),
		l.split("v", 200, 1, "t", "A"),
		l.pixel("v", 600, 1),
		l.split("v", 400, 1, "t", "A"),
		l.split("bot", 100, 1, "t", "C"), // a robot's impression does not count
	)
	m := h.d.Tests["t"]
	assert.Equal(t, int64(200), m.First)
	assert.Equal(t, int64(500), m.Last)
	assert.Equal(t, map[string]struct{}{"A": {}, "B": {}}, m.Populations)
	assert.Equal(t, int64(1), impressions(h.d, "t", "A", 1))
}

func TestGoalMetadataFirstInLogOrder(t *testing.T) {
	l := &logBuilder{}
	r := newTestRules(t)
	a, b := newHarness(r), newHarness(r)
	early := l.goal("early", day0, 1, "margin", "1", "A", "N") // queued until its pixel
	late := l.goal("late", day0+1, 1, "margin", "1", "I", "P")
	lateOther := l.goal("late", day0+2, 1, "margin", "1", "S", "C")
	a.apply(l.pixel("late", day0, 1), late, lateOther)
	b.apply(early, l.pixel("early", day0+3, 1))

	assert.Equal(t, messages.GoalMeta{ValueType: "I", ValueFormat: "P", At: late.Ptr}, a.d.Goals["margin"])
	// Merged in either order, the record first in the log wins although it was
	// processed last.
	for _, order := range [][2]*harness{{a, b}, {b, a}} {
		m := messages.NewDeltas()
		m.Merge(order[0].d)
		m.Merge(order[1].d)
		assert.Equal(t, messages.GoalMeta{ValueType: "A", ValueFormat: "N", At: early.Ptr}, m.Goals["margin"])
	}
	assert.Equal(t, messages.GoalMeta{At: b.d.Goals[messages.ViewedPage].At}, b.d.Goals[messages.ViewedPage])
}

func TestBrowserBucketFromFirstUserAgent(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t))
	h.apply(
		l.pixel("v", day0, 1),
		l.goal("v", day0, 1, "newsletter signup", "", "", ""), // no user agent yet
		l.page("v", day0+1, 1, "Mozilla/5.0 (Windows NT 6.1; rv:19.0) Gecko/20100101 Firefox/19.0"),
		l.page("v", day0+2, 1, chromeUA),
	)
	assert.Equal(t, int64(1), conv(h.d, "newsletter signup", "browser", "", 1).Count)
	assert.Equal(t, int64(1), conv(h.d, messages.ViewedPage, "browser", "Firefox", 1).Count)
	assert.Equal(t, int64(0), conv(h.d, messages.ViewedPage, "browser", "Chrome", 1).Count)
	assert.Equal(t, []string{"Mozilla/5.0 (Windows NT 6.1; rv:19.0) Gecko/20100101 Firefox/19.0", chromeUA}, h.histories["v"].UserAgents())
	assert.Equal(t, []string{"10.0.0.1"}, h.histories["v"].IPs())
}

func TestUnknownKindIgnored(t *testing.T) {
	r := newTestRules(t)
	h := NewHistory()
	d := messages.NewDeltas()
	r.Apply(h, &messages.Record{Kind: 99, VID: "v"}, d)
	r.Apply(h, &messages.Record{Kind: 0, VID: "v"}, d)
	assert.True(t, d.Empty())
	assert.Equal(t, 0, h.QueueLen())
}

func TestNewRulesRejects(t *testing.T) {
	all := rollups.NewAll("all")
	_, err := NewRules([]rollups.Rollup{all, rollups.NewBrowser("all")}, nil)
	assert.ErrorContains(t, err, `key "all"`)
	_, err = NewRules([]rollups.Rollup{all, nil}, nil)
	assert.Error(t, err)
	_, err = NewRules([]rollups.Rollup{all}, []ComplexGoal{{Name: "x", Include: []string{"a"}}, {Name: "x", Include: []string{"b"}}})
	assert.ErrorContains(t, err, `named "x"`)
	_, err = NewRules([]rollups.Rollup{all}, []ComplexGoal{{Name: "x"}})
	assert.ErrorContains(t, err, "no include goals")
}

func TestManyVariants(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t))
	h.apply(l.pixel("v", day0, 1))
	for i := range 100 {
		h.apply(l.split("v", day0, 1, fmt.Sprintf("t%d", i), "A"))
	}
	h.apply(
		l.goal("v", day0+1, 1, "completed checkout", "2", "S", ""),
		l.goal("v", day0+2, 1, "completed checkout", "3", "S", ""),
	)
	for i := range 100 {
		c := varConv(h.d, "completed checkout", fmt.Sprintf("t%d", i), "A", 1)
		assert.Equal(t, int64(1), c.Count, "t%d", i)
		assertDec(t, "5", c.Value, "t", i)
		assertSquares(t, "25", c.Squares, "t", i)
	}
	assert.Len(t, h.histories["v"].Variants(), 100)
}

func TestRulesLiteralAndZeroDeltas(t *testing.T) {
	c, err := ParseComplex("abandoned cart|add to cart|began checkout")
	require.NoError(t, err)
	r := &Rules{Rollups: rollups.Defaults(), Complex: []ComplexGoal{c}}
	l := &logBuilder{}
	h := NewHistory()
	var d messages.Deltas
	for _, rec := range []*messages.Record{l.pixel("v", day0, 1), l.goal("v", day0, 1, "add to cart", "", "", "")} {
		r.Apply(h, rec, &d)
	}
	assert.Equal(t, int64(1), allConv(&d, "add to cart", 1).Count)
	assert.Equal(t, int64(1), allConv(&d, "abandoned cart", 1).Count)
	assert.Contains(t, r.String(), "abandoned cart|add to cart|began checkout")
}
