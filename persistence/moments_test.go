package persistence_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func withSquares(n int64, v, sq string) messages.Counter {
	return messages.Counter{Count: n, Value: dec(v), Squares: decimal.NewNullDecimal(dec(sq))}
}

func assertMoments(t *testing.T, count int64, sum, squares string, got persistence.Moments, msg string) {
	t.Helper()
	assert.Equal(t, count, got.Count, msg)
	assertDec(t, sum, got.Sum, msg)
	if squares == "" {
		assert.False(t, got.Squares.Valid, "%s: squares %s", msg, got.Squares.Decimal)
		return
	}
	if assert.True(t, got.Squares.Valid, msg) {
		assertDec(t, squares, got.Squares.Decimal, msg)
	}
}

// squaresEpochs commits two epochs of counters with value squares: in "all", in two
// cohort days, on two sites, and in a calendar day rollup that keeps no squares.
func squaresEpochs(t *testing.T, st *persistence.Store) {
	t.Helper()
	ctx := context.Background()
	e := epoch(1)
	d := e.Deltas
	d.AddConversion(conv("revenue", "all", "0", 1), withSquares(2, "7.5", "31.25"))
	d.AddConversion(conv("revenue", "all", "0", 2), withSquares(1, "-2", "4"))
	d.AddConversion(conv("revenue", "cohort", "86400", 1), withSquares(1, "5", "25"))
	d.AddConversion(conv("revenue", "cohort", "172800", 1), withSquares(1, "2.5", "6.25"))
	d.AddConversion(conv("revenue", "pst_day", "86400", 1), counter(2, "7.5"))
	d.AddConversion(conv("signup", "all", "0", 1), withSquares(3, "0", "0"))
	d.AddImpression(imp("t", "A", "all", "0", 1), 4)
	d.AddImpression(imp("t", "B", "all", "0", 1), 3)
	d.AddImpression(imp("t", "A", "cohort", "86400", 1), 2)
	d.AddVariantConversion(vconv("revenue", "t", "A", "all", "0", 1), withSquares(1, "5", "25"))
	d.AddVariantConversion(vconv("revenue", "t", "B", "all", "0", 1), withSquares(1, "2.5", "6.25"))
	d.AddVariantConversion(vconv("revenue", "t", "A", "pst_day", "86400", 1), counter(1, "5"))
	d.AddVariantConversion(vconv("revenue", "u", "A", "all", "0", 1), withSquares(1, "1", "1"))
	require.NoError(t, st.CommitEpoch(ctx, e))

	// A later epoch: the visitor of A adds 1 to its total 5 (squares grow by 36 − 25),
	// a new visitor of B converts with −1.5.
	e = epoch(2)
	d = e.Deltas
	d.AddConversion(conv("revenue", "all", "0", 1), withSquares(1, "-0.5", "13.25"))
	d.AddConversion(conv("revenue", "cohort", "86400", 1), withSquares(0, "1", "11"))
	d.AddVariantConversion(vconv("revenue", "t", "A", "all", "0", 1), withSquares(0, "1", "11"))
	d.AddVariantConversion(vconv("revenue", "t", "B", "all", "0", 1), withSquares(1, "-1.5", "2.25"))
	require.NoError(t, st.CommitEpoch(ctx, e))
}

