package eventlog

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/messages"
)

// readTo reads n lines of a batch Reader and returns its pointer after them.
func readTo(t *testing.T, base string, n int) messages.Pointer {
	t.Helper()
	r := openReader(t, base, messages.Pointer{}, Options{})
	for range n {
		_, err := r.Next(context.Background())
		require.NoError(t, err)
	}
	return r.Pointer()
}

func TestReaderDetectsFileRewrittenBehindThePointer(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "aaaa\nbbbb\ncccc\n")
	ptr := readTo(t, base, 2) // just past "bbbb\n"
	require.Equal(t, messages.Pointer{File: h999, Offset: 10, Check: LineCheck([]byte("bbbb"))}, ptr)

	// The file is truncated and written again; byte 9 is again a line end, so that only
	// the check can tell.
	require.NoError(t, os.Truncate(Path(base, h999), 0))
	appendFile(t, base, h999, "xxxx\nyyyy\nzzzz\nwwww\n")

	_, err := OpenReader(base, ptr, Options{})
	require.ErrorIs(t, err, ErrPointerRewritten)
	assert.Contains(t, err.Error(), Path(base, h999))

	t.Run("skip missing goes on at the next file and says so", func(t *testing.T) {
		appendFile(t, base, h1000, "next\n")
		r := openReader(t, base, ptr, Options{SkipMissing: true})
		require.Len(t, r.Skipped(), 1)
		assert.ErrorIs(t, r.Skipped()[0], ErrPointerRewritten)
		assert.Equal(t, []got{{"next", messages.Pointer{File: h1000, Offset: 5}}}, readAll(t, r))
	})
}

func TestReaderDetectsRewriteWhereTheLineEndMoved(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "aaaa\nbbbb\n")
	ptr := readTo(t, base, 1)
	require.NoError(t, os.Truncate(Path(base, h999), 0))
	appendFile(t, base, h999, "aaaaaaaaa\n")
	_, err := OpenReader(base, ptr, Options{})
	require.ErrorIs(t, err, ErrPointerRewritten)
}

func TestReaderResumesWhenTheFileOnlyGrew(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "aaaa\nbbbb\n")
	ptr := readTo(t, base, 2)
	appendFile(t, base, h999, "cccc\n")
	r := openReader(t, base, ptr, Options{})
	assert.Equal(t, []got{{"cccc", messages.Pointer{File: h999, Offset: 15}}}, readAll(t, r))
}

func TestReaderResumesAPointerWithoutCheck(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "aaaa\nbbbb\n")
	r := openReader(t, base, messages.Pointer{File: h999, Offset: 5}, Options{})
	assert.Equal(t, []got{{"bbbb", messages.Pointer{File: h999, Offset: 10}}}, readAll(t, r))
}

func TestReaderFollowDetectsTruncationUnderIt(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "aaaa\nbbbb\n")
	r := openReader(t, base, messages.Pointer{}, Options{Follow: true, PollInterval: time.Millisecond})
	f := follow(t, r)
	f.requireLine(t, got{"aaaa", messages.Pointer{File: h999, Offset: 5}})
	f.requireLine(t, got{"bbbb", messages.Pointer{File: h999, Offset: 10}})
	require.NoError(t, os.Truncate(Path(base, h999), 0))
	appendFile(t, base, h999, "x\n")
	res := f.next(t)
	require.ErrorIs(t, res.err, ErrFileTruncated)
	assert.Contains(t, res.err.Error(), Path(base, h999))
}
