package api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/query/querytest"
)

// memoryStore is an in-memory store holding the counters of a fixture's log.
func memoryStore(t testing.TB, fixture string) *querytest.Store {
	t.Helper()
	recs, err := reference.ReadLog(t.Context(), fixtures.CopyLog(t, fixture), messages.Pointer{})
	require.NoError(t, err)
	return querytest.New(reference.Accumulate(fixtures.Rules(t, fixture), recs))
}

func TestExpectedAnswersInMemory(t *testing.T) {
	c := newClient(t, api.New(memoryStore(t, fixtures.Clickstream), withRules(t, fixtures.Clickstream)))
	assert.Positive(t, reference.CheckAssertions(t, answerer{c}, fixtures.Expected(fixtures.Clickstream)))
}

func TestStoreFailuresAreNotShown(t *testing.T) {
	store := memoryStore(t, fixtures.Clickstream)
	store.Err = errors.New("connection refused to 10.0.0.7")
	c := newClient(t, api.New(store, api.Options{}))
	for _, path := range []string{"/api/v1/tests", "/api/v1/count?goal=x", "/api/v1/results?test=t", "/api/v1/status"} {
		status, _, body := c.do(http.MethodGet, path, nil)
		assert.Equal(t, http.StatusInternalServerError, status, path)
		assert.Contains(t, string(body), "internal error", path)
		assert.NotContains(t, string(body), "10.0.0.7", path)
	}
	status, _, body := c.do(http.MethodGet, "/healthz", nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Contains(t, string(body), "database unreachable")
}

func TestUnknownTestNamesTheKnownOnes(t *testing.T) {
	c := newClient(t, api.New(memoryStore(t, fixtures.Clickstream), api.Options{}))
	status, _, body := c.do(http.MethodGet, "/api/v1/results?test=nope", nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, string(body), `no test named \"nope\" (tests: `)
	assert.Contains(t, string(body), `\"red checkout form\"`)
}

func TestNoSilentZeros(t *testing.T) {
	in := ingestFixture(t, fixtures.Clickstream)
	t.Run("postgres", func(t *testing.T) { checkNoSilentZeros(t, in.store) })
	t.Run("memory", func(t *testing.T) { checkNoSilentZeros(t, memoryStore(t, fixtures.Clickstream)) })
}

func checkNoSilentZeros(t *testing.T, store query.Store) {
	c := newClient(t, api.New(store, withRules(t, fixtures.Clickstream)))
	for _, tc := range []struct {
		target string
		msg    string
	}{
		{"/api/v1/count?goal=compelted+checkout", `no goal named "compelted checkout" (goals: "abandoned after payment failure", "abandoned after validation failure", `},
		{"/api/v1/value?goal=nope&test=red+checkout+form&population=True", `no goal named "nope"`},
		{"/api/v1/count?test=blue+form&population=True", `no test named "blue form" (tests: "red checkout form"`},
		{"/api/v1/count?test=red+checkout+form&population=Maybe", `test "red checkout form" has no population "Maybe" (populations: False, True)`},
		{"/api/v1/count?goal=viewed+page&rollup=pst_month", `no rollup "pst_month" (rollups: all, browser, pst_day, pst_week)`},
		{"/api/v1/count?goal=viewed+page&rollup=browser&bucket=Netscape", `rollup "browser" has no bucket "Netscape" (buckets: `},
		{"/api/v1/series?goal=viewed+page&rollup=hourly", `no rollup "hourly"`},
		{"/api/v1/series?goal=nope&rollup=pst_day", `no goal named "nope"`},
	} {
		status, _, body := c.do(http.MethodGet, tc.target, nil)
		assert.Equal(t, http.StatusNotFound, status, tc.target)
		assert.Contains(t, string(body), strings.ReplaceAll(tc.msg, `"`, `\"`), tc.target)
	}
	// True zeros stay zeros: known names with nothing counted, and complex goals,
	// which have no counts within variants.
	for _, target := range []string{
		"/api/v1/count?goal=fake+goal&test=red+checkout+form&population=True",
		"/api/v1/count?goal=abandoned+cart&test=red+checkout+form&population=True",
		"/api/v1/count?goal=abandoned+after+validation+failure",
	} {
		var n query.CountAnswer
		require.NoError(t, c.getJSON(target, nil, &n), target)
		assert.Zero(t, n.Count, target)
	}
	var goals query.GoalsAnswer
	require.NoError(t, c.getJSON("/api/v1/goals", nil, &goals))
	assert.Contains(t, goals.Goals, query.Goal{Name: "abandoned after validation failure", Complex: true},
		"a configured complex goal nobody converted on is listed")
}
