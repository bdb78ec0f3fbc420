package reference

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func site(n int64) *int64 { return &n }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// sampleDeltas: two sites; "rev" is a sum, "margin" an average, "per" per visitor.
func sampleDeltas() *messages.Deltas {
	d := messages.NewDeltas()
	add := func(goal string, s int64, n int64, v string) {
		d.AddConversion(messages.ConversionKey{Goal: goal, Rollup: "all", Bucket: "0", Site: s}, messages.Counter{Count: n, Value: dec(v)})
	}
	add("viewed page", 1, 3, "0")
	add("viewed page", 2, 4, "0")
	add("rev", 1, 2, "10.50")
	add("rev", 2, 1, "1")
	add("margin", 1, 3, "1")
	add("per", 1, 1, "2")
	add("unseen type", 1, 5, "100")
	d.AddConversion(messages.ConversionKey{Goal: "viewed page", Rollup: "pst_day", Bucket: "1362643200", Site: 1}, messages.Counter{Count: 9})
	d.AddVariantConversion(messages.VariantConversionKey{Goal: "rev", Test: "t", Population: "A", Rollup: "all", Bucket: "0", Site: 1}, messages.Counter{Count: 1, Value: dec("4")})
	d.AddVariantConversion(messages.VariantConversionKey{Goal: "per", Test: "t", Population: "A", Rollup: "all", Bucket: "0", Site: 1}, messages.Counter{Count: 1, Value: dec("2")})
	d.AddImpression(messages.ImpressionKey{Test: "t", Population: "A", Rollup: "all", Bucket: "0", Site: 1}, 2)
	d.AddImpression(messages.ImpressionKey{Test: "t", Population: "B", Rollup: "all", Bucket: "0", Site: 2}, 1)
	d.SeeGoal("rev", messages.GoalMeta{ValueType: "S"})
	d.SeeGoal("margin", messages.GoalMeta{ValueType: "A"})
	d.SeeGoal("per", messages.GoalMeta{ValueType: "I"})
	d.SeeTest("t", messages.TestMeta{First: 5, Last: 9, Populations: map[string]struct{}{"A": {}, "B": {}}})
	d.SeeTest("u", messages.TestMeta{First: 1, Last: 9, Populations: map[string]struct{}{"X": {}}})
	d.SeeTest("v", messages.TestMeta{First: 1, Last: 20, Populations: map[string]struct{}{"X": {}}})
	return d
}

func TestCount(t *testing.T) {
	d := sampleDeltas()
	cases := []struct {
		q    Query
		want int64
	}{
		{Query{Goal: "viewed page", Site: site(1)}, 3},
		{Query{Goal: "viewed page"}, 7}, // all sites
		{Query{Goal: "viewed page", Rollup: "pst_day", Bucket: "1362643200", Site: site(1)}, 9},
		{Query{Goal: "rev", Test: "t", Population: "A", Site: site(1)}, 1},
		{Query{Test: "t", Population: "A"}, 2},
		{Query{Test: "t", Population: "B", Site: site(1)}, 0},
		{Query{Goal: "nothing"}, 0},
	}
	for _, c := range cases {
		got, err := Count(d, c.q)
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "%+v", c.q)
	}
	_, err := Count(d, Query{})
	assert.Error(t, err)
}

func TestGoalValue(t *testing.T) {
	d := sampleDeltas()
	cases := []struct {
		q    Query
		want string
	}{
		{Query{Goal: "rev", Site: site(1)}, "10.5"},
		{Query{Goal: "rev"}, "11.5"},
		{Query{Goal: "margin", Site: site(1)}, "0.33333333333333333333"},     // 1 / 3 converting visitors
		{Query{Goal: "per", Site: site(1)}, "0.66666666666666666667"},        // 2 / 3 page viewers
		{Query{Goal: "per", Site: site(2)}, "0"},                             // no value, 4 viewers
		{Query{Goal: "per", Test: "t", Population: "A", Site: site(1)}, "0"}, // no variant page views: 0
		{Query{Goal: "rev", Test: "t", Population: "A", Site: site(1)}, "4"},
		{Query{Goal: "unseen type", Site: site(1)}, "5"}, // no metadata: the count
		{Query{Goal: "viewed page"}, "7"},
	}
	for _, c := range cases {
		got, err := GoalValue(d, c.q)
		require.NoError(t, err)
		assert.True(t, dec(c.want).Equal(got), "%+v: got %s, want %s", c.q, got, c.want)
	}
	_, err := GoalValue(d, Query{Test: "t"})
	assert.Error(t, err)
}

func TestTestsAndResults(t *testing.T) {
	d := sampleDeltas()
	tests := Tests(d)
	require.Len(t, tests, 3)
	assert.Equal(t, []string{"v", "t", "u"}, []string{tests[0].Name, tests[1].Name, tests[2].Name}, "newest last first, ties by name")
	assert.Equal(t, []string{"A", "B"}, tests[1].Populations)

	res, err := Results(d, "t", []string{"rev", "viewed page"}, site(1))
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.True(t, dec("4").Equal(res["A"][0]))
	assert.True(t, res["B"][0].IsZero())
	res, err = Results(d, "no such test", []string{"rev"}, nil)
	require.NoError(t, err)
	assert.Empty(t, res)
}

