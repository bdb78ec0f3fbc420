package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/client"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

const redForm = "red checkout form"

// server is a real API server over a real database holding the clickstream fixture.
type server struct {
	store   *persistence.Store
	service *query.Service
	url     string
}

func newServer(t *testing.T, opts api.Options) server {
	t.Helper()
	store := pgtest.NewStore(t)
	fixtures.Ingest(t, store, fixtures.Clickstream, nil)
	for _, c := range fixtures.Rules(t, fixtures.Clickstream).Complex {
		opts.ComplexGoals = append(opts.ComplexGoals, c.Name)
	}
	srv := httptest.NewServer(api.New(store, opts))
	t.Cleanup(srv.Close)
	return server{store: store, service: query.New(store, opts.ComplexGoals...), url: srv.URL}
}

func newClient(t *testing.T, base string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(base, opts...)
	require.NoError(t, err)
	return c
}

// answerer answers the fixture's reference queries through the client.
type answerer struct{ c *client.Client }

func toQuery(q reference.Query) client.Query {
	return client.Query{Goal: q.Goal, Test: q.Test, Population: q.Population, Rollup: q.Rollup, Bucket: q.Bucket, Site: q.Site}
}

func (a answerer) Count(q reference.Query) (int64, error) {
	ans, err := a.c.Count(context.Background(), toQuery(q))
	return ans.Count, err
}

func (a answerer) GoalValue(q reference.Query) (decimal.Decimal, error) {
	ans, err := a.c.Value(context.Background(), toQuery(q))
	if err != nil {
		return decimal.Zero, err
	}
	return decimal.NewFromString(ans.Value)
}

func (a answerer) Tests() ([]reference.TestInfo, error) {
	ans, err := a.c.Tests(context.Background())
	var out []reference.TestInfo
	for _, t := range ans.Tests {
		out = append(out, reference.TestInfo{Name: t.Name, First: t.First, Last: t.Last, Populations: t.Populations})
	}
	return out, err
}

func (a answerer) Results(test string, goals []string, site *int64) (map[string][]decimal.Decimal, error) {
	ans, err := a.c.Results(context.Background(), test, goals, site)
	if err != nil {
		return nil, err
	}
	out := map[string][]decimal.Decimal{}
	for pop, row := range ans.Results {
		for _, s := range row {
			d, err := decimal.NewFromString(s)
			if err != nil {
				return nil, err
			}
			out[pop] = append(out[pop], d)
		}
	}
	return out, nil
}

func TestExpectedAnswersThroughTheClient(t *testing.T) {
	s := newServer(t, api.Options{})
	assert.Positive(t, reference.CheckAssertions(t, answerer{newClient(t, s.url)}, fixtures.Expected(fixtures.Clickstream)))
}

// sameDocument checks that the client decoded exactly the document the query service
// answers: both encode to the same JSON.
func sameDocument(t *testing.T, want any, wantErr error, got any, gotErr error) {
	t.Helper()
	require.NoError(t, wantErr)
	require.NoError(t, gotErr)
	w, err := json.Marshal(want)
	require.NoError(t, err)
	g, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, string(w), string(g))
}

