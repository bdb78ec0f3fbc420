package persistence

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// HasIngested reports whether the store's schema holds any committed pointer: whether
// anything was ever ingested into it.
func (s *Store) HasIngested(ctx context.Context) (bool, error) {
	var yes bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+s.t.pointers+")").Scan(&yes); err != nil {
		return false, fmt.Errorf("look for ingested data: %w", err)
	}
	return yes, nil
}

// OtherSchemasWithData returns the other schemas of the database that hold Manhattan's
// tables with ingested data, by name: where to look when the store's schema is empty.
func (s *Store) OtherSchemasWithData(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT table_schema FROM information_schema.tables
		WHERE table_name = 'pointers' AND table_schema <> $1 ORDER BY table_schema`, s.schema)
	if err != nil {
		return nil, fmt.Errorf("list schemas: %w", err)
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list schemas: %w", err)
	}
	var out []string
	for _, schema := range schemas {
		var yes bool
		err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+pgx.Identifier{schema, "pointers"}.Sanitize()+")").Scan(&yes)
		if err != nil {
			continue // not readable, or not ours after all
		}
		if yes {
			out = append(out, schema)
		}
	}
	return out, nil
}
