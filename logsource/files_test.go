package logsource_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
)

var _ logsource.Log = (*logsource.Files)(nil)

func writeFile(t *testing.T, base string, hour int64, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(eventlog.Path(base, hour), []byte(content), 0o644))
}

// readAll reads r to its first io.EOF: the lines, and the dead letters of bad parts.
func readAll(t *testing.T, r logsource.Reader) (lines []logsource.Line, dead []messages.DeadLetter) {
	t.Helper()
	for {
		l, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return lines, dead
		}
		if dl, ok := logsource.AsBadLine(err); ok {
			dead = append(dead, dl)
			continue
		}
		require.NoError(t, err)
		l.Raw = append([]byte(nil), l.Raw...)
		lines = append(lines, l)
	}
}

func TestFilesAreOnePartitionResumedAtItsPointers(t *testing.T) {
	ctx := context.Background()
	base := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, base, 3600, "a\nbb\n")
	writeFile(t, base, 7200, "ccc\n"+strings.Repeat("x", eventlog.MaxLineLength+1)+"\nd\n")
	log := logsource.NewFiles(base)
	n, err := log.Partitions(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	r, err := log.Open(ctx, nil, logsource.Options{})
	require.NoError(t, err)
	lines, dead := readAll(t, r)
	require.NoError(t, r.Close())
	require.Len(t, lines, 4)
	assert.Equal(t, "a", string(lines[0].Raw))
	assert.Equal(t, messages.Pointer{File: 3600, Offset: 2}, lines[0].Ptr)
	assert.Equal(t, "d", string(lines[3].Raw))
	require.Len(t, dead, 1, "the over-long line is a bad line, its neighbours are kept")
	assert.Equal(t, int64(7200), dead[0].Ptr.File)

	lags, err := log.Lag(ctx, []messages.Pointer{lines[1].Ptr})
	require.NoError(t, err)
	fi, err := os.Stat(eventlog.Path(base, 7200))
	require.NoError(t, err)
	assert.Equal(t, []logsource.Lag{{Partition: 0, Behind: fi.Size(), Unit: logsource.UnitBytes}}, lags)

	// Resuming at a pointer continues with the next line.
	r, err = log.Open(ctx, []messages.Pointer{lines[1].Ptr}, logsource.Options{})
	require.NoError(t, err)
	again, _ := readAll(t, r)
	require.NoError(t, r.Close())
	require.Len(t, again, 2)
	assert.Equal(t, "ccc", string(again[0].Raw))
}

func TestFilesRefusePointersTheyCannotResumeAt(t *testing.T) {
	ctx := context.Background()
	base := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, base, 3600, "a\n")
	writeFile(t, base, 7200, "b\n")
	log := logsource.NewFiles(base)

	_, err := log.Open(ctx, []messages.Pointer{{File: 3600, Offset: 99}}, logsource.Options{})
	assert.ErrorIs(t, err, logsource.ErrPointerNotInLog)
	_, err = log.Open(ctx, []messages.Pointer{{File: 10800, Offset: 1}}, logsource.Options{})
	assert.ErrorIs(t, err, logsource.ErrPointerNotInLog)
	_, err = log.Open(ctx, []messages.Pointer{{Partition: 1}}, logsource.Options{})
	assert.ErrorContains(t, err, "no partition 1")

	r, err := log.Open(ctx, []messages.Pointer{{File: 3600, Offset: 99}}, logsource.Options{SkipMissing: true})
	require.NoError(t, err)
	lines, _ := readAll(t, r)
	require.Len(t, lines, 1)
	assert.Equal(t, "b", string(lines[0].Raw))
	assert.NotEmpty(t, r.Skipped())
	require.NoError(t, r.Close())
}
