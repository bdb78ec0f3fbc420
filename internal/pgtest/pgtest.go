package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/manhattan-analytics/manhattan/internal/localpg"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// Environment variables read by this package.
const (
	EnvURL       = "MANHATTAN_TEST_DATABASE_URL"
	EnvURLShared = "DATABASE_URL"
	EnvSkip      = "MANHATTAN_TEST_SKIP_DB"
)

var (
	mu       sync.Mutex
	running  bool   // Run is active
	url      string // the database, once known
	startErr error  // why the private server could not be started
	server   *localpg.Server
	tempDir  string
)

// Run runs the tests of m and then stops and removes the private server, if one was
// started. Use it as TestMain: func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }.
func Run(m *testing.M) int {
	mu.Lock()
	running = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	running = false
	if server != nil {
		if err := server.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
		server = nil
	}
	if tempDir != "" {
		_ = os.RemoveAll(tempDir)
		tempDir = ""
	}
	url, startErr = "", nil
	return code
}

// URL returns the test database's connection string, starting the private server on
// first use. It skips t when MANHATTAN_TEST_SKIP_DB=1 and fails t when no database can
// be had.
func URL(t testing.TB) string {
	t.Helper()
	if os.Getenv(EnvSkip) == "1" {
		t.Skipf("%s=1: skipping a test that needs PostgreSQL", EnvSkip)
	}
	for _, env := range []string{EnvURL, EnvURLShared} {
		if u := os.Getenv(env); u != "" {
			return u
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !running {
		t.Fatalf("pgtest: call pgtest.Run from TestMain (func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }), or set %s", EnvURL)
	}
	if url == "" && startErr == nil {
		url, startErr = startServer()
	}
	if startErr != nil {
		t.Fatalf("pgtest: no test database (set %s to use an existing one): %v", EnvURL, startErr)
	}
	return url
}

func startServer() (string, error) {
	base := os.TempDir()
	if localpg.CheckAccess(base) != nil && localpg.CheckAccess("/tmp") == nil {
		base = "/tmp" // e.g. TMPDIR inside root's private home, out of the server user's reach
	}
	dir, err := os.MkdirTemp(base, "manhattan-pgtest-")
	if err != nil {
		return "", err
	}
	tempDir = dir
	// The server may run as another user (when the tests run as root): let it in.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := localpg.Start(ctx, localpg.Options{Dir: filepath.Join(dir, "data"), Fast: true, StopOnExit: true})
	if err != nil {
		return "", err
	}
	server = s
	return s.URL(), nil
}

// NewStore returns a store on a new, migrated schema of the test database, private to
// t. The schema is dropped and the store closed when t ends.
func NewStore(t testing.TB) *persistence.Store {
	t.Helper()
	u := URL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := persistence.Open(ctx, u, schema)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, u)
		if err == nil {
			_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			_ = conn.Close(ctx)
		}
		if err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return st
}
