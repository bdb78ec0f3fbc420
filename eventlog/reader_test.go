package eventlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestFilesOrdersNumericallyAndIgnoresOtherNames(t *testing.T) {
	base := newBase(t)
	for _, h := range []int64{1000, 3600, 999, 100} {
		appendFile(t, base, h, "x\n")
	}
	dir := base[:strings.LastIndexByte(base, '/')]
	for _, name := range []string{"manhattan.log.abc", "manhattan.log.0100", "manhattan.log.-5",
		"manhattan.log.+7", "manhattan.log.", "manhattan.log", "other.log.5", "manhattan.logx.5"} {
		require.NoError(t, os.WriteFile(dir+"/"+name, []byte("x\n"), 0o644))
	}
	require.NoError(t, os.Mkdir(Path(base, 7200), 0o755))

	hours, err := Files(base)
	require.NoError(t, err)
	assert.Equal(t, []int64{100, 999, 1000, 3600}, hours)
}

func TestFilesOfMissingDirectoryIsEmpty(t *testing.T) {
	hours, err := Files(newBase(t))
	require.NoError(t, err)
	assert.Empty(t, hours)
}

func TestPathAndHour(t *testing.T) {
	assert.Equal(t, "/var/log/m.log.1362700800", Path("/var/log/m.log", 1362700800))
	assert.Equal(t, int64(1362700800), Hour(time.Unix(1362700800, 0)))
	assert.Equal(t, int64(1362700800), Hour(time.Unix(1362704399, 999)))
	assert.Equal(t, int64(1362704400), Hour(time.Unix(1362704400, 0)))
	assert.Equal(t, int64(-3600), Hour(time.Unix(-1, 0)))
}

func TestReaderBatchReadsAllFilesInNumericOrder(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h1000, "c\n")
	appendFile(t, base, h999, "a\nbb\n")
	r := openReader(t, base, messages.Pointer{}, Options{})
	assert.Equal(t, []got{
		{"a", messages.Pointer{File: h999, Offset: 2}},
		{"bb", messages.Pointer{File: h999, Offset: 5}},
		{"c", messages.Pointer{File: h1000, Offset: 2}},
	}, readAll(t, r))
	requireEOF(t, r)
	assert.Equal(t, messages.Pointer{File: h1000, Offset: 2}, r.Pointer().At())
}

func TestReaderKeepsEmptyLinesAndCarriageReturns(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "\na\r\n\n")
	r := openReader(t, base, messages.Pointer{}, Options{})
	assert.Equal(t, []got{
		{"", messages.Pointer{File: h999, Offset: 1}},
		{"a\r", messages.Pointer{File: h999, Offset: 4}},
		{"", messages.Pointer{File: h999, Offset: 5}},
	}, readAll(t, r))
}

func TestReaderResumesFromPointer(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "a\nbb\n")
	appendFile(t, base, h1000, "c\n")
	for _, tc := range []struct {
		name string
		from messages.Pointer
		want []string
	}{
		{"start of the oldest file", messages.Pointer{}, []string{"a", "bb", "c"}},
		{"explicit start of a file", messages.Pointer{File: h999}, []string{"a", "bb", "c"}},
		{"mid-file", messages.Pointer{File: h999, Offset: 2}, []string{"bb", "c"}},
		{"end of an older file", messages.Pointer{File: h999, Offset: 5}, []string{"c"}},
		{"start of the newest file", messages.Pointer{File: h1000}, []string{"c"}},
		{"end of the log", messages.Pointer{File: h1000, Offset: 2}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := openReader(t, base, tc.from, Options{})
			var texts []string
			for _, l := range readAll(t, r) {
				texts = append(texts, l.Text)
			}
			assert.Equal(t, tc.want, texts)
		})
	}
}

