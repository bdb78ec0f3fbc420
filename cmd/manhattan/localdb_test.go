package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/localpg"
)

// Two commands share the private local PostgreSQL: the one that started it stopping
// must not break the other. The server is left running until `manhattan db stop`.
func TestStoppingOneCommandLeavesTheLocalDatabaseToTheOthers(t *testing.T) {
	if os.Getenv("MANHATTAN_TEST_SKIP_DB") == "1" {
		t.Skip("MANHATTAN_TEST_SKIP_DB=1")
	}
	dir := t.TempDir()
	// t.TempDir's parent is private to the caller; the server may run as another user.
	for p := dir; p != os.TempDir() && p != filepath.Dir(p); p = filepath.Dir(p) {
		require.NoError(t, os.Chmod(p, 0o755))
	}
	t.Cleanup(func() { _, _ = localpg.StopRunning(context.Background(), filepath.Join(dir, "pg"), nil) })
	args := []string{"--data-dir", dir, "--listen", "127.0.0.1:0"}

	first := startCommand(t, runServe, args...)
	firstURL := first.url(t)
	second := startCommand(t, runServe, args...)
	secondURL := second.url(t)
	status, _ := get(t, firstURL+"healthz", "")
	require.Equal(t, http.StatusOK, status)

	require.NoError(t, first.stop(t))
	status, body := get(t, secondURL+"healthz", "")
	assert.Equal(t, http.StatusOK, status, "%s", body)
	status, body = get(t, secondURL+"api/v1/tests", "")
	assert.Equal(t, http.StatusOK, status, "%s", body)

	// db stop stops it for everyone; the second server then reports it.
	code, out, stderr := cli(t, "db", "stop", "--data-dir", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "stopped the private PostgreSQL in "+filepath.Join(dir, "pg"))
	status, _ = get(t, secondURL+"healthz", "")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	require.NoError(t, second.stop(t))
	code, out, _ = cli(t, "db", "stop", "--data-dir", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "no private PostgreSQL runs")
}
