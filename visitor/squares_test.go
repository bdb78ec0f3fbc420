package visitor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The squares below are computed by hand: a visitor's running total x of a goal's values
// on a site (credited to a variant), and the sum over visitors of x² at the end.

func TestValueSquaresOfRunningTotals(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t))
	h.apply(
		l.pixel("v", day0, 1),
		l.goal("v", day0+1, 1, "revenue", "10", "S", "C"),      // x = 10
		l.goal("v", day0+2, 1, "revenue", "2.5", "S", "C"),     // x = 12.5
		l.goal("v", day0+3, 1, "revenue", "", "S", "C"),        // no value
		l.goal("v", day0+4, 1, "revenue", "0", "S", "C"),       // a zero value changes nothing
		l.goal("v", day0+86400, 1, "revenue", "-15", "S", "C"), // x = -2.5 (a refund)
		l.goal("v", day0+86400, 2, "revenue", "1", "S", "C"),   // another site: its own total, 1
		l.pixel("w", day0, 1),
		l.goal("w", day0+5, 1, "revenue", "3", "S", "C"), // x = 3
		l.page("w", day0+6, 1, chromeUA),
	)
	all := allConv(h.d, "revenue", 1)
	assert.Equal(t, int64(2), all.Count)
	assertDec(t, "0.5", all.Value)
	assertSquares(t, "15.25", all.Squares, "(-2.5)² + 3²")
	assertSquares(t, "1", allConv(h.d, "revenue", 2).Squares)

	// Calendar and browser rollups keep no squares: a visitor's total there is not one
	// number per visitor.
	d0 := conv(h.d, "revenue", "pst_day", pstDay(t, day0), 1)
	assertDec(t, "15.5", d0.Value)
	assert.False(t, d0.Squares.Valid, "%s", d0.Squares.Decimal)
	assertSquares(t, "0", allConv(h.d, messages.ViewedPage, 1).Squares, "counts only")

	// The history keeps the running totals.
	assertDec(t, "-2.5", h.histories["v"].totals[0].decimal())
}

func TestValueSquaresOfQueuedValues(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t))
	h.apply(
		l.split("v", day0, 1, "t", "A"),
		l.goal("v", day0+1, 1, "revenue", "4", "S", ""), // queued: replayed after the impression
		l.goal("v", day0+2, 1, "revenue", "6", "S", ""), // queued
		l.pixel("v", day0+3, 1),                         // replay: x = 4, then 10; variant A the same
	)
	assertSquares(t, "100", allConv(h.d, "revenue", 1).Squares)
	assertSquares(t, "100", varConv(h.d, "revenue", "t", "A", 1).Squares)

	h.apply(
		l.split("v", day0+4, 1, "u", "B"),
		l.goal("v", day0+5, 1, "revenue", "5", "S", ""), // x = 15; A: 15; B: 5
		l.pixel("v", day0+6, 1),                         // a later pixel replays nothing
	)
	assertSquares(t, "225", allConv(h.d, "revenue", 1).Squares)
	assertSquares(t, "225", varConv(h.d, "revenue", "t", "A", 1).Squares)
	b := varConv(h.d, "revenue", "u", "B", 1)
	assert.Equal(t, int64(1), b.Count)
	assertDec(t, "5", b.Value)
	assertSquares(t, "25", b.Squares, "only values after the impression of B")
}

func TestValueSquaresOfSeveralVariants(t *testing.T) {
	l := &logBuilder{}
	h := newHarness(newTestRules(t))
	h.apply(
		l.pixel("v", day0, 1),
		l.split("v", day0+1, 1, "one", "A"),
		l.goal("v", day0+2, 1, "revenue", "2", "S", ""), // A: 2
		l.split("v", day0+3, 1, "two", "B"),
		l.goal("v", day0+4, 1, "revenue", "3", "S", ""), // A: 5, B: 3, goal: 5
		l.pixel("w", day0, 1),
		l.split("w", day0+1, 1, "one", "A"),
		l.goal("w", day0+2, 1, "revenue", "-1.25", "S", ""), // A: -1.25
		l.split("w", day0+3, 1, "two", "C"),
		l.goal("w", day0+4, 1, "revenue", "1.25", "S", ""), // A: 0, C: 1.25, goal: 0
	)
	a := varConv(h.d, "revenue", "one", "A", 1)
	assert.Equal(t, int64(2), a.Count)
	assertDec(t, "5", a.Value)
	assertSquares(t, "25", a.Squares, "5² + 0²")
	assertSquares(t, "9", varConv(h.d, "revenue", "two", "B", 1).Squares)
	assertSquares(t, "1.5625", varConv(h.d, "revenue", "two", "C", 1).Squares)
	assertSquares(t, "25", allConv(h.d, "revenue", 1).Squares)
}

func assertSquares(t *testing.T, want string, got decimal.NullDecimal, msgAndArgs ...any) {
	t.Helper()
	if assert.True(t, got.Valid, "squares kept %v", fmt.Sprint(msgAndArgs...)) {
		assertDec(t, want, got.Decimal, msgAndArgs...)
	}
}