func TestReaderBatchLeavesPartialLastLine(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "a\nbc")
	r := openReader(t, base, messages.Pointer{}, Options{})
	requireLine(t, r, got{"a", messages.Pointer{File: h999, Offset: 2}})
	requireEOF(t, r)
	requireEOF(t, r)
	assert.Equal(t, messages.Pointer{File: h999, Offset: 2}, r.Pointer().At())

	// A new reader from the pointer also stops before the partial line.
	r2 := openReader(t, base, r.Pointer(), Options{})
	requireEOF(t, r2)

	// Once the writer completes it, both readers return it whole.
	appendFile(t, base, h999, "d\ne")
	requireLine(t, r, got{"bcd", messages.Pointer{File: h999, Offset: 6}})
	requireEOF(t, r)
	requireLine(t, r2, got{"bcd", messages.Pointer{File: h999, Offset: 6}})
}

func TestReaderBatchContinuesAfterGrowthAndNewFiles(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "a\n")
	r := openReader(t, base, messages.Pointer{}, Options{})
	requireLine(t, r, got{"a", messages.Pointer{File: h999, Offset: 2}})
	requireEOF(t, r)
	appendFile(t, base, h999, "b\n")
	appendFile(t, base, h1000, "c\n")
	requireLine(t, r, got{"b", messages.Pointer{File: h999, Offset: 4}})
	requireLine(t, r, got{"c", messages.Pointer{File: h1000, Offset: 2}})
	requireEOF(t, r)
}

func TestReaderEmptyLog(t *testing.T) {
	base := newBase(t)
	r := openReader(t, base, messages.Pointer{}, Options{})
	requireEOF(t, r)
	assert.Zero(t, BytesAfter(base, r.Pointer()))
}

func TestReaderTruncatedLineInOlderFile(t *testing.T) {
	for _, opts := range []Options{{}, {Follow: true, PollInterval: time.Millisecond}} {
		t.Run(fmt.Sprintf("follow=%v", opts.Follow), func(t *testing.T) {
			base := newBase(t)
			appendFile(t, base, h999, "a\npartial")
			appendFile(t, base, h1000, "b\n")
			r := openReader(t, base, messages.Pointer{}, opts)
			requireLine(t, r, got{"a", messages.Pointer{File: h999, Offset: 2}})

			ctx, cancel := context.WithTimeout(context.Background(), deadlock)
			defer cancel()
			_, err := r.Next(ctx)
			var te *TruncatedLineError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "partial", string(te.Raw))
			assert.Equal(t, int64(7), te.Length)
			assert.Equal(t, messages.Pointer{File: h999, Offset: 9}, te.Ptr)
			assert.Contains(t, te.Error(), "incomplete line of 7 bytes")

			dl, ok := AsDeadLetter(fmt.Errorf("source: %w", err))
			require.True(t, ok)
			assert.Equal(t, messages.DeadLetter{Raw: "partial", Ptr: te.Ptr, Reason: te.Error()}, dl)

			line, err := r.Next(ctx)
			require.NoError(t, err)
			assert.Equal(t, got{"b", messages.Pointer{File: h1000, Offset: 2}}, got{string(line.Raw), line.Ptr})

			// Resuming at the truncation's pointer goes on with the newer file.
			r2 := openReader(t, base, te.Ptr, Options{})
			requireLine(t, r2, got{"b", messages.Pointer{File: h1000, Offset: 2}})
		})
	}
}

func TestReaderWaitsForWriterHoldingTheLockBeforeDeclaringTruncation(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "a\npart")
	appendFile(t, base, h1000, "b\n")

	// A writer is in the middle of an append to the older file: it holds the lock.
	w, err := os.OpenFile(Path(base, h999), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, flock(w, unix.LOCK_EX))

	r := openReader(t, base, messages.Pointer{}, Options{PollInterval: time.Millisecond})
	requireLine(t, r, got{"a", messages.Pointer{File: h999, Offset: 2}})
	f := follow(t, r)
	f.requireQuiet(t, 50*time.Millisecond)

	_, err = w.WriteString("ial\n")
	require.NoError(t, err)
	require.NoError(t, unlock(w))
	f.requireLine(t, got{"partial", messages.Pointer{File: h999, Offset: 10}})
	f.requireLine(t, got{"b", messages.Pointer{File: h1000, Offset: 2}})
}