func TestEveryEndpointDecodesTheServersDocument(t *testing.T) {
	s := newServer(t, api.Options{})
	c := newClient(t, s.url)
	ctx := t.Context()
	parse := func(kind string, v url.Values) query.Request {
		req, err := query.Parser{}.Parse(kind, v)
		require.NoError(t, err)
		return req
	}
	goals, err := c.Goals(ctx)
	wantGoals, wantErr := s.service.Goals(ctx)
	sameDocument(t, wantGoals, wantErr, goals, err)
	require.NotEmpty(t, goals.Goals)
	goal := goals.Goals[0].Name

	tests, err := c.Tests(ctx)
	wantTests, wantErr := s.service.Tests(ctx)
	sameDocument(t, wantTests, wantErr, tests, err)

	status, err := c.Status(ctx)
	wantStatus, wantErr := s.service.Status(ctx, nil)
	sameDocument(t, wantStatus, wantErr, status, err)
	assert.NotEmpty(t, status.Pointers)

	dls, err := c.DeadLetters(ctx, "", 10)
	wantDLs, wantErr := s.service.DeadLetters(ctx, parse(query.KindDeadLetters, url.Values{"limit": {"10"}}))
	sameDocument(t, wantDLs, wantErr, dls, err)

	q := client.Query{Goal: goal, Test: redForm, Population: "True", Site: client.Site(1)}
	v := url.Values{"goal": {goal}, "test": {redForm}, "population": {"True"}, "site": {"1"}}
	count, err := c.Count(ctx, q)
	wantCount, wantErr := s.service.Count(ctx, parse(query.KindCount, v))
	sameDocument(t, wantCount, wantErr, count, err)
	value, err := c.Value(ctx, q)
	wantValue, wantErr := s.service.Value(ctx, parse(query.KindValue, v))
	sameDocument(t, wantValue, wantErr, value, err)

	series, err := c.Series(ctx, client.Query{Goal: goal, Rollup: "pst_day"})
	wantSeries, wantErr := s.service.Series(ctx, parse(query.KindSeries, url.Values{"goal": {goal}, "rollup": {"pst_day"}}))
	sameDocument(t, wantSeries, wantErr, series, err)
	assert.NotEmpty(t, series.Points)

	results, err := c.Results(ctx, redForm, nil, nil)
	wantResults, wantErr := s.service.Results(ctx, parse(query.KindResults, url.Values{"test": {redForm}}))
	sameDocument(t, wantResults, wantErr, results, err)
	assert.NotNil(t, results.Analysis, results.AnalysisError)

	an, err := c.Analysis(ctx, client.AnalysisQuery{Test: redForm, Breakdown: "browser"})
	wantAn, wantErr := s.service.Analysis(ctx, parse(query.KindAnalysis, url.Values{"test": {redForm}, "breakdown": {"browser"}}))
	sameDocument(t, wantAn, wantErr, an, err)
	assert.True(t, an.Breakdown)
	assert.NotEmpty(t, an.Segments)

	health, err := c.Health(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ok", health.Status)
}

func ptr[T any](v T) *T { return &v }

func TestTestConfigGetReplacePatch(t *testing.T) {
	s := newServer(t, api.Options{})
	c := newClient(t, s.url)
	ctx := t.Context()
	cfg, err := c.TestConfig(ctx, redForm)
	require.NoError(t, err)
	assert.False(t, cfg.Configured)
	assert.Nil(t, cfg.UpdatedAt)
	assert.Equal(t, "none", cfg.Correction)

	goals, err := c.Goals(ctx)
	require.NoError(t, err)
	primary := goals.Goals[0].Name
	cfg, err = c.ReplaceTestConfig(ctx, redForm, client.ConfigChange{
		Control: ptr("False"), Primary: ptr(primary), Correction: ptr("holm"), Notes: ptr("first try"),
	})
	require.NoError(t, err)
	assert.True(t, cfg.Configured)
	assert.NotNil(t, cfg.UpdatedAt)
	assert.Equal(t, "False", cfg.Control)
	assert.Equal(t, "configured", cfg.ControlRule)
	assert.Equal(t, primary, cfg.Primary)
	assert.Equal(t, "holm", cfg.Correction)

	cfg, err = c.PatchTestConfig(ctx, redForm, client.ConfigChange{Status: ptr("stopped")})
	require.NoError(t, err)
	assert.Equal(t, "stopped", cfg.Status)
	assert.Equal(t, "holm", cfg.Correction, "a patch keeps the fields it does not name")
	assert.Equal(t, "first try", cfg.Notes)

	got, err := c.TestConfig(ctx, redForm)
	want, wantErr := s.service.TestConfig(ctx, redForm)
	sameDocument(t, want, wantErr, got, err)

	cfg, err = c.ReplaceTestConfig(ctx, redForm, client.ConfigChange{Notes: ptr("again")})
	require.NoError(t, err)
	assert.Equal(t, "running", cfg.Status, "a replacement resets the fields it does not name")
	assert.Equal(t, "none", cfg.Correction)

	_, err = c.PatchTestConfig(ctx, redForm, client.ConfigChange{Correction: ptr("bonferroni")})
	var ce *client.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, http.StatusBadRequest, ce.StatusCode)
	assert.Contains(t, ce.Message, "correction must be one of")
	assert.ErrorIs(t, err, client.ErrBadRequest)
}

