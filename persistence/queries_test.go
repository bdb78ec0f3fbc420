package persistence_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func conv(goal, rollup, bucket string, site int64) messages.ConversionKey {
	return messages.ConversionKey{Goal: goal, Rollup: rollup, Bucket: bucket, Site: site}
}

func vconv(goal, test, pop, rollup, bucket string, site int64) messages.VariantConversionKey {
	return messages.VariantConversionKey{Goal: goal, Test: test, Population: pop, Rollup: rollup, Bucket: bucket, Site: site}
}

func imp(test, pop, rollup, bucket string, site int64) messages.ImpressionKey {
	return messages.ImpressionKey{Test: test, Population: pop, Rollup: rollup, Bucket: bucket, Site: site}
}

func counter(n int64, v string) messages.Counter { return messages.Counter{Count: n, Value: dec(v)} }

func count(t *testing.T, st *persistence.Store, q persistence.Query) int64 {
	t.Helper()
	n, err := st.Count(context.Background(), q)
	require.NoError(t, err)
	return n
}

func value(t *testing.T, st *persistence.Store, q persistence.Query) decimal.Decimal {
	t.Helper()
	v, err := st.GoalValue(context.Background(), q)
	require.NoError(t, err)
	return v
}

// assertDec compares decimals by value and by their exact printed form.
func assertDec(t *testing.T, want string, got decimal.Decimal, msg ...any) {
	t.Helper()
	assert.Equal(t, want, got.String(), msg...)
}

func TestCountEveryCounterKind(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	e := epoch(1)
	d := e.Deltas
	d.AddConversion(conv("buy", "all", "0", 1), counter(3, "0"))
	d.AddConversion(conv("buy", "all", "0", 2), counter(4, "0"))
	d.AddConversion(conv("buy", "pst_day", "1400000000", 1), counter(2, "0"))
	d.AddConversion(conv("other", "all", "0", 1), counter(100, "0"))
	d.AddImpression(imp("color", "red", "all", "0", 1), 5)
	d.AddImpression(imp("color", "red", "all", "0", 2), 6)
	d.AddImpression(imp("color", "blue", "all", "0", 1), 7)
	d.AddImpression(imp("color", "red", "browser", "Chrome", 2), 1)
	d.AddVariantConversion(vconv("buy", "color", "red", "all", "0", 1), counter(1, "0"))
	d.AddVariantConversion(vconv("buy", "color", "red", "all", "0", 2), counter(2, "0"))
	d.AddVariantConversion(vconv("buy", "color", "blue", "all", "0", 2), counter(9, "0"))
	commit(t, st, e)

	for _, c := range []struct {
		name string
		q    persistence.Query
		want int64
	}{
		{"conversions, all sites", persistence.Query{Goal: "buy"}, 7},
		{"conversions, site 1", persistence.Query{Goal: "buy", Site: site(1)}, 3},
		{"conversions, site 2", persistence.Query{Goal: "buy", Site: site(2)}, 4},
		{"conversions, unknown site", persistence.Query{Goal: "buy", Site: site(9)}, 0},
		{"conversions, other rollup", persistence.Query{Goal: "buy", Rollup: "pst_day", Bucket: "1400000000"}, 2},
		{"conversions, other bucket", persistence.Query{Goal: "buy", Rollup: "pst_day", Bucket: "1400086400"}, 0},
		{"conversions, unknown goal", persistence.Query{Goal: "nope"}, 0},
		{"impressions, all sites", persistence.Query{Test: "color", Population: "red"}, 11},
		{"impressions, site 2", persistence.Query{Test: "color", Population: "red", Site: site(2)}, 6},
		{"impressions, browser", persistence.Query{Test: "color", Population: "red", Rollup: "browser", Bucket: "Chrome"}, 1},
		{"impressions, other population", persistence.Query{Test: "color", Population: "blue"}, 7},
		{"variant conversions, all sites", persistence.Query{Goal: "buy", Test: "color", Population: "red"}, 3},
		{"variant conversions, site 1", persistence.Query{Goal: "buy", Test: "color", Population: "red", Site: site(1)}, 1},
		{"variant conversions, other population", persistence.Query{Goal: "buy", Test: "color", Population: "blue"}, 9},
	} {
		assert.Equal(t, c.want, count(t, st, c.q), c.name)
	}

	_, err := st.Count(ctx, persistence.Query{})
	assert.Error(t, err, "neither goal nor variant")
	_, err = st.Count(ctx, persistence.Query{Goal: "buy", Test: "color"})
	assert.Error(t, err, "a test without population")
	_, err = st.Count(ctx, persistence.Query{Population: "red"})
	assert.Error(t, err, "a population without test")
}

