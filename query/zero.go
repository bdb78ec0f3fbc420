package query

import (
	"context"
	"slices"
	"strings"

	"github.com/manhattan-analytics/manhattan/persistence"
)

// explainZero checks, after an answer of zero, that the store has seen every name of
// q: a goal, test, population, rollup or bucket it has never seen is ErrNotFound
// naming what exists; nil means the zero is true (a complex goal within a variant is
// always 0: complex goals have no variant conversions). withBucket is false for a
// series, which has no bucket.
func (s *Service) explainZero(ctx context.Context, q persistence.Query, withBucket bool) error {
	c, err := s.store.Catalog(ctx, q)
	if err != nil {
		return err
	}
	goals := s.withComplex(c.Goals)
	if q.Goal != "" && !slices.ContainsFunc(goals, func(g persistence.GoalInfo) bool { return g.Name == q.Goal }) {
		return unknownGoalError(q.Goal, goals)
	}
	if q.Test != "" {
		if !c.TestKnown {
			return s.unknownTest(ctx, q.Test)
		}
		if !slices.Contains(c.Populations, q.Population) {
			return notFound("test %q has no population %q (populations: %s)", Clip(q.Test), Clip(q.Population), strings.Join(c.Populations, ", "))
		}
	}
	rollup, bucket := rollupOf(q), q.Bucket
	if bucket == "" {
		bucket = persistence.DefaultBucket
	}
	if !slices.Contains(c.Rollups, rollup) {
		return notFound("no rollup %q (rollups: %s)", Clip(rollup), strings.Join(c.Rollups, ", "))
	}
	if withBucket && !c.BucketKnown {
		more := ""
		if len(c.Buckets) == persistence.CatalogBuckets {
			more = ", …"
		}
		return notFound("rollup %q has no bucket %q (buckets: %s%s)", Clip(rollup), Clip(bucket), strings.Join(c.Buckets, ", "), more)
	}
	return nil
}

// zeroErr returns the explanation of an answer that is zero (see explainZero), or nil.
func (s *Service) zeroErr(ctx context.Context, zero bool, q persistence.Query, withBucket bool) error {
	if !zero {
		return nil
	}
	return s.explainZero(ctx, q, withBucket)
}
