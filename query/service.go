package query

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// Service answers checked requests from a store. It is safe for concurrent use.
type Service struct {
	store Store
	// complexGoals are the complex goals of the counting rules: known goals even
	// before anyone converts on them.
	complexGoals []string
	// cache keeps answers per commit mark; nil reads the store for every request.
	cache *answerCache
}

// New returns a service reading store. complexGoals names the complex goals of the
// rules the store was filled with, when known (a complex goal nobody converted on yet
// leaves no trace in the store): they are listed by Goals and answer 0, not "unknown".
func New(store Store, complexGoals ...string) *Service {
	return &Service{store: store, complexGoals: slices.Clone(complexGoals)}
}

// NewCached is New with an answer cache: answers are kept per commit mark of the store
// (see Marker and CacheOptions) and computed once for concurrent identical requests. A
// store that is not a Marker is read without the cache. The live ingest of Status and
// Ping are never cached.
func NewCached(store Store, opts CacheOptions, complexGoals ...string) *Service {
	s := New(store, complexGoals...)
	if m, ok := store.(Marker); ok {
		s.cache = newAnswerCache(m, opts)
	}
	return s
}

// withComplex returns the store's goals with the configured complex goals it has not seen.
func (s *Service) withComplex(goals []persistence.GoalInfo) []persistence.GoalInfo {
	added := false
	for _, name := range s.complexGoals {
		if !slices.ContainsFunc(goals, func(g persistence.GoalInfo) bool { return g.Name == name }) {
			goals = append(goals, persistence.GoalInfo{Name: name, Complex: true})
			added = true
		}
	}
	if added {
		slices.SortFunc(goals, func(a, b persistence.GoalInfo) int { return strings.Compare(a.Name, b.Name) })
	}
	return goals
}

// Ping checks that the store answers.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Count answers a count request.
func (s *Service) Count(ctx context.Context, r Request) (CountAnswer, error) {
	return cached(ctx, s, "count", r, func(ctx context.Context) (CountAnswer, error) { return s.count(ctx, r) })
}

// count is Count without the cache.
func (s *Service) count(ctx context.Context, r Request) (CountAnswer, error) {
	n, err := s.store.Count(ctx, r.Query)
	if err == nil {
		err = s.zeroErr(ctx, n == 0, r.Query, true)
	}
	if err != nil {
		return CountAnswer{}, err
	}
	return CountAnswer{Selection: newSelection(r.Query), Count: n}, nil
}

// Value answers a value request.
func (s *Service) Value(ctx context.Context, r Request) (ValueAnswer, error) {
	return cached(ctx, s, "value", r, func(ctx context.Context) (ValueAnswer, error) { return s.value(ctx, r) })
}

// value is Value without the cache.
func (s *Service) value(ctx context.Context, r Request) (ValueAnswer, error) {
	d, err := s.store.GoalValue(ctx, r.Query)
	if err == nil {
		err = s.zeroErr(ctx, d.IsZero(), r.Query, true)
	}
	if err != nil {
		return ValueAnswer{}, err
	}
	return ValueAnswer{Selection: newSelection(r.Query), Value: d.String()}, nil
}

// Tests answers the list of tests.
func (s *Service) Tests(ctx context.Context) (TestsAnswer, error) {
	return cached(ctx, s, "tests", nil, s.tests)
}

// tests is Tests without the cache.
func (s *Service) tests(ctx context.Context) (TestsAnswer, error) {
	tests, err := s.store.Tests(ctx)
	if err != nil {
		return TestsAnswer{}, err
	}
	return newTestsAnswer(tests), nil
}

// Goals answers the list of goals.
func (s *Service) Goals(ctx context.Context) (GoalsAnswer, error) {
	return cached(ctx, s, "goals", nil, s.goals)
}

// goals is Goals without the cache.
func (s *Service) goals(ctx context.Context) (GoalsAnswer, error) {
	goals, err := s.store.Goals(ctx)
	if err != nil {
		return GoalsAnswer{}, err
	}
	return newGoalsAnswer(s.withComplex(goals)), nil
}

// Results answers a results request: the value of each goal for each population of
// the test, and their analysis. Without goals it takes every goal of the store by name
// except the complex ones, which have no counts within variants. A test or goal the
// store has never seen is ErrNotFound, a complex goal ErrInvalid.
func (s *Service) Results(ctx context.Context, r Request) (ResultsAnswer, error) {
	return cached(ctx, s, "results", r, func(ctx context.Context) (ResultsAnswer, error) { return s.results(ctx, r) })
}

