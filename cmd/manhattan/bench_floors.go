package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
)

// The floors of the bench: work that any ingest of the same log into the same database
// has to do at least, measured on the same log and server.

// readParse reads and parses the whole log on one goroutine.
func readParse(ctx context.Context, base string) (int64, time.Duration, error) {
	t0 := time.Now()
	r, err := eventlog.OpenReader(base, messages.Pointer{}, eventlog.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	var n int64
	for {
		line, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return n, time.Since(t0), nil
		}
		if err != nil {
			return n, 0, err
		}
		if _, err := messages.ParseLine(line.Raw); err == nil {
			n++
		}
	}
}

// countVisitors returns the number of distinct visitor ids in the log (not timed).
func countVisitors(ctx context.Context, base string) (int, error) {
	r, err := eventlog.OpenReader(base, messages.Pointer{}, eventlog.Options{})
	if err != nil {
		return 0, err
	}
	defer r.Close()
	seen := map[string]struct{}{}
	for {
		line, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return len(seen), nil
		}
		if err != nil {
			return 0, err
		}
		if rec, err := messages.ParseLine(line.Raw); err == nil {
			if _, ok := seen[rec.VID]; !ok {
				seen[string([]byte(rec.VID))] = struct{}{} // not the whole line
			}
		}
	}
}

// floorSchema (re)creates an empty schema for the floors' tables.
func floorSchema(ctx context.Context, pool *pgxpool.Pool, name string) error {
	q := pgx.Identifier{name}.Sanitize()
	_, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+q+" CASCADE; CREATE SCHEMA "+q)
	return err
}

// copyLines stores every raw line of the log, as read, into a new one-column table with
// one plain COPY in one transaction: the cost of merely storing the log.
func copyLines(ctx context.Context, pool *pgxpool.Pool, schema, base string) (int64, time.Duration, error) {
	table := pgx.Identifier{schema, "lines"}
	if _, err := pool.Exec(ctx, "CREATE TABLE "+table.Sanitize()+" (line text)"); err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	r, err := eventlog.OpenReader(base, messages.Pointer{}, eventlog.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	src := &lineSource{ctx: ctx, r: r, row: make([]any, 1)}
	var n int64
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		n, err = tx.CopyFrom(ctx, table, []string{"line"}, src)
		return err
	})
	return n, time.Since(t0), err
}

// lineSource feeds COPY from a log reader: each row is the raw line, encoded before the
// reader moves on.
type lineSource struct {
	ctx context.Context
	r   *eventlog.Reader
	row []any
	err error
}

func (s *lineSource) Next() bool {
	line, err := s.r.Next(s.ctx)
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
		return false
	}
	s.row[0] = line.Raw
	return true
}

func (s *lineSource) Values() ([]any, error) { return s.row, nil }
func (s *lineSource) Err() error             { return s.err }

// copyRows reads every row a run left in schema's tables (other than its pointer,
// migrations and dead letters) into memory, then times writing them again, with one
// plain COPY per table in one transaction, into empty tables of the same definition
// (indexes and keys included) in floor: the cost of storing the run's result.
func copyRows(ctx context.Context, pool *pgxpool.Pool, schema, floor string) (int64, time.Duration, error) {
	rows, err := pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'
		AND table_name NOT IN ('schema_migrations', 'pointers', 'dead_letters') ORDER BY table_name`, schema)
	if err != nil {
		return 0, 0, err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, 0, err
	}
	type content struct {
		to   pgx.Identifier
		cols []string
		rows [][]any
	}
	var all []content
	for _, t := range tables {
		from, to := pgx.Identifier{schema, t}, pgx.Identifier{floor, t}
		if _, err := pool.Exec(ctx, "CREATE TABLE "+to.Sanitize()+" (LIKE "+from.Sanitize()+" INCLUDING ALL)"); err != nil {
			return 0, 0, err
		}
		rs, err := pool.Query(ctx, "SELECT * FROM "+from.Sanitize())
		if err != nil {
			return 0, 0, err
		}
		c := content{to: to}
		for _, f := range rs.FieldDescriptions() {
			c.cols = append(c.cols, f.Name)
		}
		c.rows, err = pgx.CollectRows(rs, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
		if err != nil {
			return 0, 0, fmt.Errorf("read %s: %w", t, err)
		}
		all = append(all, c)
	}
	var n int64
	t0 := time.Now()
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, c := range all {
			k, err := tx.CopyFrom(ctx, c.to, c.cols, pgx.CopyFromRows(c.rows))
			if err != nil {
				return fmt.Errorf("copy %s: %w", c.to.Sanitize(), err)
			}
			n += k
		}
		return nil
	})
	return n, time.Since(t0), err
}