func TestErrorsCarryTheServersStatusAndMessage(t *testing.T) {
	s := newServer(t, api.Options{})
	c := newClient(t, s.url)
	ctx := t.Context()

	_, err := c.Results(ctx, "no such test", nil, nil)
	require.ErrorIs(t, err, client.ErrNotFound)
	assert.NotErrorIs(t, err, client.ErrBadRequest)
	var ce *client.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, http.StatusNotFound, ce.StatusCode)
	assert.Contains(t, ce.Message, redForm, "the server names the tests it has")
	assert.Equal(t, http.MethodGet, ce.Method)
	assert.True(t, strings.HasPrefix(ce.Path, "/api/v1/results?"), ce.Path)

	_, err = c.TestConfig(ctx, "no/such test")
	require.ErrorIs(t, err, client.ErrNotFound)
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, ce.Message, "no/such test")

	_, err = c.Count(ctx, client.Query{Test: redForm})
	require.ErrorIs(t, err, client.ErrBadRequest)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "a variant needs both test and population", ce.Message)

	_, err = c.DeadLetters(ctx, "", query.MaxDeadLetters+1)
	require.ErrorIs(t, err, client.ErrBadRequest)
}

func TestTheTokenIsSent(t *testing.T) {
	const token = "a-long-enough-test-token-0123456789"
	s := newServer(t, api.Options{Token: token})
	ctx := t.Context()

	_, err := newClient(t, s.url).Tests(ctx)
	require.ErrorIs(t, err, client.ErrUnauthorized)
	var ce *client.Error
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, ce.Message, "missing token")

	_, err = newClient(t, s.url, client.WithToken("wrong")).Tests(ctx)
	require.ErrorIs(t, err, client.ErrUnauthorized)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "wrong token", ce.Message)

	c := newClient(t, s.url, client.WithToken(token))
	tests, err := c.Tests(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, tests.Tests)
	_, err = c.PatchTestConfig(ctx, redForm, client.ConfigChange{Notes: ptr("with the token")})
	require.NoError(t, err)
	health, err := newClient(t, s.url).Health(ctx)
	require.NoError(t, err, "/healthz needs no token")
	assert.Equal(t, "ok", health.Status)
}

// stalling answers nothing until the request is given up.
func stalling(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestContextAndTimeoutEndARequest(t *testing.T) {
	base := stalling(t)
	_, err := newClient(t, base, client.WithTimeout(50*time.Millisecond)).Status(t.Context())
	require.ErrorIs(t, err, context.DeadlineExceeded)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := newClient(t, base, client.WithTimeout(0)).Status(ctx)
		done <- err
	}()
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

func TestBaseURLs(t *testing.T) {
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://host", "http://", "http://host/?q=1", "http://host/#f"} {
		_, err := client.New(bad)
		assert.Error(t, err, bad)
	}
	// A path prefix is kept: a proxy serving the API under /manhattan/.
	s := newServer(t, api.Options{})
	mux := http.NewServeMux()
	target, err := url.Parse(s.url)
	require.NoError(t, err)
	mux.Handle("/manhattan/", http.StripPrefix("/manhattan", httputil.NewSingleHostReverseProxy(target)))
	proxy := httptest.NewServer(mux)
	t.Cleanup(proxy.Close)
	for _, base := range []string{proxy.URL + "/manhattan", proxy.URL + "/manhattan/"} {
		cfg, err := newClient(t, base).TestConfig(t.Context(), redForm)
		require.NoError(t, err, base)
		assert.Equal(t, redForm, cfg.Test)
	}
}

func TestErrorIs(t *testing.T) {
	for status, kind := range map[int]error{
		400: client.ErrBadRequest, 413: client.ErrBadRequest, 414: client.ErrBadRequest, 415: client.ErrBadRequest,
		401: client.ErrUnauthorized, 404: client.ErrNotFound, 500: client.ErrUnavailable, 503: client.ErrUnavailable,
	} {
		err := error(&client.Error{StatusCode: status, Message: "m"})
		assert.ErrorIs(t, err, kind, status)
		for _, other := range []error{client.ErrBadRequest, client.ErrUnauthorized, client.ErrNotFound, client.ErrUnavailable} {
			if other != kind {
				assert.False(t, errors.Is(err, other), "%d is not %v", status, other)
			}
		}
	}
}
