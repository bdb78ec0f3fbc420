package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/manhattan-analytics/manhattan/persistence"
)

var selectionParams = []string{"goal", "test", "population", "rollup", "bucket", "site"}

func (s *Server) count(ctx context.Context, r *http.Request) (any, error) {
	v, err := values(r, selectionParams)
	if err != nil {
		return nil, err
	}
	q, err := selection(v)
	if err != nil {
		return nil, err
	}
	if q.Goal == "" && q.Test == "" {
		return nil, badRequest("give a goal, a variant (test and population), or both")
	}
	n, err := s.store.Count(ctx, q)
	if err != nil {
		return nil, err
	}
	return CountAnswer{Selection: NewSelection(q), Count: n}, nil
}

func (s *Server) value(ctx context.Context, r *http.Request) (any, error) {
	v, err := values(r, selectionParams)
	if err != nil {
		return nil, err
	}
	q, err := selection(v)
	if err != nil {
		return nil, err
	}
	if q.Goal == "" {
		return nil, badRequest("parameter goal is required")
	}
	d, err := s.store.GoalValue(ctx, q)
	if err != nil {
		return nil, err
	}
	return ValueAnswer{Selection: NewSelection(q), Value: d.String()}, nil
}

func (s *Server) tests(ctx context.Context, r *http.Request) (any, error) {
	if _, err := values(r, nil); err != nil {
		return nil, err
	}
	tests, err := s.store.Tests(ctx)
	if err != nil {
		return nil, err
	}
	return NewTestsAnswer(tests), nil
}

func (s *Server) goals(ctx context.Context, r *http.Request) (any, error) {
	if _, err := values(r, nil); err != nil {
		return nil, err
	}
	goals, err := s.store.Goals(ctx)
	if err != nil {
		return nil, err
	}
	return NewGoalsAnswer(goals), nil
}

func (s *Server) results(ctx context.Context, r *http.Request) (any, error) {
	v, err := values(r, []string{"test", "goals", "site"}, "goals")
	if err != nil {
		return nil, err
	}
	test := v.Get("test")
	if test == "" {
		return nil, badRequest("parameter test is required")
	}
	site, err := ParseSite(v.Get("site"))
	if err != nil {
		return nil, badRequest("%v", err)
	}
	goals, err := SplitGoals(v["goals"], s.opts.MaxGoals)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	if len(goals) == 0 {
		if goals, err = AllGoals(ctx, s.store); err != nil {
			return nil, err
		}
	}
	res, err := s.store.Results(ctx, test, goals, site)
	if err != nil {
		return nil, err
	}
	if len(res) == 0 {
		return nil, &requestError{status: http.StatusNotFound, msg: fmt.Sprintf("no test named %q", clip(test))}
	}
	return NewResultsAnswer(test, goals, site, res), nil
}

// AllGoals returns the names of every goal of the store, by name: the goals of a results
// request that names none.
func AllGoals(ctx context.Context, store *persistence.Store) ([]string, error) {
	infos, err := store.Goals(ctx)
	if err != nil {
		return nil, err
	}
	goals := make([]string, 0, len(infos))
	for _, g := range infos {
		goals = append(goals, g.Name)
	}
	return goals, nil
}

func (s *Server) series(ctx context.Context, r *http.Request) (any, error) {
	v, err := values(r, selectionParams)
	if err != nil {
		return nil, err
	}
	if v.Has("bucket") {
		return nil, badRequest("a series has every bucket of its rollup: drop the bucket parameter")
	}
	q, err := selection(v)
	if err != nil {
		return nil, err
	}
	if q.Goal == "" && q.Test == "" {
		return nil, badRequest("give a goal, a variant (test and population), or both")
	}
	points, err := s.store.Series(ctx, q)
	if err != nil {
		return nil, err
	}
	return NewSeriesAnswer(q, points), nil
}

func (s *Server) deadLetters(ctx context.Context, r *http.Request) (any, error) {
	v, err := values(r, []string{"source", "limit"})
	if err != nil {
		return nil, err
	}
	limit := 100
	if l := v.Get("limit"); l != "" {
		limit, err = strconv.Atoi(l)
		if err != nil || limit < 1 || limit > MaxDeadLetters {
			return nil, badRequest("limit must be an integer from 1 to %d, not %q", MaxDeadLetters, clip(l))
		}
	}
	dls, err := s.store.DeadLetters(ctx, v.Get("source"), limit)
	if err != nil {
		return nil, err
	}
	return NewDeadLettersAnswer(dls), nil
}

func (s *Server) status(ctx context.Context, r *http.Request) (any, error) {
	if _, err := values(r, nil); err != nil {
		return nil, err
	}
	st, err := s.store.Status(ctx)
	if err != nil {
		return nil, err
	}
	if s.opts.Ingest != nil {
		stats := s.opts.Ingest()
		return NewStatusAnswer(st, &stats), nil
	}
	return NewStatusAnswer(st, nil), nil
}