func TestReaderFollowPicksUpGrowthAndNewFilesAndStopsOnCancel(t *testing.T) {
	base := newBase(t)
	r := openReader(t, base, messages.Pointer{}, Options{Follow: true, PollInterval: time.Millisecond})
	f := follow(t, r)
	f.requireQuiet(t, 20*time.Millisecond)

	appendFile(t, base, h999, "a\n")
	f.requireLine(t, got{"a", messages.Pointer{File: h999, Offset: 2}})

	appendFile(t, base, h999, "b")
	f.requireQuiet(t, 20*time.Millisecond)
	appendFile(t, base, h999, "c\n")
	f.requireLine(t, got{"bc", messages.Pointer{File: h999, Offset: 5}})

	appendFile(t, base, h1000, "d\n")
	f.requireLine(t, got{"d", messages.Pointer{File: h1000, Offset: 2}})
	appendFile(t, base, h1000, "e\n")
	f.requireLine(t, got{"e", messages.Pointer{File: h1000, Offset: 4}})

	f.cancel()
	res := f.next(t)
	require.ErrorIs(t, res.err, context.Canceled)
}

func TestReaderFollowFinishesOlderFileBeforeMovingOn(t *testing.T) {
	// Lines appended to the older file before the reader has found it exhausted twice
	// are still read, before those of the newer file.
	base := newBase(t)
	appendFile(t, base, h999, "a\n")
	r := openReader(t, base, messages.Pointer{}, Options{Follow: true, PollInterval: time.Millisecond})
	requireLine(t, r, got{"a", messages.Pointer{File: h999, Offset: 2}})
	appendFile(t, base, h1000, "c\n")
	appendFile(t, base, h999, "b\n")
	requireLine(t, r, got{"b", messages.Pointer{File: h999, Offset: 4}})
	requireLine(t, r, got{"c", messages.Pointer{File: h1000, Offset: 2}})
}

