package integration

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// TestMomentsMatchTheSequentialOracle reads the moments of every goal and test population
// (counts, value sums, value squares) back from PostgreSQL after a sharded run, for all
// time and for cohort ranges, and compares them with the sums of the sequential oracle's
// counters.
func TestMomentsMatchTheSequentialOracle(t *testing.T) {
	rules := generatedRules(t)
	base := generate(t, 40_000, 16)
	acc, _ := sequentialAccumulator(t, rules, base)
	store := pgtest.NewStore(t)
	_, err := actors.Run(t.Context(), actors.Config{
		Store: store, Rules: rules, LogBase: base, Shards: 3, FlushEvery: 3000,
		FlushInterval: time.Hour,
	}, ingest.Events{})
	require.NoError(t, err)
	ctx := t.Context()

	var cohorts []int64 // the cohort days seen
	for k := range acc.Deltas().Conversions {
		if k.Rollup == "cohort_day" {
			b, err := strconv.ParseInt(k.Bucket, 10, 64)
			require.NoError(t, err)
			cohorts = append(cohorts, b)
		}
	}
	require.NotEmpty(t, cohorts)
	first, last := cohorts[0], cohorts[0]
	for _, c := range cohorts {
		first, last = min(first, c), max(last, c)
	}
	// Every visitor lands in one cohort per goal and site: all the cohorts together are
	// the all-time answers, squares included.
	all, err := store.ConversionMoments(ctx, persistence.MomentsQuery{})
	require.NoError(t, err)
	cohortsAll, err := store.ConversionMoments(ctx, persistence.MomentsQuery{Rollup: "cohort_day", Range: &persistence.BucketRange{First: first, Last: last}})
	require.NoError(t, err)
	require.Equal(t, len(all), len(cohortsAll))
	for i := range all {
		require.Equal(t, all[i].Goal, cohortsAll[i].Goal)
		require.Equal(t, all[i].Count, cohortsAll[i].Count, all[i].Goal)
		require.True(t, all[i].Sum.Equal(cohortsAll[i].Sum), all[i].Goal)
		require.True(t, all[i].Squares.Valid && cohortsAll[i].Squares.Valid, all[i].Goal)
		require.True(t, all[i].Squares.Decimal.Equal(cohortsAll[i].Squares.Decimal), all[i].Goal)
	}

	site := int64(2)
	cases := []struct {
		name string
		q    persistence.MomentsQuery
		in   func(string) bool
	}{
		{"all", persistence.MomentsQuery{}, func(b string) bool { return b == "0" }},
		{"all at site 2", persistence.MomentsQuery{Site: &site}, func(b string) bool { return b == "0" }},
		{"cohorts but the last", persistence.MomentsQuery{Rollup: "cohort_day", Range: &persistence.BucketRange{First: first, Last: last - 1}},
			func(b string) bool { n, _ := strconv.ParseInt(b, 10, 64); return n < last }},
		{"pst_day, without squares", persistence.MomentsQuery{Rollup: "pst_day", Bucket: strconv.FormatInt(first, 10)},
			func(b string) bool { return b == strconv.FormatInt(first, 10) }},
	}
	for _, c := range cases {
		rollup := c.q.Rollup
		if rollup == "" {
			rollup = "all"
		}
		want := reference.ConversionMoments(acc.Deltas(), rollup, c.in, c.q.Site)
		require.NotEmpty(t, want, c.name)
		goals, err := store.ConversionMoments(ctx, c.q)
		require.NoError(t, err)
		got := map[string]persistence.Moments{}
		for _, g := range goals {
			got[g.Goal] = g.Moments
		}
		requireSameMoments(t, want, got, c.name)

		tests, err := store.Tests(ctx)
		require.NoError(t, err)
		require.NotEmpty(t, tests)
		for _, test := range tests {
			want := reference.TestMoments(acc.Deltas(), test.Name, rollup, c.in, c.q.Site)
			vs, err := store.TestMoments(ctx, test.Name, c.q)
			require.NoError(t, err)
			got := map[[2]string]persistence.Moments{}
			for _, v := range vs {
				got[[2]string{v.Population, v.Goal}] = v.Moments
			}
			requireSameMoments(t, want, got, c.name+" "+test.Name)
		}
	}
}

func requireSameMoments[K comparable](t *testing.T, want map[K]reference.Moments, got map[K]persistence.Moments, name string) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			require.True(t, w.Count == 0 && w.Sum.IsZero() && w.Squares.Decimal.IsZero(), "%s %v: not in the store", name, k)
			continue
		}
		require.Equal(t, w.Count, g.Count, "%s %v", name, k)
		require.True(t, w.Sum.Equal(g.Sum), "%s %v: sum %s != %s", name, k, w.Sum, g.Sum)
		require.Equal(t, w.Squares.Valid, g.Squares.Valid, "%s %v: squares kept", name, k)
		require.True(t, w.Squares.Decimal.Equal(g.Squares.Decimal), "%s %v: squares %s != %s", name, k, w.Squares.Decimal, g.Squares.Decimal)
	}
	for k := range got {
		_, ok := want[k]
		require.True(t, ok, "%s %v: not in the oracle", name, k)
	}
}