// results is Results without the cache.
func (s *Service) results(ctx context.Context, r Request) (ResultsAnswer, error) {
	tc, cfg, goals, err := s.testCounts(ctx, r, false)
	if err != nil {
		return ResultsAnswer{}, err
	}
	names := make([]string, len(goals))
	for i, g := range goals {
		names[i] = g.Name
	}
	_, convs := segmentTotals(tc, persistence.DefaultBucket)
	values := map[string][]decimal.Decimal{}
	for _, pop := range tc.Populations {
		views := convs[[2]string{messages.ViewedPage, pop}].count
		row := make([]decimal.Decimal, len(goals))
		for i, g := range goals {
			vt := g.ValueType
			t := convs[[2]string{g.Name, pop}]
			row[i] = persistence.GoalValueOf(&vt, t.count, t.sum, views)
		}
		values[pop] = row
	}
	a := newResultsAnswer(r.Query.Test, names, r.Query.Site, values)
	a.Control = cfg.Control
	res, err := analysis.Analyze(analysisInput(tc, cfg, goals, persistence.DefaultBucket))
	if err != nil {
		a.AnalysisError = err.Error()
	} else {
		a.Analysis = &res
	}
	return a, nil
}

// variantGoals checks goals asked for within a test's variants against the known ones:
// each must exist (a complex goal is counted 0 within variants, as docs/semantics.md has it).
// No goals means every goal that is not complex.
func variantGoals(goals []string, known []persistence.GoalInfo) ([]string, error) {
	if len(goals) == 0 {
		for _, g := range known {
			if !g.Complex {
				goals = append(goals, g.Name)
			}
		}
		return goals, nil
	}
	for _, name := range goals {
		i := slices.IndexFunc(known, func(g persistence.GoalInfo) bool { return g.Name == name })
		if i < 0 {
			return nil, unknownGoalError(name, known)
		}
	}
	return goals, nil
}

func unknownGoalError(name string, known []persistence.GoalInfo) error {
	if len(known) == 0 {
		return notFound("no goal named %q: the store has no goals yet", Clip(name))
	}
	return notFound("no goal named %q (goals: %s)", Clip(name), goalNames(known))
}

// unknownTest is the ErrNotFound of a test the store does not know, naming those it
// knows.
func (s *Service) unknownTest(ctx context.Context, name string) error {
	tests, err := s.store.Tests(ctx)
	if err != nil {
		return err
	}
	return unknownTestError(name, tests)
}

func unknownTestError(name string, tests []persistence.TestInfo) error {
	if len(tests) == 0 {
		return notFound("no test named %q: the store has no tests yet", Clip(name))
	}
	names := make([]string, 0, len(tests))
	for _, t := range tests {
		names = append(names, fmt.Sprintf("%q", Clip(t.Name)))
	}
	return notFound("no test named %q (tests: %s)", Clip(name), strings.Join(names, ", "))
}

// Series answers a series request.
func (s *Service) Series(ctx context.Context, r Request) (SeriesAnswer, error) {
	return cached(ctx, s, "series", r, func(ctx context.Context) (SeriesAnswer, error) { return s.series(ctx, r) })
}

// series is Series without the cache.
func (s *Service) series(ctx context.Context, r Request) (SeriesAnswer, error) {
	points, err := s.store.Series(ctx, r.Query)
	if err == nil {
		err = s.zeroErr(ctx, len(points) == 0, r.Query, false)
	}
	if err != nil {
		return SeriesAnswer{}, err
	}
	return newSeriesAnswer(r.Query, points), nil
}

// DeadLetters answers a dead-letters request.
func (s *Service) DeadLetters(ctx context.Context, r Request) (DeadLettersAnswer, error) {
	return cached(ctx, s, "deadLetters", r, func(ctx context.Context) (DeadLettersAnswer, error) { return s.deadLetters(ctx, r) })
}

// deadLetters is DeadLetters without the cache.
func (s *Service) deadLetters(ctx context.Context, r Request) (DeadLettersAnswer, error) {
	dls, err := s.store.DeadLetters(ctx, r.Source, r.Limit)
	if err != nil {
		return DeadLettersAnswer{}, err
	}
	return newDeadLettersAnswer(dls), nil
}

// Status answers the store's status; ingest is the live pipeline of the process, nil
// without one.
func (s *Service) Status(ctx context.Context, ingest *IngestStatus) (StatusAnswer, error) {
	st, err := s.store.Status(ctx)
	if err != nil {
		return StatusAnswer{}, err
	}
	return newStatusAnswer(st, ingest), nil
}