// fixed answers every query with the same values.
type fixed struct {
	count int64
	value decimal.Decimal
	tests []TestInfo
	res   map[string][]decimal.Decimal
	err   error
}

func (f fixed) Count(Query) (int64, error)               { return f.count, f.err }
func (f fixed) GoalValue(Query) (decimal.Decimal, error) { return f.value, f.err }
func (f fixed) Tests() ([]TestInfo, error)               { return f.tests, f.err }
func (f fixed) Results(string, []string, *int64) (map[string][]decimal.Decimal, error) {
	return f.res, f.err
}

func TestCheck(t *testing.T) {
	as := func(js string) Assertion {
		var a Assertion
		require.NoError(t, json.Unmarshal([]byte(js), &a))
		return a
	}
	count := as(`{"id":1,"query":"count","args":{"goal":"g","rollup":"pst_day","bucket":1362643200,"site":null},"expected":5}`)
	q, err := count.Args.Query()
	require.NoError(t, err)
	assert.Equal(t, Query{Goal: "g", Rollup: "pst_day", Bucket: "1362643200"}, q)
	assert.NoError(t, Check(fixed{count: 5}, count))
	assert.ErrorContains(t, Check(fixed{count: 4}, count), "want 5")
	assert.Error(t, Check(fixed{count: 5, err: errors.New("down")}, count))

	browser := as(`{"query":"count","args":{"goal":"g","rollup":"browser","bucket":"Chrome","site":2},"expected":1}`)
	q, err = browser.Args.Query()
	require.NoError(t, err)
	assert.Equal(t, "Chrome", q.Bucket)
	assert.Equal(t, int64(2), *q.Site)

	value := as(`{"query":"goal_value","args":{"goal":"g"},"expected":"43.2"}`)
	assert.NoError(t, Check(fixed{value: dec("43.20")}, value), "compared as numbers")
	assert.Error(t, Check(fixed{value: dec("43.21")}, value))

	quantized := as(`{"query":"goal_value","args":{"goal":"g"},"expected":"0.12","quantize":"0.01"}`)
	assert.NoError(t, Check(fixed{value: dec("0.125")}, quantized), "half-even")
	assert.NoError(t, Check(fixed{value: dec("0.1249999")}, quantized))
	assert.Error(t, Check(fixed{value: dec("0.1251")}, quantized))

	tests := as(`{"query":"tests","args":{},"expected":[{"name":"a","first_timestamp":1,"last_timestamp":9},{"name":"b","first_timestamp":2,"last_timestamp":3}]}`)
	good := []TestInfo{{Name: "a", First: 1, Last: 9}, {Name: "b", First: 2, Last: 3}}
	assert.NoError(t, Check(fixed{tests: good}, tests))
	assert.Error(t, Check(fixed{tests: []TestInfo{good[1], good[0]}}, tests), "order matters")
	assert.Error(t, Check(fixed{tests: good[:1]}, tests))

	results := as(`{"query":"results","args":{"test":"t","goals":["a","b"],"site":1},"expected":{"A":[2,"64.99"],"B":[0,"0"]}}`)
	ok := map[string][]decimal.Decimal{"A": {dec("2"), dec("64.990")}, "B": {dec("0"), dec("0")}}
	assert.NoError(t, Check(fixed{res: ok}, results))
	assert.Error(t, Check(fixed{res: map[string][]decimal.Decimal{"A": ok["A"]}}, results), "missing population")
	assert.Error(t, Check(fixed{res: map[string][]decimal.Decimal{"A": ok["A"], "C": ok["B"]}}, results), "other population")
	assert.Error(t, Check(fixed{res: map[string][]decimal.Decimal{"A": {dec("2"), dec("65")}, "B": ok["B"]}}, results))

	assert.ErrorContains(t, Check(fixed{}, as(`{"query":"median","args":{}}`)), "unknown query")
}

func TestCanonical(t *testing.T) {
	a, b := sampleDeltas(), sampleDeltas()
	assert.Equal(t, Canonical(a), Canonical(b))
	b.AddConversion(messages.ConversionKey{Goal: "rev", Rollup: "all", Bucket: "0", Site: 1}, messages.Counter{Value: dec("0.01")})
	assert.NotEqual(t, Canonical(a), Canonical(b))
	c := sampleDeltas()
	c.AddImpression(messages.ImpressionKey{Test: "t", Population: "Z", Rollup: "all", Bucket: "0", Site: 1}, 0)
	assert.NotEqual(t, Canonical(a), Canonical(c), "zero entries count")
}

func TestPartitionIsStable(t *testing.T) {
	// FNV-1a 32 of "a" is 0xe40c292c.
	assert.Equal(t, int(uint32(0xe40c292c)%7), Partition("a", 7))
	for _, vid := range []string{"", "a", "6e1e4b8579da1faacd0ad15c08abfcfa49733971"} {
		assert.Equal(t, 0, Partition(vid, 1))
		p := Partition(vid, 7)
		assert.True(t, p >= 0 && p < 7)
	}
}
