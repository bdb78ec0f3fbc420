package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

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
	store  *persistence.Store
	server *localpg.Server
}

// openDatabase connects to --db, or starts (or reuses) the private local server, and
// migrates the schema.
func openDatabase(ctx context.Context, f *dbFlags, log *slog.Logger) (*database, error) {
	db := &database{}
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
	}
	store, err := persistence.Open(ctx, url, *f.schema)
	if err != nil {
		db.close()
		return nil, err
	}
	db.store = store
	if err := store.Migrate(ctx); err != nil {
		db.close()
		return nil, err
	}
	return db, nil
}

func (db *database) close() {
	if db.store != nil {
		db.store.Close()
	}
	if db.server != nil {
		_ = db.server.Stop()
	}
}
