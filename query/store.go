package query

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// Store is what the queries read. *persistence.Store implements it against PostgreSQL;
// querytest.Store implements it in memory. Every method reads committed state only, and
// each answer comes from one consistent snapshot.
type Store interface {
	// Count is the summed count of the counters q selects (see persistence.Query).
	Count(ctx context.Context, q persistence.Query) (int64, error)
	// GoalValue is q.Goal's value for q by the goal's value type.
	GoalValue(ctx context.Context, q persistence.Query) (decimal.Decimal, error)
	// Tests lists every split test, the most recently seen first, ties by name.
	Tests(ctx context.Context) ([]persistence.TestInfo, error)
	// Goals lists every goal by name.
	Goals(ctx context.Context) ([]persistence.GoalInfo, error)
	// Results is the GoalValue of each goal for each population of test in the "all"
	// rollup; an unknown test gives an empty map. (The dashboard reads it.)
	Results(ctx context.Context, test string, goals []string, site *int64) (map[string][]decimal.Decimal, error)
	// TestCounts reads what the analysis and the results of a test need, in one round
	// trip (see persistence.Store.TestCounts).
	TestCounts(ctx context.Context, q persistence.CountsQuery) (persistence.TestCounts, error)
	// Series is every bucket of q.Rollup, in persistence.CompareBuckets order.
	Series(ctx context.Context, q persistence.Query) ([]persistence.Point, error)
	// Catalog tells what the store has seen of the names of q (see
	// persistence.Store.Catalog); it explains answers of zero.
	Catalog(ctx context.Context, q persistence.Query) (persistence.Catalog, error)
	// DeadLetters lists up to limit dead letters of source ("" for every source),
	// newest first.
	DeadLetters(ctx context.Context, source string, limit int) ([]messages.DeadLetter, error)
	// Status describes the store.
	Status(ctx context.Context) (persistence.Status, error)
	// TestConfig is the stored configuration of test, with false when there is none.
	TestConfig(ctx context.Context, test string) (persistence.TestConfig, bool, error)
	// UpdateTestConfig changes the configuration of test atomically with fn (see
	// persistence.Store.UpdateTestConfig); fn's error is returned as it is.
	UpdateTestConfig(ctx context.Context, test string, fn func(c *persistence.TestConfig, existed bool) error) (persistence.TestConfig, error)
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
}