func TestMoments(t *testing.T) {
	t.Parallel()
	st := pgtest.NewStore(t)
	ctx := context.Background()
	squaresEpochs(t, st)

	goals, err := st.ConversionMoments(ctx, persistence.MomentsQuery{})
	require.NoError(t, err)
	require.Len(t, goals, 2)
	assert.Equal(t, "revenue", goals[0].Goal)
	assertMoments(t, 4, "5", "48.5", goals[0].Moments, "revenue, all sites")
	assert.Equal(t, "signup", goals[1].Goal)
	assertMoments(t, 3, "0", "0", goals[1].Moments, "signup: counted, no values")

	site := int64(1)
	goals, err = st.ConversionMoments(ctx, persistence.MomentsQuery{Site: &site, Goals: []string{"revenue", "unknown"}})
	require.NoError(t, err)
	require.Len(t, goals, 1)
	assertMoments(t, 3, "7", "44.5", goals[0].Moments, "revenue, site 1")

	// A cohort range sums the visitors who arrived in it.
	for _, c := range []struct {
		first, last int64
		count       int64
		sum, sq     string
	}{{0, 86400, 1, "6", "36"}, {86400, 172800, 2, "8.5", "42.25"}, {172800, 1 << 40, 1, "2.5", "6.25"}} {
		goals, err = st.ConversionMoments(ctx, persistence.MomentsQuery{Rollup: "cohort", Range: &persistence.BucketRange{First: c.first, Last: c.last}})
		require.NoError(t, err)
		require.Len(t, goals, 1)
		assertMoments(t, c.count, c.sum, c.sq, goals[0].Moments, "cohort range")
	}
	goals, err = st.ConversionMoments(ctx, persistence.MomentsQuery{Rollup: "cohort", Bucket: "86400"})
	require.NoError(t, err)
	assertMoments(t, 1, "6", "36", goals[0].Moments, "one cohort day")

	// A calendar rollup keeps no squares: they are not valid, never a silent 0.
	goals, err = st.ConversionMoments(ctx, persistence.MomentsQuery{Rollup: "pst_day", Bucket: "86400"})
	require.NoError(t, err)
	assertMoments(t, 2, "7.5", "", goals[0].Moments, "pst_day")

	vs, err := st.TestMoments(ctx, "t", persistence.MomentsQuery{})
	require.NoError(t, err)
	require.Len(t, vs, 2)
	assert.Equal(t, [2]string{"A", "revenue"}, [2]string{vs[0].Population, vs[0].Goal})
	assertMoments(t, 1, "6", "36", vs[0].Moments, "t/A")
	assert.Equal(t, [2]string{"B", "revenue"}, [2]string{vs[1].Population, vs[1].Goal})
	assertMoments(t, 2, "1", "8.5", vs[1].Moments, "t/B")
	vs, err = st.TestMoments(ctx, "t", persistence.MomentsQuery{Rollup: "pst_day", Bucket: "86400"})
	require.NoError(t, err)
	require.Len(t, vs, 1)
	assertMoments(t, 1, "5", "", vs[0].Moments, "t/A by pst_day")

	exp, err := st.Exposures(ctx, "t", persistence.MomentsQuery{Goals: []string{"ignored"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"A": 4, "B": 3}, exp)
	exp, err = st.Exposures(ctx, "t", persistence.MomentsQuery{Rollup: "cohort", Range: &persistence.BucketRange{First: 0, Last: 86400}})
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"A": 2}, exp)

	// TestCounts carries the squares too, known only where they are kept.
	tc, err := st.TestCounts(ctx, persistence.CountsQuery{Test: "t", Goals: []string{"revenue"}})
	require.NoError(t, err)
	require.Len(t, tc.Conversions, 2)
	for _, c := range tc.Conversions {
		assert.True(t, c.SquaresKnown, c.Population)
		assertDec(t, map[string]string{"A": "36", "B": "8.5"}[c.Population], c.Squares, c.Population)
	}
	tc, err = st.TestCounts(ctx, persistence.CountsQuery{Test: "t", Goals: []string{"revenue"}, Rollup: "pst_day"})
	require.NoError(t, err)
	require.Len(t, tc.Conversions, 1)
	assert.False(t, tc.Conversions[0].SquaresKnown)
	assert.True(t, tc.Conversions[0].Squares.IsZero())

	_, err = st.TestMoments(ctx, "", persistence.MomentsQuery{})
	assert.Error(t, err)
	_, err = st.ConversionMoments(ctx, persistence.MomentsQuery{Bucket: "0", Range: &persistence.BucketRange{}})
	assert.Error(t, err)
	_, err = st.ConversionMoments(ctx, persistence.MomentsQuery{Range: &persistence.BucketRange{First: 2, Last: 1}})
	assert.Error(t, err)
}

// TestSquaresOfCountersFromBeforeTheMigration upgrades a store whose counters were
// written before the value squares existed: those counters' squares are unknown (NULL)
// and stay so when more is added, while new counters have theirs.
func TestSquaresOfCountersFromBeforeTheMigration(t *testing.T) {
	t.Parallel()
	st := pgtest.NewStore(t)
	ctx := context.Background()
	// Take the store back to the schema before the squares migration, with one counter
	// of each table in it.
	exec := func(sql string, args ...any) {
		t.Helper()
		_, err := st.Pool().Exec(ctx, sql, args...)
		require.NoError(t, err)
	}
	tbl := func(name string) string { return `"` + st.Schema() + `".` + name }
	exec("ALTER TABLE " + tbl("conversions") + " DROP COLUMN value_squares")
	exec("ALTER TABLE " + tbl("variant_conversions") + " DROP COLUMN value_squares")
	exec("DELETE FROM " + tbl("schema_migrations") + " WHERE name LIKE '%\\_value\\_squares.sql'")
	exec("INSERT INTO " + tbl("conversions") + " VALUES ('revenue', 'all', '0', 1, 2, 7.5)")
	exec("INSERT INTO " + tbl("variant_conversions") + " VALUES ('revenue', 't', 'A', 'all', '0', 1, 1, 5)")
	require.NoError(t, st.Migrate(ctx))

	e := epoch(1)
	e.Deltas.AddConversion(conv("revenue", "all", "0", 1), withSquares(1, "1", "1"))
	e.Deltas.AddConversion(conv("revenue", "all", "0", 2), withSquares(1, "3", "9"))
	e.Deltas.AddVariantConversion(vconv("revenue", "t", "A", "all", "0", 1), withSquares(0, "1", "11"))
	e.Deltas.AddVariantConversion(vconv("revenue", "t", "B", "all", "0", 1), withSquares(1, "2", "4"))
	require.NoError(t, st.CommitEpoch(ctx, e))

	site1, site2 := int64(1), int64(2)
	goals, err := st.ConversionMoments(ctx, persistence.MomentsQuery{Site: &site1})
	require.NoError(t, err)
	assertMoments(t, 3, "8.5", "", goals[0].Moments, "a counter from before the migration")
	goals, err = st.ConversionMoments(ctx, persistence.MomentsQuery{Site: &site2})
	require.NoError(t, err)
	assertMoments(t, 1, "3", "9", goals[0].Moments, "a counter begun after it")
	goals, err = st.ConversionMoments(ctx, persistence.MomentsQuery{})
	require.NoError(t, err)
	assertMoments(t, 4, "11.5", "", goals[0].Moments, "a sum with an unknown part is unknown")
	vs, err := st.TestMoments(ctx, "t", persistence.MomentsQuery{})
	require.NoError(t, err)
	require.Len(t, vs, 2)
	assertMoments(t, 1, "6", "", vs[0].Moments, "t/A")
	assertMoments(t, 1, "2", "4", vs[1].Moments, "t/B")
}
