package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
)

// gen never silently replaces the files of an existing log (a tracker's, say).
func TestGenRefusesExistingLogWithoutForce(t *testing.T) {
	base := filepath.Join(t.TempDir(), "log", "manhattan.log")
	args := []string{"gen", "--log", base, "--records", "500", "--days", "1"}
	code, _, stderr := cli(t, args...)
	require.Equal(t, 0, code, stderr)
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	tracked := eventlog.Path(base, hours[0])
	require.NoError(t, os.WriteFile(tracked, []byte("real data\n"), 0o644))

	code, _, stderr = cli(t, args...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "pass --force to replace them")
	b, err := os.ReadFile(tracked)
	require.NoError(t, err)
	assert.Equal(t, "real data\n", string(b), "left alone")

	code, _, stderr = cli(t, append(args, "--force")...)
	require.Equal(t, 0, code, stderr)
	b, err = os.ReadFile(tracked)
	require.NoError(t, err)
	assert.NotEqual(t, "real data\n", string(b))
}
