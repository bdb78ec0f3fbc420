package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// apiPath is the path of the API's version 1, below the base URL.
const apiPath = "api/v1/"

// Query selects counters: a goal, a test variant (Test and Population), or both, in a
// bucket of a rollup (empty: rollup "all", bucket "0") of a site (nil: all sites).
type Query struct {
	Goal       string
	Test       string
	Population string
	Rollup     string
	Bucket     string // not for Series, which has every bucket
	Site       *int64
}

func (q Query) values() url.Values {
	v := url.Values{}
	set(v, "goal", q.Goal)
	set(v, "test", q.Test)
	set(v, "population", q.Population)
	set(v, "rollup", q.Rollup)
	set(v, "bucket", q.Bucket)
	setSite(v, q.Site)
	return v
}

func set(v url.Values, k, s string) {
	if s != "" {
		v.Set(k, s)
	}
}

func setSite(v url.Values, site *int64) {
	if site != nil {
		v.Set("site", strconv.FormatInt(*site, 10))
	}
}

func setGoals(v url.Values, goals []string) {
	if len(goals) > 0 {
		v.Set("goals", strings.Join(goals, ","))
	}
}

// Site returns a pointer to id, for the Site fields.
func Site(id int64) *int64 { return &id }

// Count answers /api/v1/count: the visitors who converted on q.Goal (within the variant
// when q names one), or the impressions of the variant when q has no goal.
func (c *Client) Count(ctx context.Context, q Query) (CountAnswer, error) {
	var a CountAnswer
	return a, c.do(ctx, http.MethodGet, apiPath+"count", q.values(), nil, &a)
}

// Value answers /api/v1/value: the value of q.Goal by its value type.
func (c *Client) Value(ctx context.Context, q Query) (ValueAnswer, error) {
	var a ValueAnswer
	return a, c.do(ctx, http.MethodGet, apiPath+"value", q.values(), nil, &a)
}

// Series answers /api/v1/series: q's counts and values per bucket of q.Rollup.
func (c *Client) Series(ctx context.Context, q Query) (SeriesAnswer, error) {
	var a SeriesAnswer
	return a, c.do(ctx, http.MethodGet, apiPath+"series", q.values(), nil, &a)
}

// Tests answers /api/v1/tests: every split test, newest first.
func (c *Client) Tests(ctx context.Context) (TestsAnswer, error) {
	var a TestsAnswer
	return a, c.do(ctx, http.MethodGet, apiPath+"tests", nil, nil, &a)
}

// Goals answers /api/v1/goals: every goal, by name.
func (c *Client) Goals(ctx context.Context) (GoalsAnswer, error) {
	var a GoalsAnswer
	return a, c.do(ctx, http.MethodGet, apiPath+"goals", nil, nil, &a)
}

// Results answers /api/v1/results: the value of each of goals (none: every goal) per
// population of test, with the analysis of the "all" rollup.
func (c *Client) Results(ctx context.Context, test string, goals []string, site *int64) (ResultsAnswer, error) {
	v := url.Values{"test": {test}}
	setGoals(v, goals)
	setSite(v, site)
	var a ResultsAnswer
	return a, c.do(ctx, http.MethodGet, apiPath+"results", v, nil, &a)
}

// AnalysisQuery asks for the analysis of a test: for all time, per bucket of the
// Breakdown rollup (or per site with Breakdown "site", also with a cohort range), or
// for the visitors of the Cohort rollup's buckets From to To (bucket ids in Unix
// seconds or dates YYYY-MM-DD; empty: unbounded).
type AnalysisQuery struct {
	Test      string
	Goals     []string // none: the configured goals, or every goal
	Site      *int64
	Breakdown string
	Cohort    string
	From, To  string
}

// Analysis answers /api/v1/analysis.
func (c *Client) Analysis(ctx context.Context, q AnalysisQuery) (AnalysisAnswer, error) {
	v := url.Values{"test": {q.Test}}
	setGoals(v, q.Goals)
	setSite(v, q.Site)
	set(v, "breakdown", q.Breakdown)
	set(v, "cohort", q.Cohort)
	set(v, "from", q.From)
	set(v, "to", q.To)
	var a AnalysisAnswer
	return a, c.do(ctx, http.MethodGet, apiPath+"analysis", v, nil, &a)
}

// DeadLetters answers /api/v1/dead-letters: the newest limit (0: the server's default)
// dead letters of source ("" for every source).
func (c *Client) DeadLetters(ctx context.Context, source string, limit int) (DeadLettersAnswer, error) {
	v := url.Values{}
	set(v, "source", source)
	if limit != 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var a DeadLettersAnswer
	return a, c.do(ctx, http.MethodGet, apiPath+"dead-letters", v, nil, &a)
}

// Status answers /api/v1/status: schema, pointers, row counts and the live ingest.
func (c *Client) Status(ctx context.Context) (StatusAnswer, error) {
	var a StatusAnswer
	return a, c.do(ctx, http.MethodGet, apiPath+"status", nil, nil, &a)
}

func configPath(test string) string { return apiPath + "tests/" + url.PathEscape(test) + "/config" }

// TestConfig answers the analysis configuration of test.
func (c *Client) TestConfig(ctx context.Context, test string) (Config, error) {
	var a Config
	return a, c.do(ctx, http.MethodGet, configPath(test), nil, nil, &a)
}

// ReplaceTestConfig stores change as the whole configuration of test (PUT): its nil
// fields take their defaults.
func (c *Client) ReplaceTestConfig(ctx context.Context, test string, change ConfigChange) (Config, error) {
	var a Config
	return a, c.do(ctx, http.MethodPut, configPath(test), nil, change, &a)
}

// PatchTestConfig changes the non-nil fields of change in the configuration of test
// (PATCH).
func (c *Client) PatchTestConfig(ctx context.Context, test string, change ConfigChange) (Config, error) {
	var a Config
	return a, c.do(ctx, http.MethodPatch, configPath(test), nil, change, &a)
}

// Health answers /healthz. A server whose database does not answer gives Status
// "unavailable" with a nil error (its 503 carries the same document).
func (c *Client) Health(ctx context.Context) (Health, error) {
	var a Health
	return a, c.do(ctx, http.MethodGet, "healthz", nil, nil, &a, http.StatusServiceUnavailable)
}
