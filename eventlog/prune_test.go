package eventlog

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestPruneRemovesOnlyOldFilesBeforeThePointer(t *testing.T) {
	base := filepath.Join(t.TempDir(), "x.log")
	for _, h := range []int64{3600, 7200, 10800, 14400} {
		require.NoError(t, os.WriteFile(Path(base, h), []byte("line\n"), 0o644))
	}
	cutoff := time.Unix(14400, 0) // hours ending at or before 14400 are old

	res, err := Prune(base, 10800, cutoff, false)
	require.NoError(t, err)
	assert.Equal(t, []PrunedFile{{3600, Path(base, 3600), 5}, {7200, Path(base, 7200), 5}}, res.Files)
	assert.EqualValues(t, 10, res.Bytes)
	assert.FileExists(t, Path(base, 3600), "dry run")

	// A writer holding the lock keeps its file.
	f, err := os.OpenFile(Path(base, 3600), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	require.NoError(t, flock(f, unix.LOCK_EX))
	res, err = Prune(base, 10800, cutoff, true)
	require.NoError(t, err)
	assert.Equal(t, []string{Path(base, 3600)}, res.Busy)
	assert.Equal(t, []PrunedFile{{7200, Path(base, 7200), 5}}, res.Files)
	assert.FileExists(t, Path(base, 3600))
	assert.NoFileExists(t, Path(base, 7200))
	require.NoError(t, f.Close())

	res, err = Prune(base, 10800, cutoff, true)
	require.NoError(t, err)
	assert.Len(t, res.Files, 1)
	hours, err := Files(base)
	require.NoError(t, err)
	assert.Equal(t, []int64{10800, 14400}, hours, "the pointer's file and later ones stay")
}

func TestPruneLeavesNonRegularFilesAlone(t *testing.T) {
	base := filepath.Join(t.TempDir(), "x.log")
	require.NoError(t, syscall.Mkfifo(Path(base, 3600), 0o644))
	res, err := Prune(base, 1<<40, time.Unix(1<<40, 0), true)
	require.NoError(t, err)
	assert.Empty(t, res.Files)
	_, err = os.Lstat(Path(base, 3600))
	assert.NoError(t, err)
}
