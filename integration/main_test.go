package integration

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func TestMain(m *testing.M) {
	if code, ok := runIngestChild(); ok {
		os.Exit(code)
	}
	os.Exit(pgtest.Run(m))
}

// storeAnswerer answers the reference queries from PostgreSQL.
type storeAnswerer struct {
	ctx   context.Context
	store *persistence.Store
}

func pq(q reference.Query) persistence.Query {
	return persistence.Query{Goal: q.Goal, Test: q.Test, Population: q.Population, Rollup: q.Rollup, Bucket: q.Bucket, Site: q.Site}
}

func (a storeAnswerer) Count(q reference.Query) (int64, error) { return a.store.Count(a.ctx, pq(q)) }

func (a storeAnswerer) GoalValue(q reference.Query) (decimal.Decimal, error) {
	return a.store.GoalValue(a.ctx, pq(q))
}

func (a storeAnswerer) Tests() ([]reference.TestInfo, error) {
	ts, err := a.store.Tests(a.ctx)
	out := make([]reference.TestInfo, 0, len(ts))
	for _, t := range ts {
		out = append(out, reference.TestInfo{Name: t.Name, First: t.First, Last: t.Last, Populations: t.Populations})
	}
	return out, err
}

func (a storeAnswerer) Results(test string, goals []string, site *int64) (map[string][]decimal.Decimal, error) {
	return a.store.Results(a.ctx, test, goals, site)
}

// dump reads every committed counter and all metadata back as deltas, so that a whole
// database can be compared with an in-memory result.
func dump(t testing.TB, s *persistence.Store) *messages.Deltas {
	t.Helper()
	ctx := t.Context()
	d := messages.NewDeltas()
	tbl := func(name string) string { return pgx.Identifier{s.Schema(), name}.Sanitize() }
	q := func(sql string, scan func(pgx.Rows) error) {
		rows, err := s.Pool().Query(ctx, sql)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			require.NoError(t, scan(rows))
		}
		require.NoError(t, rows.Err())
	}
	q("SELECT goal, rollup, bucket, site, count, value::text, value_squares::text FROM "+tbl("conversions"), func(r pgx.Rows) error {
		var k messages.ConversionKey
		var c messages.Counter
		var v string
		var sq *string
		if err := r.Scan(&k.Goal, &k.Rollup, &k.Bucket, &k.Site, &c.Count, &v, &sq); err != nil {
			return err
		}
		c.Value, c.Squares = decimal.RequireFromString(v), nullDecimal(sq)
		d.Conversions[k] = c
		return nil
	})
	q("SELECT test, population, rollup, bucket, site, count FROM "+tbl("impressions"), func(r pgx.Rows) error {
		var k messages.ImpressionKey
		var n int64
		if err := r.Scan(&k.Test, &k.Population, &k.Rollup, &k.Bucket, &k.Site, &n); err != nil {
			return err
		}
		d.Impressions[k] = n
		return nil
	})
	q("SELECT goal, test, population, rollup, bucket, site, count, value::text, value_squares::text FROM "+tbl("variant_conversions"), func(r pgx.Rows) error {
		var k messages.VariantConversionKey
		var c messages.Counter
		var v string
		var sq *string
		if err := r.Scan(&k.Goal, &k.Test, &k.Population, &k.Rollup, &k.Bucket, &k.Site, &c.Count, &v, &sq); err != nil {
			return err
		}
		c.Value, c.Squares = decimal.RequireFromString(v), nullDecimal(sq)
		d.VariantConversions[k] = c
		return nil
	})
	q("SELECT name, first_ts, last_ts, populations FROM "+tbl("tests"), func(r pgx.Rows) error {
		var name string
		var m messages.TestMeta
		var pops []string
		if err := r.Scan(&name, &m.First, &m.Last, &pops); err != nil {
			return err
		}
		m.Populations = map[string]struct{}{}
		for _, p := range pops {
			m.Populations[p] = struct{}{}
		}
		d.Tests[name] = m
		return nil
	})
	q("SELECT name, value_type, value_format, at_file, at_offset FROM "+tbl("goals"), func(r pgx.Rows) error {
		var name string
		var m messages.GoalMeta
		if err := r.Scan(&name, &m.ValueType, &m.ValueFormat, &m.At.File, &m.At.Offset); err != nil {
			return err
		}
		d.Goals[name] = m
		return nil
	})
	return d
}

// nullDecimal reads a numeric column's text; NULL is not valid.
func nullDecimal(s *string) decimal.NullDecimal {
	if s == nil {
		return decimal.NullDecimal{}
	}
	return decimal.NewNullDecimal(decimal.RequireFromString(*s))
}

// canonical renders deltas for comparison (see reference.CanonicalNonZero).
func canonical(d *messages.Deltas) []string { return reference.CanonicalNonZero(d) }
