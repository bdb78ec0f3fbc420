package query

import (
	"context"
	"slices"

	"github.com/manhattan-analytics/manhattan/persistence"
)

// OverTime answers the analysis of a test over time: r.Query.Rollup must be a cohort
// rollup (first_day:ZONE, first_week:ZONE), and the answer has one segment per cohort
// (bucket, in order) holding the analysis of every visitor who arrived up to and
// including that cohort. Each visitor is in one cohort, so the rates never pass 100%
// and the last segment is the analysis of every visitor of the range (of all time
// without From and To).
func (s *Service) OverTime(ctx context.Context, r Request) (AnalysisAnswer, error) {
	tc, cfg, goals, err := s.testCounts(ctx, Request{Query: r.Query, Goals: r.Goals, Breakdown: true, From: r.From, To: r.To}, true)
	if err != nil {
		return AnalysisAnswer{}, err
	}
	if len(tc.Impressions) == 0 {
		return AnalysisAnswer{}, notFound("test %q has no counts in rollup %q%s", Clip(r.Query.Test), Clip(r.Query.Rollup), rangeText(r))
	}
	if !slices.ContainsFunc(tc.Conversions, func(c persistence.VariantCount) bool { return c.SquaresKnown }) {
		// Only per-visitor rollups keep value squares; the days of activity of another
		// would count a visitor once per day.
		return AnalysisAnswer{}, invalid("rollup %q is not a cohort rollup (first_day:ZONE, first_week:ZONE): its buckets cannot be summed", Clip(r.Query.Rollup))
	}
	a := AnalysisAnswer{
		Test: r.Query.Test, Site: r.Query.Site, Rollup: rollupOf(r.Query), Breakdown: true, Cohort: true,
		From: r.From, To: r.To, Config: cfg, Goals: goals,
	}
	buckets := bucketsOf(tc)
	upTo := persistence.TestCounts{Known: tc.Known, Populations: tc.Populations, Goals: tc.Goals, Config: tc.Config, Configured: tc.Configured}
	imps, convs := tc.Impressions, tc.Conversions
	for _, b := range buckets {
		// Move the counts of cohort b into upTo: every earlier cohort is there already.
		imps = moveBucket(imps, &upTo.Impressions, b, func(c persistence.ImpressionCount) string { return c.Bucket })
		convs = moveBucket(convs, &upTo.Conversions, b, func(c persistence.VariantCount) string { return c.Bucket })
		a.Segments = append(a.Segments, analyzeSegment(b, analysisInput(upTo, cfg, goals, "")))
	}
	return a, nil
}

// moveBucket appends the elements of src in bucket b to dst and returns the others.
func moveBucket[T any](src []T, dst *[]T, b string, bucket func(T) string) []T {
	rest := src[:0:0]
	for _, c := range src {
		if bucket(c) == b {
			*dst = append(*dst, c)
		} else {
			rest = append(rest, c)
		}
	}
	return rest
}
