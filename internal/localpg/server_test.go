package localpg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// baseDir returns a temporary folder that the server's user may traverse.
func baseDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	// t.TempDir's parent is private to the caller; the server may run as another user.
	for p := dir; p != os.TempDir() && p != filepath.Dir(p); p = filepath.Dir(p) {
		require.NoError(t, os.Chmod(p, 0o755))
	}
	return dir
}

func requireBinaries(t *testing.T) {
	t.Helper()
	if os.Getenv("MANHATTAN_TEST_SKIP_DB") == "1" {
		t.Skip("MANHATTAN_TEST_SKIP_DB=1")
	}
	_, err := FindBinaries()
	require.NoError(t, err)
}

func query(t *testing.T, url, sql string, args ...any) (n int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	require.NoError(t, conn.QueryRow(ctx, sql, args...).Scan(&n))
	return n
}

func TestStartStopRestartReusesCluster(t *testing.T) {
	requireBinaries(t)
	ctx := context.Background()
	dir := filepath.Join(baseDir(t), "project", "pg")

	s, err := Start(ctx, Options{Dir: dir, Fast: true, Logf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	assert.Equal(t, dir, s.Dir())
	assert.Equal(t, int64(1), query(t, s.URL(), "SELECT count(*) FROM pg_database WHERE datname = $1", Database))
	execSQL(t, s.URL(), "CREATE TABLE kept AS SELECT 42::bigint AS n")
	assert.Equal(t, "off", showSetting(t, s.URL(), "fsync"))
	assert.Equal(t, "", showSetting(t, s.URL(), "listen_addresses"), "unix socket only")

	// A second Start on the running cluster attaches to it; its Stop leaves it running.
	other, err := Start(ctx, Options{Dir: dir, Logf: t.Logf})
	require.NoError(t, err)
	assert.Equal(t, s.URL(), other.URL())
	require.NoError(t, other.Stop())
	assert.Equal(t, int64(42), query(t, s.URL(), "SELECT n FROM kept"))

	require.NoError(t, s.Stop())
	require.NoError(t, s.Stop(), "stopping twice is fine")
	_, err = os.Stat(filepath.Join(dir, "postmaster.pid"))
	require.ErrorIs(t, err, os.ErrNotExist, "server stopped")

	// Restart: the cluster and its data are reused, now with durability on.
	s2, err := Start(ctx, Options{Dir: dir, Logf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s2.Stop() })
	assert.Equal(t, int64(42), query(t, s2.URL(), "SELECT n FROM kept"))
	assert.Equal(t, "on", showSetting(t, s2.URL(), "fsync"))
	require.NoError(t, s2.Stop())
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	require.NoError(t, err)
}

func showSetting(t *testing.T, url, name string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var v string
	require.NoError(t, conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v))
	return v
}

func TestStartRefusesNonEmptyFolderWithoutCluster(t *testing.T) {
	requireBinaries(t)
	dir := filepath.Join(baseDir(t), "data")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644))
	_, err := Start(context.Background(), Options{Dir: dir})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not empty")
	b, err := os.ReadFile(filepath.Join(dir, "notes.txt"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(b), "the folder is left alone")
}

func TestFindBinariesNamesThePackageToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	saved := versionedRoots
	versionedRoots = []string{t.TempDir()}
	t.Cleanup(func() { versionedRoots = saved })

	_, err := FindBinaries()
	require.ErrorIs(t, err, ErrNoBinaries)
	assert.Contains(t, err.Error(), "apt-get install postgresql")

	_, err = Start(context.Background(), Options{Dir: filepath.Join(t.TempDir(), "pg")})
	require.ErrorIs(t, err, ErrNoBinaries)
}

func TestFindBinariesPrefersHighestVersion(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	root := t.TempDir()
	for _, v := range []string{"9.6", "12", "16"} {
		bin := filepath.Join(root, v, "bin")
		require.NoError(t, os.MkdirAll(bin, 0o755))
		if v == "16" {
			continue // incomplete installation: skipped
		}
		for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
			require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755))
		}
	}
	saved := versionedRoots
	versionedRoots = []string{root}
	t.Cleanup(func() { versionedRoots = saved })

	dir, err := FindBinaries()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "12", "bin"), dir)
}

func TestStartOverLoopbackWhenSocketPathTooLong(t *testing.T) {
	requireBinaries(t)
	dir := baseDir(t)
	for len(dir) < maxSocketPath {
		dir = filepath.Join(dir, "a-long-folder-name-for-the-data")
	}
	s, err := Start(context.Background(), Options{Dir: dir, Fast: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	assert.Contains(t, s.URL(), "@127.0.0.1:")
	assert.Equal(t, "127.0.0.1", showSetting(t, s.URL(), "listen_addresses"))
	require.NoError(t, s.Stop())
}

func TestCheckAccess(t *testing.T) {
	open := baseDir(t)
	require.NoError(t, CheckAccess(open))
	acct, err := serverAccount()
	require.NoError(t, err)
	if !acct.switched {
		return // the server runs as the caller, who can reach its own folders
	}
	closed := filepath.Join(open, "closed")
	require.NoError(t, os.Mkdir(closed, 0o700))
	err = CheckAccess(filepath.Join(closed, "inner"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot enter "+closed)

	_, err = Start(context.Background(), Options{Dir: filepath.Join(closed, "pg")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot enter "+closed)
}

// TestHelperServerOfDyingProcess is not a test: TestStopOnExitServerDiesWithItsProcess
// runs it in a child process that starts a server and exits without stopping it.
func TestHelperServerOfDyingProcess(t *testing.T) {
	dir := os.Getenv("LOCALPG_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	s, err := Start(context.Background(), Options{Dir: dir, Fast: true, StopOnExit: true})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Println("url:", s.URL())
	os.Exit(0) // no Stop: the server must go with this process
}

func TestStopOnExitServerDiesWithItsProcess(t *testing.T) {
	requireBinaries(t)
	dir := filepath.Join(baseDir(t), "pg")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServerOfDyingProcess$")
	cmd.Env = append(os.Environ(), "LOCALPG_HELPER_DIR="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "url: ")

	// The helper has exited; its server receives SIGQUIT and goes away.
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(dir, "postmaster.pid"))
		return errors.Is(err, os.ErrNotExist)
	}, 30*time.Second, 50*time.Millisecond, "the server outlived its process")

	// The cluster is intact and starts again.
	s, err := Start(context.Background(), Options{Dir: dir, Fast: true, StopOnExit: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	assert.Equal(t, "off", showSetting(t, s.URL(), "fsync"), "Fast")
	require.NoError(t, s.Stop())
	_, err = os.Stat(filepath.Join(dir, "postmaster.pid"))
	require.ErrorIs(t, err, os.ErrNotExist, "Stop stops a StopOnExit server")
}
