package persistence

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one versioned SQL file, e.g. migrations/0001_init.sql is version 1.
type migration struct {
	version  int
	name     string
	sql      string
	checksum string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("embedded migration %q: name must be NNNN_description.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read embedded migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b), checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("embedded migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version that this program's migrations produce.
func LatestVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// Migrate creates the schema if needed and applies every embedded migration not yet
// recorded in its schema_migrations table, all in one transaction. Concurrent calls,
// from this or other processes, serialize on an advisory lock; the later ones find
// nothing to do. It fails when the database holds a newer schema version than this
// program knows, or when an applied migration differs from the embedded one.
func (s *Store) Migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.lockSchema(ctx, tx); err != nil {
			return err
		}
		return s.migrateTx(ctx, tx, 0)
	})
}

// MigrateTo is Migrate up to schema version only (for staged upgrades and for testing
// the upgrade of a database at an older version). A database already past version is
// left as it is.
func (s *Store) MigrateTo(ctx context.Context, version int) error {
	if version <= 0 {
		return fmt.Errorf("migrate: no schema version %d", version)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.lockSchema(ctx, tx); err != nil {
			return err
		}
		return s.migrateTx(ctx, tx, version)
	})
}

// Reset drops the schema with all its data and migrates it afresh, and announces it on
// CommitChannel.
func (s *Store) Reset(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.lockSchema(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DROP SCHEMA IF EXISTS "+s.t.schema+" CASCADE"); err != nil {
			return fmt.Errorf("reset: drop schema %s: %w", s.schema, err)
		}
		if err := s.migrateTx(ctx, tx, 0); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", CommitChannel, s.schema); err != nil {
			return fmt.Errorf("reset: announce: %w", err)
		}
		return nil
	})
	if err == nil {
		s.watch.changed()
	}
	return err
}

// lockSchema takes the schema's migration lock until the end of tx.
func (s *Store) lockSchema(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "manhattan migrate "+s.schema); err != nil {
		return fmt.Errorf("migrate: lock schema %s: %w", s.schema, err)
	}
	return nil
}

// migrateTx applies the migrations not yet applied, up to version upTo (0: all).
func (s *Store) migrateTx(ctx context.Context, tx pgx.Tx, upTo int) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+s.t.schema); err != nil {
		return fmt.Errorf("migrate: create schema %s: %w", s.schema, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+s.t.migrations+` (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		checksum   text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied := map[int]migration{}
	rows, err := tx.Query(ctx, "SELECT version, name, checksum FROM "+s.t.migrations)
	if err != nil {
		return fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var m migration
		if err := rows.Scan(&m.version, &m.name, &m.checksum); err != nil {
			return fmt.Errorf("migrate: read schema_migrations: %w", err)
		}
		applied[m.version] = m
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	known := map[int]bool{}
	for _, m := range ms {
		known[m.version] = true
	}
	for v, m := range applied {
		if !known[v] {
			return fmt.Errorf("migrate: schema %s is at version %d (%s), newer than this program knows (%d); upgrade the program", s.schema, v, m.name, LatestVersion())
		}
	}
	// Migrations are written without a schema: point search_path at ours for this
	// transaction only.
	if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", s.t.schema); err != nil {
		return fmt.Errorf("migrate: set search_path: %w", err)
	}
	for _, m := range ms {
		if upTo > 0 && m.version > upTo {
			break
		}
		if done, ok := applied[m.version]; ok {
			if done.checksum != m.checksum {
				return fmt.Errorf("migrate: migration %s was applied to schema %s with different contents (checksum %s, now %s)", m.name, s.schema, done.checksum, m.checksum)
			}
			continue
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate: apply %s to schema %s: %w", m.name, s.schema, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+s.t.migrations+" (version, name, checksum) VALUES ($1, $2, $3)", m.version, m.name, m.checksum); err != nil {
			return fmt.Errorf("migrate: record %s: %w", m.name, err)
		}
	}
	return nil
}
