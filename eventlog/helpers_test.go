package eventlog

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/stretchr/testify/require"
)

// Hours used by the tests: two hours whose names sort the other way round as strings.
const (
	h999  = int64(999)
	h1000 = int64(1000)
)

func newBase(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "logs", "manhattan.log")
}

func appendFile(t testing.TB, base string, hour int64, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(base), 0o755))
	f, err := os.OpenFile(Path(base, hour), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString(content)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func openReader(t testing.TB, base string, from messages.Pointer, opts Options) *Reader {
	t.Helper()
	r, err := OpenReader(base, from, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// got is a line as the tests compare it: its text and pointer.
type got struct {
	Text string
	Ptr  messages.Pointer
}

func requireLine(t testing.TB, r *Reader, want got) {
	t.Helper()
	line, err := r.Next(context.Background())
	require.NoError(t, err)
	require.Equal(t, want, got{string(line.Raw), line.Ptr})
	ptr := r.Pointer()
	require.Equal(t, want.Ptr, ptr.At())
	require.Equal(t, LineCheck(line.Raw), ptr.Check, "the pointer's check is that of the line before it")
}

func requireEOF(t testing.TB, r *Reader) {
	t.Helper()
	_, err := r.Next(context.Background())
	require.ErrorIs(t, err, io.EOF)
}

// readAll reads a batch-mode Reader to io.EOF, failing on any other error.
func readAll(t testing.TB, r *Reader) []got {
	t.Helper()
	var lines []got
	for {
		line, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return lines
		}
		require.NoError(t, err)
		lines = append(lines, got{string(line.Raw), line.Ptr})
	}
}

// follower reads a following Reader in a goroutine and hands over each line or error.
type follower struct {
	results chan followResult
	cancel  context.CancelFunc
	done    chan struct{}
}

type followResult struct {
	line got
	err  error
}

func follow(t testing.TB, r *Reader) *follower {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{results: make(chan followResult), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for {
			line, err := r.Next(ctx)
			f.results <- followResult{got{string(line.Raw), line.Ptr}, err}
			// Stop only after handing over the error that the cancellation caused: a
			// cancel that comes while a line is handed over must still be answered by a
			// call to Next.
			if err != nil && ctx.Err() != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		for {
			select {
			case <-f.results:
			case <-f.done:
				return
			}
		}
	})
	return f
}

// deadlock bounds how long a test waits for something that must happen; it is a guard
// against hanging, not a performance assertion.
const deadlock = 10 * time.Second

func (f *follower) next(t testing.TB) followResult {
	t.Helper()
	select {
	case res := <-f.results:
		return res
	case <-time.After(deadlock):
		t.Fatal("the following reader returned nothing")
		return followResult{}
	}
}

func (f *follower) requireLine(t testing.TB, want got) {
	t.Helper()
	res := f.next(t)
	require.NoError(t, res.err)
	require.Equal(t, want, res.line)
}

// requireQuiet checks that the follower has returned nothing so far (it is waiting).
func (f *follower) requireQuiet(t testing.TB, wait time.Duration) {
	t.Helper()
	select {
	case res := <-f.results:
		t.Fatalf("expected the reader to wait, got %+v", res)
	case <-time.After(wait):
	}
}
