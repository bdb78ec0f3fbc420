package dashboard

import (
	"context"
	"errors"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/persistence"
)

// fakeSource is an in-memory source: impressions and conversions per
// (goal, test, population, rollup, bucket); site is ignored.
type fakeSource struct {
	tests  []persistence.TestInfo
	goals  []persistence.GoalInfo
	counts map[[5]string]int64                   // goal ("" for impressions), test, population, rollup, bucket
	values map[string]map[string]decimal.Decimal // test → population → value of every goal
	err    error                                 // returned by every method when set
}

func newFake() *fakeSource {
	return &fakeSource{counts: map[[5]string]int64{}, values: map[string]map[string]decimal.Decimal{}}
}

func (f *fakeSource) set(goal, test, pop, rollup, bucket string, n int64) {
	f.counts[[5]string{goal, test, pop, rollup, bucket}] = n
}

func (f *fakeSource) Tests(context.Context) ([]persistence.TestInfo, error) { return f.tests, f.err }
func (f *fakeSource) Goals(context.Context) ([]persistence.GoalInfo, error) { return f.goals, f.err }

func (f *fakeSource) Count(_ context.Context, q persistence.Query) (int64, error) {
	rollup, bucket := q.Rollup, q.Bucket
	if rollup == "" {
		rollup, bucket = "all", "0"
	}
	return f.counts[[5]string{q.Goal, q.Test, q.Population, rollup, bucket}], f.err
}

func (f *fakeSource) Results(_ context.Context, test string, goals []string, _ *int64) (map[string][]decimal.Decimal, error) {
	out := map[string][]decimal.Decimal{}
	for pop, v := range f.values[test] {
		for range goals {
			out[pop] = append(out[pop], v)
		}
	}
	return out, f.err
}

func (f *fakeSource) Series(_ context.Context, q persistence.Query) ([]persistence.Point, error) {
	var points []persistence.Point
	for k, n := range f.counts {
		if k[0] == q.Goal && k[1] == q.Test && k[2] == q.Population && k[3] == q.Rollup {
			points = append(points, persistence.Point{Bucket: k[4], Count: n})
		}
	}
	return points, f.err
}

var errStore = errors.New("store unavailable: connection refused to 10.0.0.7")

func day(i int) string { return strconv.Itoa(1362643200 + i*86400) }
