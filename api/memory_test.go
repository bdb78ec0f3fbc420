package api_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/query/querytest"
)

// memoryStore is an in-memory store holding the counters of a fixture's log.
func memoryStore(t *testing.T, fixture string) *querytest.Store {
	t.Helper()
	recs, err := reference.ReadLog(t.Context(), fixtures.CopyLog(t, fixture), messages.Pointer{})
	require.NoError(t, err)
	return querytest.New(reference.Accumulate(fixtures.Rules(t, fixture), recs))
}

func TestExpectedAnswersInMemory(t *testing.T) {
	c := newClient(t, api.New(memoryStore(t, fixtures.Clickstream), api.Options{}))
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