func TestValuesStayExactAcrossEpochs(t *testing.T) {
	st := pgtest.NewStore(t)
	e := epoch(1)
	e.Deltas.AddConversion(conv("rev", "all", "0", 1), counter(1, "0.1"))
	e.Deltas.AddVariantConversion(vconv("rev", "t", "A", "all", "0", 1), counter(1, "0.1"))
	e.Deltas.SeeGoal("rev", messages.GoalMeta{ValueType: messages.ValueSum})
	commit(t, st, e)
	e = epoch(2)
	e.Deltas.AddConversion(conv("rev", "all", "0", 1), counter(1, "0.2"))
	e.Deltas.AddVariantConversion(vconv("rev", "t", "A", "all", "0", 1), counter(1, "0.2"))
	commit(t, st, e)

	assertDec(t, "0.3", value(t, st, persistence.Query{Goal: "rev"}))
	assertDec(t, "0.3", value(t, st, persistence.Query{Goal: "rev", Test: "t", Population: "A"}))

	// Values beyond float precision survive unchanged.
	e = epoch(3)
	e.Deltas.AddConversion(conv("rev", "all", "0", 1), counter(0, "12345678901234567890.123456789012345678"))
	commit(t, st, e)
	assertDec(t, "12345678901234567890.423456789012345678", value(t, st, persistence.Query{Goal: "rev"}))
}

func TestNegativeDeltas(t *testing.T) {
	st := pgtest.NewStore(t)
	e := epoch(1)
	e.Deltas.AddConversion(conv("cart", "all", "0", 1), counter(3, "5"))
	e.Deltas.AddImpression(imp("t", "A", "all", "0", 1), 2)
	e.Deltas.AddVariantConversion(vconv("cart", "t", "A", "all", "0", 1), counter(2, "0"))
	commit(t, st, e)
	e = epoch(2)
	e.Deltas.AddConversion(conv("cart", "all", "0", 1), counter(-1, "-7.5"))
	e.Deltas.AddImpression(imp("t", "A", "all", "0", 1), -2)
	e.Deltas.AddVariantConversion(vconv("cart", "t", "A", "all", "0", 1), counter(-3, "0"))
	commit(t, st, e)

	assert.Equal(t, int64(2), count(t, st, persistence.Query{Goal: "cart"}))
	assert.Equal(t, int64(0), count(t, st, persistence.Query{Test: "t", Population: "A"}))
	assert.Equal(t, int64(-1), count(t, st, persistence.Query{Goal: "cart", Test: "t", Population: "A"}))
	e = epoch(3)
	e.Deltas.SeeGoal("cart", messages.GoalMeta{ValueType: messages.ValueSum})
	commit(t, st, e)
	assertDec(t, "-2.5", value(t, st, persistence.Query{Goal: "cart"}))
}

// valueFixture commits goals of every value type, with and without a variant, on two
// sites. Per site 1 / site 2 / all sites:
//
//	viewed page:  count 4 / 2 / 6     (variant A: 2 / 0 / 2)
//	signup (none): count 3 / 1 / 4    (variant A: 1 / 0 / 1)
//	rev (S):      sum 10.50 / 4.25 / 14.75, count 2 / 1 / 3    (variant A: sum 3.10 / 0 / 3.10, count 1)
//	basket (A):   sum 9 / 1 / 10, count 3 / 0 / 3    (variant A: sum 0 / 0 / 0, count 0)
//	perview (I):  sum 10 / 5 / 15, count 2 / 1 / 3   (variant A: sum 1 / 2 / 3, count 1 / 1 / 2)
//	rate (R):     sum 1 / 0 / 1, count 1 / 0 / 1     (variant B: sum 4, count 1; B saw no page)
func valueFixture(t *testing.T) *persistence.Store {
	t.Helper()
	st := pgtest.NewStore(t)
	e := epoch(1)
	d := e.Deltas
	add := func(goal string, s int64, n int64, v string) {
		d.AddConversion(conv(goal, "all", "0", s), counter(n, v))
	}
	addV := func(goal, pop string, s int64, n int64, v string) {
		d.AddVariantConversion(vconv(goal, "t", pop, "all", "0", s), counter(n, v))
	}
	add(messages.ViewedPage, 1, 4, "0")
	add(messages.ViewedPage, 2, 2, "0")
	addV(messages.ViewedPage, "A", 1, 2, "0")
	add("signup", 1, 3, "0")
	add("signup", 2, 1, "0")
	addV("signup", "A", 1, 1, "0")
	add("rev", 1, 2, "10.50")
	add("rev", 2, 1, "4.25")
	addV("rev", "A", 1, 1, "3.10")
	add("basket", 1, 3, "9")
	add("basket", 2, 0, "1")
	add("perview", 1, 2, "10")
	add("perview", 2, 1, "5")
	addV("perview", "A", 1, 1, "1")
	addV("perview", "A", 2, 1, "2")
	add("rate", 1, 1, "1")
	addV("rate", "B", 1, 1, "4")
	d.SeeGoal(messages.ViewedPage, messages.GoalMeta{})
	d.SeeGoal("signup", messages.GoalMeta{})
	d.SeeGoal("rev", messages.GoalMeta{ValueType: messages.ValueSum, ValueFormat: messages.FormatCurrency})
	d.SeeGoal("basket", messages.GoalMeta{ValueType: messages.ValueAverage})
	d.SeeGoal("perview", messages.GoalMeta{ValueType: messages.ValuePerVisitor})
	d.SeeGoal("rate", messages.GoalMeta{ValueType: messages.ValueRate, ValueFormat: messages.FormatPercentage})
	d.SeeTest("t", messages.TestMeta{First: 1, Last: 2, Populations: map[string]struct{}{"A": {}, "B": {}, "C": {}}})
	commit(t, st, e)
	return st
}

