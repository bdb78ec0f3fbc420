package persistence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// switchedToKey is the settings key that names the schema serving in this one's place.
const switchedToKey = "switched_to"

// SwitchedTo returns the schema that serves in place of this store's schema (set by
// SwitchTo), or "" when the schema serves itself.
func (s *Store) SwitchedTo(ctx context.Context) (string, error) {
	var to string
	err := s.pool.QueryRow(ctx, "SELECT value FROM "+s.settings()+" WHERE key = $1", switchedToKey).Scan(&to)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the switch of schema %s: %w", s.schema, err)
	}
	return to, nil
}

// SwitchTo makes schema target serve in place of this store's schema: processes that are
// configured with this schema follow it. An empty target switches back.
func (s *Store) SwitchTo(ctx context.Context, target string) error {
	if target == "" {
		if _, err := s.pool.Exec(ctx, "DELETE FROM "+s.settings()+" WHERE key = $1", switchedToKey); err != nil {
			return fmt.Errorf("switch schema %s back: %w", s.schema, err)
		}
		return nil
	}
	if err := ValidateSchema(target); err != nil {
		return err
	}
	if target == s.schema {
		return fmt.Errorf("switch schema %s: it cannot serve in its own place", s.schema)
	}
	_, err := s.pool.Exec(ctx, "INSERT INTO "+s.settings()+" (key, value) VALUES ($1, $2) "+
		"ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()", switchedToKey, target)
	if err != nil {
		return fmt.Errorf("switch schema %s to %s: %w", s.schema, target, err)
	}
	return nil
}

// CopyTestConfigs copies the test configurations of schema from into this store's schema,
// keeping any this schema has already. It returns how many it copied.
func (s *Store) CopyTestConfigs(ctx context.Context, from string) (int64, error) {
	if err := ValidateSchema(from); err != nil {
		return 0, err
	}
	src := pgx.Identifier{from, "test_configs"}.Sanitize()
	dst := pgx.Identifier{s.schema, "test_configs"}.Sanitize()
	tag, err := s.pool.Exec(ctx, "INSERT INTO "+dst+" SELECT * FROM "+src+" ON CONFLICT DO NOTHING")
	if err != nil {
		return 0, fmt.Errorf("copy test configurations from %s to %s: %w", from, s.schema, err)
	}
	return tag.RowsAffected(), nil
}

// HasSchema reports whether the database holds schema name with Manhattan's tables.
func (s *Store) HasSchema(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", pgx.Identifier{name, "schema_migrations"}.Sanitize()).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look for schema %s: %w", name, err)
	}
	return ok, nil
}

// complexGoalsKey is the settings key that holds the complex goals of the rules that
// fill the schema: a JSON list of strings in the --complex syntax (visitor.ParseComplex).
const complexGoalsKey = "complex_goals"

// SetComplexGoals stores the complex goals of the rules an ingest fills the schema with
// (in the --complex syntax; none is stored as such), so that a server started without
// the rules knows them, even those nobody converted on yet. It returns the goals stored
// before, and whether any were.
func (s *Store) SetComplexGoals(ctx context.Context, flags []string) (before []string, stored bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var old string
		switch err := tx.QueryRow(ctx, "SELECT value FROM "+s.settings()+" WHERE key = $1 FOR UPDATE", complexGoalsKey).Scan(&old); {
		case err == nil:
			if err := json.Unmarshal([]byte(old), &before); err != nil {
				return fmt.Errorf("the stored complex goals %q: %w", old, err)
			}
			stored = true
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if flags == nil {
			flags = []string{}
		}
		v, err := json.Marshal(flags)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO "+s.settings()+" (key, value) VALUES ($1, $2) "+
			"ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()", complexGoalsKey, string(v))
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("store the complex goals of schema %s: %w", s.schema, err)
	}
	return before, stored, nil
}

// ComplexGoals returns the complex goals stored by SetComplexGoals (in the --complex
// syntax), and whether any ingest stored them.
func (s *Store) ComplexGoals(ctx context.Context) (flags []string, stored bool, err error) {
	var v string
	err = s.pool.QueryRow(ctx, "SELECT value FROM "+s.settings()+" WHERE key = $1", complexGoalsKey).Scan(&v)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("read the complex goals of schema %s: %w", s.schema, err)
	}
	if err := json.Unmarshal([]byte(v), &flags); err != nil {
		return nil, false, fmt.Errorf("read the complex goals of schema %s: %q: %w", s.schema, v, err)
	}
	return flags, true, nil
}

func (s *Store) settings() string { return pgx.Identifier{s.schema, "settings"}.Sanitize() }
