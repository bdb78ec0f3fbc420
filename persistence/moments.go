package persistence

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// Moments are the sums over visitors that inference on a goal needs: how many visitors
// converted (Count), the sum of their values (Sum), and the sum of the squares of each
// visitor's total value (Squares). Squares is valid only where it is known: in the
// counters of per-visitor rollups (all time, cohorts) that were all written after the
// squares were kept; it is not valid as soon as one counter summed lacks them.
type Moments struct {
	Count   int64
	Sum     decimal.Decimal
	Squares decimal.NullDecimal
}

// MomentsQuery selects the counters that Moments are summed over: a rollup ("" means
// DefaultRollup), and either one bucket (Bucket, "" means DefaultBucket) or, with
// Range, every integer bucket from First to Last inclusive (a cohort range: the
// visitors who arrived from the period starting at First to the one starting at Last);
// a site, or every site summed when Site is nil; and the goals (nil: every goal).
type MomentsQuery struct {
	Rollup string
	Bucket string
	Range  *BucketRange
	Site   *int64
	Goals  []string
}

// BucketRange is an inclusive range of integer buckets (Unix seconds of period starts).
type BucketRange struct{ First, Last int64 }

// GoalMoments are the moments of one goal's conversions.
type GoalMoments struct {
	Goal string
	Moments
}

// VariantMoments are the moments of one goal's conversions within one test population.
type VariantMoments struct {
	Test, Population, Goal string
	Moments
}

// where returns the WHERE clause selecting q's counters (and, when test is not "",
// those of that test).
func (q MomentsQuery) where(test string, p *params) (string, error) {
	rollup, bucket := q.Rollup, q.Bucket
	if rollup == "" {
		rollup = DefaultRollup
	}
	var b strings.Builder
	b.WriteString(" WHERE rollup = " + p.add(rollup))
	switch {
	case q.Range != nil && bucket != "":
		return "", errors.New("moments: give a bucket or a bucket range, not both")
	case q.Range != nil:
		if q.Range.First > q.Range.Last {
			return "", fmt.Errorf("moments: bucket range %d to %d is empty", q.Range.First, q.Range.Last)
		}
		// Only integer buckets are compared; the CASE keeps others from being cast.
		b.WriteString(` AND CASE WHEN bucket ~ '^-?[0-9]{1,18}$' THEN bucket::bigint END BETWEEN ` +
			p.add(q.Range.First) + " AND " + p.add(q.Range.Last))
	default:
		if bucket == "" {
			bucket = DefaultBucket
		}
		b.WriteString(" AND bucket = " + p.add(bucket))
	}
	if q.Site != nil {
		b.WriteString(" AND site = " + p.add(*q.Site))
	}
	if q.Goals != nil {
		b.WriteString(" AND goal = ANY(" + p.add(q.Goals) + ")")
	}
	if test != "" {
		b.WriteString(" AND test = " + p.add(test))
	}
	return b.String(), nil
}

// squaresSum sums value squares; NULL when one of the summed counters has none.
const squaresSum = "CASE WHEN count(value_squares) = count(*) THEN sum(value_squares) END"

// momentsColumns sums count, value and value squares.
const momentsColumns = "sum(count)::bigint, coalesce(sum(value), 0), " + squaresSum

// ConversionMoments returns the moments of every goal's conversions selected by q, by
// goal name. Goals without a counter are absent.
func (s *Store) ConversionMoments(ctx context.Context, q MomentsQuery) ([]GoalMoments, error) {
	var p params
	where, err := q.where("", &p)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, "SELECT goal, "+momentsColumns+" FROM "+s.t.conversions+where+
		` GROUP BY goal ORDER BY goal COLLATE "C"`, p...)
	if err != nil {
		return nil, fmt.Errorf("conversion moments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (GoalMoments, error) {
		var g GoalMoments
		var sum, sq pgtype.Numeric
		if err := row.Scan(&g.Goal, &g.Count, &sum, &sq); err != nil {
			return g, err
		}
		return g, g.Moments.set(sum, sq)
	})
	if err != nil {
		return nil, fmt.Errorf("conversion moments: %w", err)
	}
	return out, nil
}

// TestMoments returns the moments of every goal's conversions within each population of
// test selected by q, by population and goal name. Pairs without a counter are absent.
func (s *Store) TestMoments(ctx context.Context, test string, q MomentsQuery) ([]VariantMoments, error) {
	if test == "" {
		return nil, errors.New("test moments: no test given")
	}
	var p params
	where, err := q.where(test, &p)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, "SELECT population, goal, "+momentsColumns+" FROM "+s.t.variantConversions+where+
		` GROUP BY population, goal ORDER BY population COLLATE "C", goal COLLATE "C"`, p...)
	if err != nil {
		return nil, fmt.Errorf("moments of test %q: %w", test, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (VariantMoments, error) {
		v := VariantMoments{Test: test}
		var sum, sq pgtype.Numeric
		if err := row.Scan(&v.Population, &v.Goal, &v.Count, &sum, &sq); err != nil {
			return v, err
		}
		return v, v.Moments.set(sum, sq)
	})
	if err != nil {
		return nil, fmt.Errorf("moments of test %q: %w", test, err)
	}
	return out, nil
}

// set fills the value sum and squares from their numerics.
func (m *Moments) set(sum, squares pgtype.Numeric) error {
	var err error
	if m.Sum, err = fromNumeric(sum); err != nil {
		return err
	}
	if squares.Valid {
		m.Squares.Valid = true
		m.Squares.Decimal, err = fromNumeric(squares)
	}
	return err
}

// Exposures returns the impressions of each population of test in q's rollup buckets and
// site (q.Goals does not apply): the visitors exposed to each variant, the denominators
// of values per exposed visitor. Populations without a counter are absent.
func (s *Store) Exposures(ctx context.Context, test string, q MomentsQuery) (map[string]int64, error) {
	if test == "" {
		return nil, errors.New("exposures: no test given")
	}
	q.Goals = nil
	var p params
	where, err := q.where(test, &p)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, "SELECT population, sum(count)::bigint FROM "+s.t.impressions+where+" GROUP BY population", p...)
	if err != nil {
		return nil, fmt.Errorf("exposures of test %q: %w", test, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var pop string
		var n int64
		if err := rows.Scan(&pop, &n); err != nil {
			return nil, fmt.Errorf("exposures of test %q: %w", test, err)
		}
		out[pop] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("exposures of test %q: %w", test, err)
	}
	return out, nil
}