func TestGoalValueByValueType(t *testing.T) {
	st := valueFixture(t)
	for _, c := range []struct {
		name string
		q    persistence.Query
		want string
	}{
		{"none: the count", persistence.Query{Goal: "signup"}, "4"},
		{"none: the count, site 2", persistence.Query{Goal: "signup", Site: site(2)}, "1"},
		{"none: the count, variant", persistence.Query{Goal: "signup", Test: "t", Population: "A"}, "1"},
		{"unknown goal: the count", persistence.Query{Goal: "nope"}, "0"},
		{"S: the sum", persistence.Query{Goal: "rev"}, "14.75"},
		{"S: the sum, site 1", persistence.Query{Goal: "rev", Site: site(1)}, "10.5"},
		{"S: the sum, variant", persistence.Query{Goal: "rev", Test: "t", Population: "A"}, "3.1"},
		{"A: sum / count", persistence.Query{Goal: "basket"}, "3.33333333333333333333"},
		{"A: sum / count, site 1", persistence.Query{Goal: "basket", Site: site(1)}, "3"},
		{"A: zero count gives 0", persistence.Query{Goal: "basket", Site: site(2)}, "0"},
		{"A: zero count gives 0, variant", persistence.Query{Goal: "basket", Test: "t", Population: "A"}, "0"},
		{"I: sum / viewed pages", persistence.Query{Goal: "perview"}, "2.5"},
		{"I: sum / viewed pages, site 2", persistence.Query{Goal: "perview", Site: site(2)}, "2.5"},
		{"I: sum / viewed pages of the variant", persistence.Query{Goal: "perview", Test: "t", Population: "A"}, "1.5"},
		{"I: no viewed pages of the variant on site 2 gives 0", persistence.Query{Goal: "perview", Test: "t", Population: "A", Site: site(2)}, "0"},
		{"R: like I", persistence.Query{Goal: "rate"}, "0.16666666666666666667"},
		{"R: no viewed pages gives 0", persistence.Query{Goal: "rate", Test: "t", Population: "B"}, "0"},
		{"other rollup: nothing there", persistence.Query{Goal: "rev", Rollup: "pst_day", Bucket: "0"}, "0"},
	} {
		assertDec(t, c.want, value(t, st, c.q), c.name)
	}
	_, err := st.GoalValue(context.Background(), persistence.Query{Test: "t", Population: "A"})
	assert.Error(t, err, "no goal")
}

