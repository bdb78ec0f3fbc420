package query_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
)

func TestParseRules(t *testing.T) {
	long := strings.Repeat("é", 256)
	for _, tc := range []struct {
		kind        string
		params      url.Values
		param, flag string // the messages in each naming
	}{
		{query.KindCount, url.Values{}, "give a goal, a variant (test and population), or both", "give --goal, a variant (--test and --population), or both"},
		{query.KindCount, url.Values{"goal": {"x"}, "test": {"t"}}, "a variant needs both test and population", "a variant needs both --test and --population"},
		{query.KindValue, url.Values{"goal": {"x"}, "population": {"p"}}, "a variant needs both test and population", "a variant needs both --test and --population"},
		{query.KindValue, url.Values{"site": {"1"}}, "parameter goal is required", "--goal is required"},
		{query.KindResults, url.Values{"goals": {"a"}}, "parameter test is required", "--test is required"},
		{query.KindCount, url.Values{"goal": {"x"}, "site": {"one"}}, `site must be an integer site id or "all", not "one"`, `--site: site must be an integer site id or "all", not "one"`},
		{query.KindCount, url.Values{"goal": {long}}, `parameter "goal" is longer than 255 characters`, "--goal is longer than 255 characters"},
		{query.KindCount, url.Values{"goal": {"\xff"}}, `parameter "goal" is not valid UTF-8`, "--goal is not valid UTF-8"},
		{query.KindCount, url.Values{"goal": {"a", "b"}}, `parameter "goal" is given 2 times; give it once`, "--goal is given 2 times; give it once"},
		{query.KindCount, url.Values{"goals": {"a"}}, `unknown parameter "goals" (this endpoint takes goal, test, population, rollup, bucket, site)`, "--goals does not apply to count"},
		{query.KindTests, url.Values{"x": {"1"}}, `unknown parameter "x": this endpoint takes no parameters`, "--x does not apply to tests"},
		{query.KindSeries, url.Values{"goal": {"x"}, "bucket": {""}}, "a series has every bucket of its rollup: drop the bucket parameter", "a series has every bucket of its rollup: drop --bucket"},
		{query.KindSeries, url.Values{"rollup": {"pst_day"}}, "give a goal", "give --goal"},
		{query.KindResults, url.Values{"test": {"t"}, "goals": {"a,b", "c,d"}}, "too many goals: at most 3 per request", "--goals: too many goals: at most 3 per request"},
		{query.KindResults, url.Values{"test": {"t"}, "goals": {"a," + long}}, `goal "` + long[:64] + `…" is longer than 255 characters`, "--goals: goal"},
		{query.KindDeadLetters, url.Values{"limit": {"0"}}, `limit must be an integer from 1 to 1000, not "0"`, "limit must be an integer from 1 to 1000"},
		{"nope", url.Values{}, `unknown query "nope"`, `unknown query "nope"`},
	} {
		for naming, want := range map[query.Naming]string{query.Params: tc.param, query.Flags: tc.flag} {
			_, err := query.Parser{Naming: naming, MaxGoals: 3}.Parse(tc.kind, tc.params)
			require.ErrorIs(t, err, query.ErrInvalid, "%s %v", tc.kind, tc.params)
			assert.Contains(t, err.Error(), want, "%s %v", tc.kind, tc.params)
		}
	}
}

func TestParseRequests(t *testing.T) {
	p := query.Parser{}
	r, err := p.Parse(query.KindCount, url.Values{"goal": {"g"}, "test": {"t"}, "population": {"p"}, "site": {"all"}})
	require.NoError(t, err)
	assert.Equal(t, persistence.Query{Goal: "g", Test: "t", Population: "p"}, r.Query)

	r, err = p.Parse(query.KindSeries, url.Values{"test": {"t"}, "population": {"p"}, "rollup": {"pst_day"}, "site": {"7"}})
	require.NoError(t, err)
	require.NotNil(t, r.Query.Site)
	assert.EqualValues(t, 7, *r.Query.Site)

	r, err = p.Parse(query.KindResults, url.Values{"test": {"t"}, "goals": {" a , b,,", "c"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, r.Goals)

	r, err = p.Parse(query.KindDeadLetters, url.Values{})
	require.NoError(t, err)
	assert.Equal(t, query.DefaultDeadLetters, r.Limit)
}

func TestClip(t *testing.T) {
	assert.Equal(t, "short", query.Clip("short"))
	s := strings.Repeat("a", 63) + "é" + "tail"
	assert.Equal(t, strings.Repeat("a", 63)+"…", query.Clip(s), "never cuts a character in two")
}
