package persistence

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultIdleInTransaction is how long PostgreSQL lets a connection of the store sit idle
// inside a transaction before it aborts it (idle_in_transaction_session_timeout); a
// database URL may set another value.
const DefaultIdleInTransaction = "60s"

// DefaultSchema is the schema used when Open is given none.
const DefaultSchema = "manhattan"

// Store is Manhattan's PostgreSQL store, bound to one schema. It is safe for concurrent
// use.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	t      tables
	watch  *commitWatch // the listener of CommitChannel (notify.go)
}

// tables holds the quoted, schema-qualified names of the store's tables.
type tables struct {
	schema, migrations, pointers, histories, tests, goals     string
	conversions, impressions, variantConversions, deadLetters string
	members                                                   string
	testConfigs                                               string
}

func newTables(schema string) tables {
	q := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	return tables{
		schema:             pgx.Identifier{schema}.Sanitize(),
		migrations:         q("schema_migrations"),
		pointers:           q("pointers"),
		histories:          q("histories"),
		tests:              q("tests"),
		goals:              q("goals"),
		conversions:        q("conversions"),
		impressions:        q("impressions"),
		variantConversions: q("variant_conversions"),
		deadLetters:        q("dead_letters"),
		members:            q("source_members"),
		testConfigs:        q("test_configs"),
	}
}

var identifierRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidateSchema reports whether name can be a schema name: letters, digits and
// underscores, not starting with a digit, at most 63 bytes, and not a system schema.
func ValidateSchema(name string) error {
	switch {
	case !identifierRE.MatchString(name):
		return fmt.Errorf("schema name %q: use letters, digits and underscores, starting with a letter or underscore", name)
	case len(name) > 63:
		return fmt.Errorf("schema name %q: longer than 63 bytes", name)
	case name == "public" || name == "information_schema" || len(name) >= 3 && name[:3] == "pg_":
		return fmt.Errorf("schema name %q: reserved for PostgreSQL; choose another", name)
	}
	return nil
}

// Open connects to the database at url (a PostgreSQL URL or keyword/value connection
// string) and returns a store for schema ("" means DefaultSchema). It checks that the
// database answers; it does not migrate.
func Open(ctx context.Context, url, schema string) (*Store, error) {
	if schema == "" {
		schema = DefaultSchema
	}
	if err := ValidateSchema(schema); err != nil {
		return nil, err
	}
	if url == "" {
		return nil, errors.New("open store: no database URL")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open store: parse database URL: %w", err)
	}
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "manhattan"
	}
	// Epoch commits stage their rows in temporary tables; give them room in memory.
	if _, ok := cfg.ConnConfig.RuntimeParams["temp_buffers"]; !ok {
		cfg.ConnConfig.RuntimeParams["temp_buffers"] = "64MB"
	}
	// A process frozen inside a transaction (SIGSTOP, a stalled VM) must not hold the
	// pointer rows' locks for ever: its successor could never take the source over, and
	// fencing would wait on it. The server aborts such a transaction after this long; the
	// frozen process's commit then fails, and its fencing token is stale anyway. Every
	// transaction of the store sends its statements back to back, so none idles this long.
	if _, ok := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = DefaultIdleInTransaction
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store: connect to %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return &Store{pool: pool, schema: schema, t: newTables(schema), watch: newCommitWatch()}, nil
}

// Close closes the store's connections, its listener's too (WatchCommits).
func (s *Store) Close() {
	s.watch.close()
	s.pool.Close()
}

// Pool returns the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema returns the store's schema name (unquoted).
func (s *Store) Schema() string { return s.schema }

// readTx runs fn in a read-only REPEATABLE READ transaction: every statement of fn sees
// the same committed snapshot.
func (s *Store) readTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
