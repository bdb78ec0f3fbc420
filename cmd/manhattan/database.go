package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/manhattan-analytics/manhattan/internal/localpg"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// dbFlags are the flags that choose the database.
type dbFlags struct {
	url     *string
	schema  *string
	dataDir *string
}

func addDBFlags(fs *flag.FlagSet) *dbFlags {
	def := os.Getenv("DATABASE_URL")
	return &dbFlags{
		url:     envString(fs, "db", "MANHATTAN_DB", def, "PostgreSQL URL; empty: a private local server under --data-dir (DATABASE_URL is used too)"),
		schema:  envString(fs, "schema", "MANHATTAN_SCHEMA", persistence.DefaultSchema, "schema holding Manhattan's tables"),
		dataDir: envString(fs, "data-dir", "MANHATTAN_DATA", ".manhattan", "folder of the private local PostgreSQL"),
	}
}

// database is an open store and, when the private server is in use, that server.
type database struct {
	// store is the schema in use: the one of --schema or, when that one was switched to a
	// rebuild (`manhattan db switch`), the schema it is switched to.
	store *persistence.Store
	// configured is the schema of --schema.
	configured *persistence.Store
	url        string
	server     *localpg.Server
	mu         sync.Mutex                    // guards opened (servers follow switches in the background)
	opened     map[string]*persistence.Store // every store opened, by schema; closed by close
}

// openDatabase connects to --db, or starts (or reuses) the private local server, and
// migrates the schema. When the schema is switched to another (`manhattan db switch`),
// the database's store is that other schema.
func openDatabase(ctx context.Context, f *dbFlags, log *slog.Logger) (*database, error) {
	db, err := openConfiguredDatabase(ctx, f, log)
	if err != nil {
		return nil, err
	}
	st, err := db.follow(ctx)
	if err != nil {
		db.close()
		return nil, err
	}
	if st != db.configured {
		log.Info("schema is switched", slog.String("schema", db.configured.Schema()), slog.String("to", st.Schema()))
	}
	db.store = st
	return db, nil
}

// openLogged builds the logger of the log flags and opens the database with it, as
// openDatabase does. The caller closes the database.
func openLogged(ctx context.Context, lf *logFlags, dbf *dbFlags) (*database, *slog.Logger, error) {
	log, err := lf.logger()
	if err != nil {
		return nil, nil, err
	}
	db, err := openDatabase(ctx, dbf, log)
	if err != nil {
		return nil, nil, err
	}
	return db, log, nil
}

// openConfiguredDatabase is openDatabase without following a switch: its store is the
// schema of --schema.
func openConfiguredDatabase(ctx context.Context, f *dbFlags, log *slog.Logger) (*database, error) {
	db := &database{opened: map[string]*persistence.Store{}}
	url := *f.url
	if url == "" {
		dir := filepath.Join(*f.dataDir, "pg")
		log.Info("using the private local PostgreSQL", slog.String("dir", dir))
		srv, err := localpg.Start(ctx, localpg.Options{Dir: dir, Logf: func(format string, args ...any) {
			log.Info(fmt.Sprintf(format, args...))
		}})
		if err != nil {
			return nil, err
		}
		db.server = srv
		url = srv.URL()
		if srv.Started() {
			log.Info("the private PostgreSQL keeps running after this command, for other commands too; `manhattan db stop` stops it",
				slog.String("dir", dir))
		}
	}
	db.url = url
	store, err := db.open(ctx, *f.schema)
	if err != nil {
		db.close()
		return nil, err
	}
	db.store, db.configured = store, store
	return db, nil
}

// open returns a migrated store of schema on the database, opening it once.
func (db *database) open(ctx context.Context, schema string) (*persistence.Store, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if st := db.opened[schema]; st != nil {
		return st, nil
	}
	st, err := persistence.Open(ctx, db.url, schema)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	db.opened[schema] = st
	return st, nil
}

// maxSwitches bounds a chain of switched schemas (a switched to b, b to c, …).
const maxSwitches = 8

// follow returns the store of the schema that serves in place of the configured one:
// the end of its chain of switches, or the configured schema itself.
func (db *database) follow(ctx context.Context) (*persistence.Store, error) {
	st := db.configured
	chain := []string{st.Schema()}
	for {
		to, err := st.SwitchedTo(ctx)
		if err != nil {
			return nil, err
		}
		if to == "" {
			return st, nil
		}
		if slices.Contains(chain, to) || len(chain) > maxSwitches {
			return nil, fmt.Errorf("schemas %s → %s are switched in a loop; switch one back with `manhattan db switch --schema %s --back`",
				strings.Join(chain, " → "), to, chain[len(chain)-1])
		}
		ok, err := st.HasSchema(ctx, to)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("schema %s is switched to schema %s, which does not exist; switch it back with `manhattan db switch --schema %s --back`",
				st.Schema(), to, st.Schema())
		}
		if st, err = db.open(ctx, to); err != nil {
			return nil, err
		}
		chain = append(chain, to)
	}
}

func (db *database) close() {
	db.mu.Lock()
	for _, st := range db.opened {
		st.Close()
	}
	db.opened = nil
	db.mu.Unlock()
	// The private server is left running: another command may be using it (stopping it
	// would break that one). `manhattan db stop` stops it.
}
