package persistence

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/messages"
)

// QuotientPlaces is the number of decimal places a goal-value quotient is rounded to.
const QuotientPlaces = 20

// The defaults of Query.Rollup and Query.Bucket: all time, its only bucket.
const (
	DefaultRollup = "all"
	DefaultBucket = "0"
)

// Query selects counters: a goal, a test variant (Test and Population), or both; a rollup
// and bucket; and a site, or all sites summed when Site is nil.
type Query struct {
	Goal, Test, Population string
	Rollup, Bucket         string // "" means DefaultRollup, DefaultBucket
	Site                   *int64 // nil: the sum over all sites
}

// Point is one bucket of a series.
type Point struct {
	Bucket string
	Count  int64
	Value  decimal.Decimal
}

// TestInfo describes a split test.
type TestInfo struct {
	Name        string
	First, Last int64 // first and last impression timestamps (Unix seconds)
	Populations []string
}

// GoalInfo describes a goal: its value type ("", S, A, I, R) and format ("", N, C, P).
// A complex goal (docs/semantics.md) has neither, and no counts within test variants.
type GoalInfo struct {
	Name, ValueType, ValueFormat string
	Complex                      bool
}

func (q Query) normalize() (Query, error) {
	if q.Rollup == "" {
		q.Rollup = DefaultRollup
	}
	if q.Bucket == "" {
		q.Bucket = DefaultBucket
	}
	if (q.Test == "") != (q.Population == "") {
		return q, fmt.Errorf("query: a variant needs both a test and a population (got test %q, population %q)", q.Test, q.Population)
	}
	return q, nil
}

func (q Query) hasVariant() bool { return q.Test != "" }

// params collects bound parameters while SQL is assembled.
type params []any

func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// counterSource returns the FROM and WHERE clauses selecting the counters of goal (or, when
// goal is "", the impressions) for q's variant, rollup and site, and whether the table
// has values. With bucket set it selects that bucket only.
func (s *Store) counterSource(q Query, goal string, bucket bool, p *params) (from string, hasValue bool) {
	var b strings.Builder
	switch {
	case goal != "" && q.hasVariant():
		b.WriteString(s.t.variantConversions + " WHERE goal = " + p.add(goal) + " AND test = " + p.add(q.Test) + " AND population = " + p.add(q.Population))
		hasValue = true
	case goal != "":
		b.WriteString(s.t.conversions + " WHERE goal = " + p.add(goal))
		hasValue = true
	default:
		b.WriteString(s.t.impressions + " WHERE test = " + p.add(q.Test) + " AND population = " + p.add(q.Population))
	}
	b.WriteString(" AND rollup = " + p.add(q.Rollup))
	if bucket {
		b.WriteString(" AND bucket = " + p.add(q.Bucket))
	}
	if q.Site != nil {
		b.WriteString(" AND site = " + p.add(*q.Site))
	}
	return b.String(), hasValue
}

// totals returns the SQL of the summed count and value of goal's counters for q.
func (s *Store) totals(q Query, goal string, p *params) string {
	from, hasValue := s.counterSource(q, goal, true, p)
	value := "0::numeric"
	if hasValue {
		value = "coalesce(sum(value), 0)"
	}
	return "SELECT coalesce(sum(count), 0)::bigint AS count, " + value + " AS value FROM " + from
}

// Count returns how many visitors converted on q.Goal within q's variant (variant
// conversions), on q.Goal (conversions), or saw q's variant (impressions, when there is
// no goal), in q's rollup bucket and site.
func (s *Store) Count(ctx context.Context, q Query) (int64, error) {
	q, err := q.normalize()
	if err != nil {
		return 0, err
	}
	if q.Goal == "" && !q.hasVariant() {
		return 0, errors.New("count: give a goal, a variant (test and population), or both")
	}
	var p params
	var n int64
	var v pgtype.Numeric
	if err := s.pool.QueryRow(ctx, s.totals(q, q.Goal, &p), p...).Scan(&n, &v); err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}

