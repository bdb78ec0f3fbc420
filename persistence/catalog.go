package persistence

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// CatalogBuckets is the most buckets a Catalog lists.
const CatalogBuckets = 10

// Catalog is what the store has seen of the names a query uses, to tell a query of
// something unknown from a true zero.
type Catalog struct {
	Goals       []GoalInfo // every goal, as Goals gives them
	TestKnown   bool       // the query's test exists
	Populations []string   // its populations
	// Rollups are the rollups of every counter (conversions and impressions).
	Rollups []string
	// BucketKnown reports that some counter of the query's rollup has its bucket;
	// Buckets lists up to CatalogBuckets buckets of the rollup, in CompareBuckets
	// order.
	BucketKnown bool
	Buckets     []string
}

// Catalog reads, in one round trip and one snapshot, what the store has seen of the
// names of q (defaults filled in as for Count). It reads whole tables: it is meant
// for explaining an answer of zero, not for every query.
func (s *Store) Catalog(ctx context.Context, q Query) (Catalog, error) {
	q, err := q.normalize()
	if err != nil {
		return Catalog{}, err
	}
	var c Catalog
	err = s.readTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(s.goalsSQL(), DefaultRollup).Query(func(rows pgx.Rows) error {
			var err error
			c.Goals, err = pgx.CollectRows(rows, scanGoal)
			return err
		})
		s.queueTest(b, q.Test, &c.TestKnown, &c.Populations)
		b.Queue("SELECT rollup FROM " + s.t.conversions + " UNION SELECT rollup FROM " + s.t.impressions).Query(func(rows pgx.Rows) error {
			var err error
			c.Rollups, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		b.Queue("SELECT EXISTS (SELECT 1 FROM "+s.t.conversions+" WHERE rollup = $1 AND bucket = $2)"+
			" OR EXISTS (SELECT 1 FROM "+s.t.impressions+" WHERE rollup = $1 AND bucket = $2)", q.Rollup, q.Bucket).
			QueryRow(func(row pgx.Row) error { return row.Scan(&c.BucketKnown) })
		b.Queue(fmt.Sprintf("SELECT bucket FROM (SELECT bucket FROM %s WHERE rollup = $1 UNION SELECT bucket FROM %s WHERE rollup = $1) AS u LIMIT %d",
			s.t.conversions, s.t.impressions, CatalogBuckets), q.Rollup).Query(func(rows pgx.Rows) error {
			var err error
			c.Buckets, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return Catalog{}, fmt.Errorf("catalog: %w", err)
	}
	slices.Sort(c.Rollups)
	slices.SortFunc(c.Buckets, CompareBuckets)
	return c, nil
}