func TestReaderFollowReturnsContextErrorWhenAlreadyCancelled(t *testing.T) {
	base := newBase(t)
	r := openReader(t, base, messages.Pointer{}, Options{Follow: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Next(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestReaderPointerErrors(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "a\nbb\n")
	appendFile(t, base, h1000, "c\n")

	t.Run("missing file", func(t *testing.T) {
		_, err := OpenReader(base, messages.Pointer{File: 500, Offset: 2}, Options{})
		require.ErrorIs(t, err, ErrPointerFileMissing)
		assert.Contains(t, err.Error(), Path(base, 500))
	})
	t.Run("beyond end", func(t *testing.T) {
		_, err := OpenReader(base, messages.Pointer{File: h999, Offset: 6}, Options{})
		require.ErrorIs(t, err, ErrPointerBeyondEnd)
		assert.Contains(t, err.Error(), Path(base, h999)+" has 5 bytes, the pointer is at offset 6")
	})
	t.Run("misaligned", func(t *testing.T) {
		_, err := OpenReader(base, messages.Pointer{File: h999, Offset: 3}, Options{SkipMissing: true})
		require.ErrorIs(t, err, ErrPointerMisaligned)
	})
	t.Run("negative offset", func(t *testing.T) {
		_, err := OpenReader(base, messages.Pointer{File: h999, Offset: -1}, Options{SkipMissing: true})
		require.Error(t, err)
	})
	t.Run("skip missing file", func(t *testing.T) {
		r := openReader(t, base, messages.Pointer{File: 500, Offset: 2}, Options{SkipMissing: true})
		require.Len(t, r.Skipped(), 1)
		assert.ErrorIs(t, r.Skipped()[0], ErrPointerFileMissing)
		assert.Equal(t, []got{
			{"a", messages.Pointer{File: h999, Offset: 2}},
			{"bb", messages.Pointer{File: h999, Offset: 5}},
			{"c", messages.Pointer{File: h1000, Offset: 2}},
		}, readAll(t, r))
	})
	t.Run("skip beyond end", func(t *testing.T) {
		r := openReader(t, base, messages.Pointer{File: h999, Offset: 600}, Options{SkipMissing: true})
		require.Len(t, r.Skipped(), 1)
		assert.ErrorIs(t, r.Skipped()[0], ErrPointerBeyondEnd)
		assert.Equal(t, []got{{"c", messages.Pointer{File: h1000, Offset: 2}}}, readAll(t, r))
	})
	t.Run("skip past the newest file", func(t *testing.T) {
		r := openReader(t, base, messages.Pointer{File: 5000, Offset: 2}, Options{SkipMissing: true})
		requireEOF(t, r)
		assert.Equal(t, messages.Pointer{File: 5000, Offset: 2}, r.Pointer())
		appendFile(t, base, 7200, "z\n")
		requireLine(t, r, got{"z", messages.Pointer{File: 7200, Offset: 2}})
	})
}

func TestReaderSkipsOverlongLine(t *testing.T) {
	base := newBase(t)
	long := bytes.Repeat([]byte("x"), 3*MaxLineLength+17)
	longest := strings.Repeat("y", MaxLineLength-1) // with its "\n", exactly MaxLineLength
	appendFile(t, base, h999, "a\n"+string(long)+"\n"+longest+"\nb\n")
	r := openReader(t, base, messages.Pointer{}, Options{})
	requireLine(t, r, got{"a", messages.Pointer{File: h999, Offset: 2}})

	_, err := r.Next(context.Background())
	var le *LineTooLongError
	require.ErrorAs(t, err, &le)
	end := int64(2 + len(long) + 1)
	assert.Equal(t, int64(len(long)), le.Length)
	assert.Equal(t, messages.Pointer{File: h999, Offset: end}, le.Ptr)
	assert.Equal(t, long[:4096], le.Prefix)
	assert.Equal(t, le.Ptr, r.Pointer())
	dl, ok := AsDeadLetter(err)
	require.True(t, ok)
	assert.Equal(t, le.Ptr, dl.Ptr)
	assert.Contains(t, dl.Reason, fmt.Sprintf("line of %d bytes ending at %s is too long: with its line end it has %d bytes, more than the limit of %d",
		len(long), le.Ptr, len(long)+1, MaxLineLength))

	requireLine(t, r, got{longest, messages.Pointer{File: h999, Offset: end + MaxLineLength}})
	requireLine(t, r, got{"b", messages.Pointer{File: h999, Offset: end + MaxLineLength + 2}})
	requireEOF(t, r)
}

func TestReaderOverlongLineCompletedLater(t *testing.T) {
	base := newBase(t)
	long := strings.Repeat("x", MaxLineLength+5)
	appendFile(t, base, h999, long)
	r := openReader(t, base, messages.Pointer{}, Options{})
	requireEOF(t, r)
	assert.Equal(t, messages.Pointer{File: h999}, r.Pointer())
	appendFile(t, base, h999, "x\nb\n")
	_, err := r.Next(context.Background())
	var le *LineTooLongError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, int64(len(long)+1), le.Length)
	requireLine(t, r, got{"b", messages.Pointer{File: h999, Offset: int64(len(long)) + 4}})
}

func TestAsDeadLetterIgnoresOtherErrors(t *testing.T) {
	_, ok := AsDeadLetter(errors.New("disk on fire"))
	assert.False(t, ok)
	_, ok = AsDeadLetter(nil)
	assert.False(t, ok)
}

func TestReaderClose(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "a\n")
	r, err := OpenReader(base, messages.Pointer{}, Options{})
	require.NoError(t, err)
	requireLine(t, r, got{"a", messages.Pointer{File: h999, Offset: 2}})
	require.NoError(t, r.Close())
	require.NoError(t, r.Close())
	_, err = r.Next(context.Background())
	require.ErrorIs(t, err, ErrClosed)
}

func TestReaderLineIsValidUntilNextCall(t *testing.T) {
	// Lines are slices of the reader's buffer; a caller that keeps one must copy it. This
	// documents that the buffer is reused rather than allocated per line.
	base := newBase(t)
	appendFile(t, base, h999, "aaaa\nbbbb\n")
	r := openReader(t, base, messages.Pointer{}, Options{})
	first, err := r.Next(context.Background())
	require.NoError(t, err)
	second, err := r.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, &first.Raw[:cap(first.Raw)][5], &second.Raw[0], "both lines share one buffer")
}