// GoalValue returns q.Goal's value for q's variant, rollup bucket and site, by the goal's
// value type: none (or an unknown goal) → the count; S → the sum of values; A → sum ÷
// count; I, R and any other type → sum ÷ the count of "viewed page" for the same
// variant, bucket and site. A quotient with a zero divisor is 0; quotients are rounded
// to QuotientPlaces decimal places.
func (s *Store) GoalValue(ctx context.Context, q Query) (decimal.Decimal, error) {
	q, err := q.normalize()
	if err != nil {
		return decimal.Zero, err
	}
	if q.Goal == "" {
		return decimal.Zero, errors.New("goal value: no goal given")
	}
	var p params
	sql := "WITH g AS (" + s.totals(q, q.Goal, &p) + "), v AS (" + s.totals(q, messages.ViewedPage, &p) + ") " +
		"SELECT (SELECT value_type FROM " + s.t.goals + " WHERE name = " + p.add(q.Goal) + "), g.count, g.value, v.count FROM g, v"
	var (
		valueType *string
		n, views  int64
		sum       pgtype.Numeric
	)
	if err := s.pool.QueryRow(ctx, sql, p...).Scan(&valueType, &n, &sum, &views); err != nil {
		return decimal.Zero, fmt.Errorf("goal value of %q: %w", q.Goal, err)
	}
	total, err := fromNumeric(sum)
	if err != nil {
		return decimal.Zero, fmt.Errorf("goal value of %q: %w", q.Goal, err)
	}
	return GoalValueOf(valueType, n, total, views), nil
}

// GoalValueOf applies docs/semantics.md's goal_value rule to a goal's count and sum of values
// and the count of page views of the same selection. valueType is nil for an unknown
// goal.
func GoalValueOf(valueType *string, count int64, sum decimal.Decimal, views int64) decimal.Decimal {
	if valueType == nil || *valueType == messages.ValueNone {
		return decimal.NewFromInt(count)
	}
	divisor := views
	switch *valueType {
	case messages.ValueSum:
		return sum
	case messages.ValueAverage:
		divisor = count
	}
	if divisor == 0 {
		return decimal.Zero
	}
	return sum.DivRound(decimal.NewFromInt(divisor), QuotientPlaces)
}