func TestResults(t *testing.T) {
	ctx := context.Background()
	st := valueFixture(t)
	goals := []string{"signup", "rev", "basket", "perview", "rate", "nope"}
	res, err := st.Results(ctx, "t", goals, nil)
	require.NoError(t, err)
	want := map[string][]string{
		"A": {"1", "3.1", "0", "1.5", "0", "0"},
		"B": {"0", "0", "0", "0", "0", "0"},
		"C": {"0", "0", "0", "0", "0", "0"},
	}
	assertResults(t, want, res)
	// Every entry equals GoalValue of the same variant.
	for pop, values := range res {
		for i, g := range goals {
			assert.True(t, value(t, st, persistence.Query{Goal: g, Test: "t", Population: pop}).Equal(values[i]), "%s %s", pop, g)
		}
	}

	res, err = st.Results(ctx, "t", []string{"perview", "rev"}, site(2))
	require.NoError(t, err)
	assertResults(t, map[string][]string{"A": {"0", "0"}, "B": {"0", "0"}, "C": {"0", "0"}}, res)
	res, err = st.Results(ctx, "t", []string{"perview", "rev"}, site(1))
	require.NoError(t, err)
	assertResults(t, map[string][]string{"A": {"0.5", "3.1"}, "B": {"0", "0"}, "C": {"0", "0"}}, res)

	res, err = st.Results(ctx, "no such test", goals, nil)
	require.NoError(t, err)
	assert.Empty(t, res)
}

func assertResults(t *testing.T, want map[string][]string, got map[string][]decimal.Decimal) {
	t.Helper()
	printed := map[string][]string{}
	for pop, values := range got {
		for _, v := range values {
			printed[pop] = append(printed[pop], v.String())
		}
	}
	assert.Equal(t, want, printed)
}

func TestSeries(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t)
	e := epoch(1)
	d := e.Deltas
	for i, b := range []string{"1400086400", "999", "-5", "1400000000", "Safari", "", "Chrome"} {
		d.AddConversion(conv("buy", "day", b, 1), counter(int64(i+1), "1.5"))
		d.AddConversion(conv("buy", "day", b, 2), counter(10, "0"))
		d.AddVariantConversion(vconv("buy", "t", "A", "day", b, 1), counter(int64(i+1), "2"))
		d.AddImpression(imp("t", "A", "day", b, 2), int64(i+1))
	}
	d.AddConversion(conv("buy", "all", "0", 1), counter(100, "0"))
	d.AddConversion(conv("sell", "day", "77", 1), counter(100, "0"))
	commit(t, st, e)

	order := []string{"-5", "999", "1400000000", "1400086400", "", "Chrome", "Safari"}
	idx := map[string]int64{"1400086400": 1, "999": 2, "-5": 3, "1400000000": 4, "Safari": 5, "": 6, "Chrome": 7}

	pts, err := st.Series(ctx, persistence.Query{Goal: "buy", Rollup: "day", Site: site(1)})
	require.NoError(t, err)
	require.Len(t, pts, len(order))
	for i, p := range pts {
		assert.Equal(t, order[i], p.Bucket)
		assert.Equal(t, idx[p.Bucket], p.Count, p.Bucket)
		assertDec(t, "1.5", p.Value, p.Bucket)
	}

	pts, err = st.Series(ctx, persistence.Query{Goal: "buy", Rollup: "day"})
	require.NoError(t, err)
	require.Len(t, pts, len(order))
	for i, p := range pts {
		assert.Equal(t, order[i], p.Bucket)
		assert.Equal(t, idx[p.Bucket]+10, p.Count, "all sites summed, bucket %q", p.Bucket)
	}

	pts, err = st.Series(ctx, persistence.Query{Goal: "buy", Test: "t", Population: "A", Rollup: "day"})
	require.NoError(t, err)
	require.Len(t, pts, len(order))
	for i, p := range pts {
		assert.Equal(t, order[i], p.Bucket)
		assert.Equal(t, idx[p.Bucket], p.Count)
		assertDec(t, "2", p.Value)
	}

	pts, err = st.Series(ctx, persistence.Query{Test: "t", Population: "A", Rollup: "day", Bucket: "ignored"})
	require.NoError(t, err)
	require.Len(t, pts, len(order))
	for i, p := range pts {
		assert.Equal(t, order[i], p.Bucket)
		assert.Equal(t, idx[p.Bucket], p.Count, "impressions")
		assert.True(t, p.Value.IsZero())
	}

	pts, err = st.Series(ctx, persistence.Query{Goal: "buy"})
	require.NoError(t, err)
	assert.Equal(t, []persistence.Point{{Bucket: "0", Count: 100, Value: decimal.Zero}}, normalizePoints(pts), "default rollup")

	pts, err = st.Series(ctx, persistence.Query{Goal: "nope", Rollup: "day"})
	require.NoError(t, err)
	assert.Empty(t, pts)
	_, err = st.Series(ctx, persistence.Query{Rollup: "day"})
	assert.Error(t, err)
}

// normalizePoints makes values comparable with assert.Equal.
func normalizePoints(pts []persistence.Point) []persistence.Point {
	for i := range pts {
		if pts[i].Value.IsZero() {
			pts[i].Value = decimal.Zero
		}
	}
	return pts
}
