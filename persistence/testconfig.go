package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestConfig is the stored analysis configuration of a split test. The store keeps
// what it is given; package query checks it and fills in defaults.
type TestConfig struct {
	Test       string
	Control    string // "" : not configured
	Primary    string // the primary goal; "" : not configured
	Secondary  []string
	Guardrails []Guardrail
	Weights    map[string]float64 // population → expected share; empty: equal shares
	Correction string             // none, holm or bh
	Sequential bool
	Status     string // running, stopped or shipped
	Notes      string
	UpdatedAt  time.Time
}

// Guardrail is a goal that must not get worse, with the direction that is good.
type Guardrail struct {
	Goal          string `json:"goal"`
	LowerIsBetter bool   `json:"lower_is_better"`
}

// TestConfig returns the stored configuration of test, and false when there is none.
func (s *Store) TestConfig(ctx context.Context, test string) (TestConfig, bool, error) {
	c := TestConfig{Test: test}
	err := scanTestConfig(s.pool.QueryRow(ctx, s.testConfigSQL(), test), &c)
	if errors.Is(err, pgx.ErrNoRows) {
		return TestConfig{Test: test}, false, nil
	}
	if err != nil {
		return TestConfig{}, false, fmt.Errorf("configuration of test %q: %w", test, err)
	}
	return c, true, nil
}

// testConfigSQL selects the configuration of test $1 for scanTestConfig.
func (s *Store) testConfigSQL() string {
	return "SELECT control, primary_goal, secondary_goals, guardrails, weights, correction, sequential, status, notes, updated_at FROM " +
		s.t.testConfigs + " WHERE test = $1"
}

func scanTestConfig(row pgx.Row, c *TestConfig) error {
	return row.Scan(&c.Control, &c.Primary, &c.Secondary, &c.Guardrails, &c.Weights, &c.Correction, &c.Sequential, &c.Status, &c.Notes, &c.UpdatedAt)
}

// UpdateTestConfig changes the configuration of test atomically: fn gets the stored
// configuration (with existed false when there was none: then the schema's defaults,
// correction none and status running) and edits it;
// when fn returns nil the result is stored and returned with its update time, else
// nothing changes. Concurrent updates of one test are serialized, so none is lost.
func (s *Store) UpdateTestConfig(ctx context.Context, test string, fn func(c *TestConfig, existed bool) error) (TestConfig, error) {
	var (
		c     TestConfig
		fnErr error // fn's own error, returned as it is
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var inserted bool
		err := tx.QueryRow(ctx, "WITH ins AS (INSERT INTO "+s.t.testConfigs+" (test) VALUES ($1) ON CONFLICT (test) DO NOTHING RETURNING 1)"+
			" SELECT count(*) > 0 FROM ins", test).Scan(&inserted)
		if err != nil {
			return err
		}
		c = TestConfig{Test: test}
		if err := scanTestConfig(tx.QueryRow(ctx, s.testConfigSQL()+" FOR UPDATE", test), &c); err != nil {
			return err
		}
		if fnErr = fn(&c, !inserted); fnErr != nil {
			return fnErr
		}
		c.Test = test
		if c.Secondary == nil {
			c.Secondary = []string{}
		}
		if c.Guardrails == nil {
			c.Guardrails = []Guardrail{}
		}
		if c.Weights == nil {
			c.Weights = map[string]float64{}
		}
		return tx.QueryRow(ctx, "UPDATE "+s.t.testConfigs+" SET control = $2, primary_goal = $3, secondary_goals = $4, guardrails = $5,"+
			" weights = $6, correction = $7, sequential = $8, status = $9, notes = $10, updated_at = now() WHERE test = $1 RETURNING updated_at",
			test, c.Control, c.Primary, c.Secondary, c.Guardrails, c.Weights, c.Correction, c.Sequential, c.Status, c.Notes,
		).Scan(&c.UpdatedAt)
	})
	if fnErr != nil {
		return TestConfig{}, fnErr
	}
	if err != nil {
		return TestConfig{}, fmt.Errorf("configuration of test %q: %w", test, err)
	}
	s.watch.changed()
	return c, nil
}