// Tests returns every split test, the most recently seen (latest last timestamp) first,
// ties by name.
func (s *Store) Tests(ctx context.Context) ([]TestInfo, error) {
	rows, err := s.pool.Query(ctx, "SELECT name, first_ts, last_ts, populations FROM "+s.t.tests+
		` ORDER BY last_ts DESC, name COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("tests: %w", err)
	}
	tests, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TestInfo, error) {
		var t TestInfo
		err := row.Scan(&t.Name, &t.First, &t.Last, &t.Populations)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("tests: %w", err)
	}
	return tests, nil
}

// Goals returns every goal with its value type and format, by name: the goals of
// conversion records, and the complex goals, which have conversions but no records.
func (s *Store) Goals(ctx context.Context) ([]GoalInfo, error) {
	rows, err := s.pool.Query(ctx, s.goalsSQL(), DefaultRollup)
	if err != nil {
		return nil, fmt.Errorf("goals: %w", err)
	}
	goals, err := pgx.CollectRows(rows, scanGoal)
	if err != nil {
		return nil, fmt.Errorf("goals: %w", err)
	}
	return goals, nil
}

// scanGoal reads a row of goalsSQL.
func scanGoal(row pgx.CollectableRow) (GoalInfo, error) {
	var g GoalInfo
	err := row.Scan(&g.Name, &g.ValueType, &g.ValueFormat, &g.Complex)
	return g, err
}

// queueTest queues the reading of test's populations into *pops; *known is set when
// the test exists.
func (s *Store) queueTest(b *pgx.Batch, test string, known *bool, pops *[]string) {
	b.Queue("SELECT populations FROM "+s.t.tests+" WHERE name = $1", test).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			*known = true
			if err := rows.Scan(pops); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// goalsSQL lists the goals for Goals; $1 is DefaultRollup.
func (s *Store) goalsSQL() string {
	return "SELECT * FROM (SELECT name, value_type, value_format, false AS complex FROM " + s.t.goals +
		" UNION ALL SELECT DISTINCT c.goal, '', '', true FROM " + s.t.conversions + " c WHERE c.rollup = $1" +
		" AND NOT EXISTS (SELECT 1 FROM " + s.t.goals + ` g WHERE g.name = c.goal)) AS u ORDER BY name COLLATE "C"`
}

// Results returns, for each population of test, the GoalValue of every goal (in the
// order given) for that variant in the "all" rollup, at site or summed over all sites.
// An unknown test has no populations and gives an empty map.
func (s *Store) Results(ctx context.Context, test string, goals []string, site *int64) (map[string][]decimal.Decimal, error) {
	type totals struct {
		count int64
		sum   decimal.Decimal
	}
	var (
		pops       []string
		valueTypes = map[string]string{}
		found      = map[[2]string]totals{} // (goal, population) → totals
	)
	wanted := append(slices.Clone(goals), messages.ViewedPage)
	var siteFilter string
	args := []any{test, wanted, DefaultRollup, DefaultBucket}
	if site != nil {
		siteFilter = " AND site = $5"
		args = append(args, *site)
	}
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue("SELECT populations FROM "+s.t.tests+" WHERE name = $1", test).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				if err := rows.Scan(&pops); err != nil {
					return err
				}
			}
			return rows.Err()
		})
		b.Queue("SELECT name, value_type FROM "+s.t.goals+" WHERE name = ANY($1)", wanted).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var name, vt string
				if err := rows.Scan(&name, &vt); err != nil {
					return err
				}
				valueTypes[name] = vt
			}
			return rows.Err()
		})
		b.Queue("SELECT goal, population, sum(count)::bigint, sum(value) FROM "+s.t.variantConversions+
			" WHERE goal = ANY($2) AND test = $1 AND rollup = $3 AND bucket = $4"+siteFilter+
			" GROUP BY goal, population", args...).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var goal, pop string
				var n int64
				var v pgtype.Numeric
				if err := rows.Scan(&goal, &pop, &n, &v); err != nil {
					return err
				}
				sum, err := fromNumeric(v)
				if err != nil {
					return err
				}
				found[[2]string{goal, pop}] = totals{n, sum}
			}
			return rows.Err()
		})
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, fmt.Errorf("results of test %q: %w", test, err)
	}
	results := make(map[string][]decimal.Decimal, len(pops))
	for _, pop := range pops {
		views := found[[2]string{messages.ViewedPage, pop}].count
		values := make([]decimal.Decimal, len(goals))
		for i, g := range goals {
			var vt *string
			if t, ok := valueTypes[g]; ok {
				vt = &t
			}
			tot := found[[2]string{g, pop}]
			values[i] = GoalValueOf(vt, tot.count, tot.sum, views)
		}
		results[pop] = values
	}
	return results, nil
}

// Series returns every bucket of q.Rollup (q.Bucket is ignored) with its count and value:
// of q.Goal, within q's variant when one is given, or the impressions of q's variant when
// there is no goal. Buckets are ordered numerically when they are integers (days, weeks),
// those first, then the others by their bytes.
func (s *Store) Series(ctx context.Context, q Query) ([]Point, error) {
	q, err := q.normalize()
	if err != nil {
		return nil, err
	}
	if q.Goal == "" && !q.hasVariant() {
		return nil, errors.New("series: give a goal, a variant (test and population), or both")
	}
	var p params
	from, hasValue := s.counterSource(q, q.Goal, false, &p)
	value := "0::numeric"
	if hasValue {
		value = "sum(value)"
	}
	rows, err := s.pool.Query(ctx, "SELECT bucket, sum(count)::bigint, "+value+" FROM "+from+" GROUP BY bucket", p...)
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	points, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Point, error) {
		var pt Point
		var v pgtype.Numeric
		if err := row.Scan(&pt.Bucket, &pt.Count, &v); err != nil {
			return pt, err
		}
		pt.Value, err = fromNumeric(v)
		return pt, err
	})
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	slices.SortFunc(points, func(a, b Point) int { return CompareBuckets(a.Bucket, b.Bucket) })
	return points, nil
}

// CompareBuckets orders integer buckets numerically before all others, which are
// ordered by their bytes: the order of Series.
func CompareBuckets(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		return cmp.Compare(x, y)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}
