package persistence

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/messages"
)

// CountsQuery selects the counters of one test that its analysis needs.
type CountsQuery struct {
	Test string
	// Goals to read (messages.ViewedPage is always read too); nil reads every goal.
	Goals []string
	// Rollup is the rollup read ("" means DefaultRollup); every bucket of it is
	// returned unless Bucket is set.
	Rollup, Bucket string
	// From and To, when set, keep only the integer buckets within [From, To] (day and
	// week buckets are Unix seconds).
	From, To *int64
	Site     *int64 // nil: the sum over all sites
}

// TestCounts are the counters of a test, per population and bucket, with what the
// analysis needs to interpret them, read from one snapshot.
type TestCounts struct {
	Known       bool       // the test exists
	Populations []string   // the test's populations, by name
	Goals       []GoalInfo // every goal of the store, as Goals gives them
	Config      TestConfig // the stored configuration of the test
	Configured  bool       // whether there is one
	Impressions []ImpressionCount
	Conversions []VariantCount // of the goals asked for and messages.ViewedPage
}

// ImpressionCount is the number of a population's visitors in a bucket.
type ImpressionCount struct {
	Population, Bucket string
	Count              int64
}

// VariantCount is the counter of a goal within a population in a bucket.
type VariantCount struct {
	Goal, Population, Bucket string
	Count                    int64
	Sum                      decimal.Decimal
	// Squares is the sum of the squares of the visitors' totals when SquaresKnown; zero
	// and not known when the store keeps none for the rollup (only per-visitor rollups,
	// all time and cohorts, keep them) or for counters written before it kept them.
	Squares      decimal.Decimal
	SquaresKnown bool
}

// TestCounts reads the counters q selects in one round trip and one snapshot.
func (s *Store) TestCounts(ctx context.Context, q CountsQuery) (TestCounts, error) {
	if q.Rollup == "" {
		q.Rollup = DefaultRollup
	}
	var goals []string
	if q.Goals != nil {
		goals = append(slices.Clone(q.Goals), messages.ViewedPage)
	}
	out := TestCounts{Config: TestConfig{Test: q.Test}}
	var p params
	filter := " AND test = " + p.add(q.Test) + " AND rollup = " + p.add(q.Rollup)
	if q.Bucket != "" {
		filter += " AND bucket = " + p.add(q.Bucket)
	}
	if q.From != nil || q.To != nil {
		// Only integer buckets; the CASE keeps the cast from ever seeing another.
		if q.From != nil {
			filter += " AND (CASE WHEN bucket ~ '^-?[0-9]{1,18}$' THEN bucket::bigint END) >= " + p.add(*q.From)
		}
		if q.To != nil {
			filter += " AND (CASE WHEN bucket ~ '^-?[0-9]{1,18}$' THEN bucket::bigint END) <= " + p.add(*q.To)
		}
	}
	if q.Site != nil {
		filter += " AND site = " + p.add(*q.Site)
	}
	goalFilter := ""
	if goals != nil {
		goalFilter = " AND goal = ANY(" + p.add(goals) + ")"
	}
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue("SELECT populations FROM "+s.t.tests+" WHERE name = $1", q.Test).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				out.Known = true
				if err := rows.Scan(&out.Populations); err != nil {
					return err
				}
			}
			return rows.Err()
		})
		b.Queue(s.goalsSQL(), DefaultRollup).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var g GoalInfo
				if err := rows.Scan(&g.Name, &g.ValueType, &g.ValueFormat, &g.Complex); err != nil {
					return err
				}
				out.Goals = append(out.Goals, g)
			}
			return rows.Err()
		})
		b.Queue(s.testConfigSQL(), q.Test).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				out.Configured = true
				if err := scanTestConfig(rows, &out.Config); err != nil {
					return err
				}
			}
			return rows.Err()
		})
		impressionParams := p
		if goals != nil {
			impressionParams = p[:len(p)-1]
		}
		b.Queue("SELECT population, bucket, sum(count)::bigint FROM "+s.t.impressions+" WHERE true"+filter+
			" GROUP BY population, bucket", impressionParams...).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var c ImpressionCount
				if err := rows.Scan(&c.Population, &c.Bucket, &c.Count); err != nil {
					return err
				}
				out.Impressions = append(out.Impressions, c)
			}
			return rows.Err()
		})
		b.Queue("SELECT goal, population, bucket, sum(count)::bigint, sum(value), "+squaresSum+" FROM "+s.t.variantConversions+
			" WHERE true"+goalFilter+filter+" GROUP BY goal, population, bucket", p...).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var c VariantCount
				var sum, squares pgtype.Numeric
				if err := rows.Scan(&c.Goal, &c.Population, &c.Bucket, &c.Count, &sum, &squares); err != nil {
					return err
				}
				var err error
				if c.Sum, err = fromNumeric(sum); err != nil {
					return err
				}
				c.SquaresKnown = squares.Valid
				if c.Squares, err = fromNumeric(squares); err != nil {
					return err
				}
				out.Conversions = append(out.Conversions, c)
			}
			return rows.Err()
		})
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return TestCounts{}, fmt.Errorf("counts of test %q: %w", q.Test, err)
	}
	return out, nil
}