// TestValueSquaresAreSumsOverVisitors checks the squares against their definition on
// random logs: each visitor's records applied alone give its totals, whose squares summed
// over visitors must be the squares of all visitors applied together, also when the
// histories are encoded and decoded between the records.
func TestValueSquaresAreSumsOverVisitors(t *testing.T) {
	la, err := rollups.Parse("cohort=first_day:America/Los_Angeles")
	require.NoError(t, err)
	r, err := NewRules(append(rollups.Defaults(), la), nil)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 8))
	l := &logBuilder{}
	var recs []*messages.Record
	for range 3000 {
		vid := fmt.Sprintf("v%d", rng.IntN(60))
		ts := day0 + int64(rng.IntN(5*86400))
		site := int64(1 + rng.IntN(2))
		switch rng.IntN(6) {
		case 0:
			recs = append(recs, l.pixel(vid, ts, site))
		case 1:
			recs = append(recs, l.split(vid, ts, site, fmt.Sprintf("t%d", rng.IntN(2)), []string{"A", "B"}[rng.IntN(2)]))
		case 2:
			recs = append(recs, l.page(vid, ts, site, chromeUA))
		default:
			v := decimal.New(rng.Int64N(2001)-1000, -int32(rng.IntN(3))).String()
			recs = append(recs, l.goal(vid, ts, site, []string{"revenue", "margin"}[rng.IntN(2)], v, "S", ""))
		}
	}

	together := newHarness(r)
	together.apply(recs...)

	want := messages.NewDeltas()
	byVisitor := map[string]*harness{}
	for _, rec := range recs {
		if byVisitor[rec.VID] == nil {
			byVisitor[rec.VID] = newHarness(r)
		}
		byVisitor[rec.VID].apply(rec)
	}
	for _, one := range byVisitor {
		for k, c := range one.d.Conversions {
			if k.Rollup == "all" || k.Rollup == "cohort" {
				c.Squares = decimal.NewNullDecimal(c.Value.Mul(c.Value))
			}
			want.AddConversion(k, c)
		}
		for k, c := range one.d.VariantConversions {
			if k.Rollup == "all" || k.Rollup == "cohort" {
				c.Squares = decimal.NewNullDecimal(c.Value.Mul(c.Value))
			}
			want.AddVariantConversion(k, c)
		}
	}
	nonZero := 0
	for k, c := range want.Conversions {
		got := together.d.Conversions[k]
		require.Equal(t, c.Squares.Valid, got.Squares.Valid, "%+v", k)
		require.True(t, c.Squares.Decimal.Equal(got.Squares.Decimal), "%+v: %s != %s", k, c.Squares.Decimal, got.Squares.Decimal)
		if !c.Squares.Decimal.IsZero() {
			nonZero++
		}
	}
	for k, c := range want.VariantConversions {
		got := together.d.VariantConversions[k]
		require.Equal(t, c.Squares.Valid, got.Squares.Valid, "%+v", k)
		require.True(t, c.Squares.Decimal.Equal(got.Squares.Decimal), "%+v: %s != %s", k, c.Squares.Decimal, got.Squares.Decimal)
	}
	require.Greater(t, nonZero, 10)

	// Encoded and decoded after every record, as a restarted shard would reload them.
	restarted := newHarness(r)
	for _, rec := range recs {
		restarted.apply(rec)
		data, err := restarted.histories[rec.VID].MarshalBinary()
		require.NoError(t, err)
		var h History
		require.NoError(t, h.UnmarshalBinary(data))
		restarted.histories[rec.VID] = &h
	}
	assert.Equal(t, deltasString(together.d), deltasString(restarted.d))
}

// TestTotalBackToZeroRoundTrips encodes a history whose running total came back to zero
// from decimals (a zero with a non-zero exponent) and checks it decodes and counts on.
func TestTotalBackToZeroRoundTrips(t *testing.T) {
	l := &logBuilder{}
	r := newTestRules(t)
	h := newHarness(r)
	h.apply(
		l.pixel("v", day0, 1),
		l.goal("v", day0+1, 1, "revenue", "-1.25", "S", ""),
		l.goal("v", day0+2, 1, "revenue", "1.25", "S", ""),
	)
	data, err := h.histories["v"].MarshalBinary()
	require.NoError(t, err)
	var got History
	require.NoError(t, got.UnmarshalBinary(data))
	requireSameHistory(t, h.histories["v"], &got, "total back to zero")
	d := messages.NewDeltas()
	r.Apply(&got, l.goal("v", day0+3, 1, "revenue", "2", "S", ""), d)
	assertSquares(t, "4", allConv(d, "revenue", 1).Squares, "from a total of 0")
}

// TestSmallGrowthIsExact compares the int64 arithmetic of the squares' growth with
// decimal arithmetic, near the limits of an int64 too.
func TestSmallGrowthIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	big := []int64{math.MaxInt64, math.MinInt64, math.MaxInt64 / 2, 3037000499, 3037000500, -3037000500, 1 << 31, 0, 1, -1}
	for i := range 20000 {
		xc, vc := rng.Int64N(2_000_001)-1_000_000, rng.Int64N(2_000_001)-1_000_000
		if i%4 == 0 {
			xc, vc = big[rng.IntN(len(big))], big[rng.IntN(len(big))]
		}
		xe, ve := -int32(rng.IntN(12)), -int32(rng.IntN(12))
		if vc == 0 {
			continue
		}
		x, v := decimal.New(xc, xe), decimal.New(vc, ve)
		want := v.Mul(x.Add(x).Add(v))
		sum := sumOf(x)
		g := squareGrowth(&sum, v, smallOf(v))
		require.True(t, want.Equal(g.decimal()), "x=%s v=%s: %s != %s", x, v, want, g.decimal())
		var acc valueSum
		acc.addGrowth(g)
		acc.addGrowth(g)
		require.True(t, want.Add(want).Equal(acc.decimal()), "x=%s v=%s: twice", x, v)
	}
}
