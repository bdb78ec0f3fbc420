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
	// BySite keeps the sites apart: every count is of one site (its Site field)
	// instead of the sum over the sites.
	BySite bool
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
	Site               int64 // with CountsQuery.BySite; 0 otherwise
	Count              int64
}

// VariantCount is the counter of a goal within a population in a bucket.
type VariantCount struct {
	Goal, Population, Bucket string
	Site                     int64 // with CountsQuery.BySite; 0 otherwise
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
	filter, p := countsFilter(q)
	// The goal filter takes the last parameter, which the impressions do without.
	impressionParams := p
	// The site column with BySite, else 0: the sum over the sites.
	site := "0::bigint"
	if q.BySite {
		site = "site"
	}
	goalFilter := ""
	if goals != nil {
		goalFilter = " AND goal = ANY(" + p.add(goals) + ")"
	}
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		s.queueTest(b, q.Test, &out.Known, &out.Populations)
		b.Queue(s.goalsSQL(), DefaultRollup).Query(func(rows pgx.Rows) (err error) {
			out.Goals, err = pgx.AppendRows(out.Goals, rows, scanGoal)
			return err
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
		b.Queue("SELECT population, bucket, "+site+", sum(count)::bigint FROM "+s.t.impressions+" WHERE true"+filter+
			" GROUP BY population, bucket, 3", impressionParams...).Query(func(rows pgx.Rows) (err error) {
			out.Impressions, err = pgx.AppendRows(out.Impressions, rows, scanImpressionCount)
			return err
		})
		b.Queue("SELECT goal, population, bucket, "+site+", sum(count)::bigint, sum(value), "+squaresSum+" FROM "+s.t.variantConversions+
			" WHERE true"+goalFilter+filter+" GROUP BY goal, population, bucket, 4", p...).Query(func(rows pgx.Rows) (err error) {
			out.Conversions, err = pgx.AppendRows(out.Conversions, rows, scanVariantCount)
			return err
		})
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return TestCounts{}, fmt.Errorf("counts of test %q: %w", q.Test, err)
	}
	return out, nil
}

// countsFilter returns the conditions (each starting " AND ") selecting q's test,
// rollup, bucket or range of buckets and site, and their parameters.
func countsFilter(q CountsQuery) (string, params) {
	var p params
	filter := " AND test = " + p.add(q.Test) + " AND rollup = " + p.add(q.Rollup)
	if q.Bucket != "" {
		filter += " AND bucket = " + p.add(q.Bucket)
	}
	// Only integer buckets are in a range; the CASE keeps the cast from ever seeing another.
	if q.From != nil {
		filter += " AND (CASE WHEN bucket ~ '^-?[0-9]{1,18}$' THEN bucket::bigint END) >= " + p.add(*q.From)
	}
	if q.To != nil {
		filter += " AND (CASE WHEN bucket ~ '^-?[0-9]{1,18}$' THEN bucket::bigint END) <= " + p.add(*q.To)
	}
	if q.Site != nil {
		filter += " AND site = " + p.add(*q.Site)
	}
	return filter, p
}

// scanImpressionCount reads a row of population, bucket, site, count.
func scanImpressionCount(row pgx.CollectableRow) (ImpressionCount, error) {
	var c ImpressionCount
	err := row.Scan(&c.Population, &c.Bucket, &c.Site, &c.Count)
	return c, err
}

// scanVariantCount reads a row of goal, population, bucket, site, count, sum and sum
// of squares (NULL when not known).
func scanVariantCount(row pgx.CollectableRow) (VariantCount, error) {
	var c VariantCount
	var sum, squares pgtype.Numeric
	if err := row.Scan(&c.Goal, &c.Population, &c.Bucket, &c.Site, &c.Count, &sum, &squares); err != nil {
		return VariantCount{}, err
	}
	var err error
	if c.Sum, err = fromNumeric(sum); err != nil {
		return VariantCount{}, err
	}
	c.SquaresKnown = squares.Valid
	if c.Squares, err = fromNumeric(squares); err != nil {
		return VariantCount{}, err
	}
	return c, nil
}
