package eventlog

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1362700800, 0) // the start of an hour

func readFile(t testing.TB, base string, hour int64) string {
	t.Helper()
	b, err := os.ReadFile(Path(base, hour))
	require.NoError(t, err)
	return string(b)
}

func TestWriterRejectsIncompleteLines(t *testing.T) {
	base := newBase(t)
	w := NewWriter(base)
	defer w.Close()
	for _, data := range []string{"", "a", "a\nb"} {
		require.ErrorIs(t, w.Append(t0, []byte(data)), ErrIncompleteLine, "%q", data)
	}
	hours, err := Files(base)
	require.NoError(t, err)
	assert.Empty(t, hours, "nothing was written")
}

func TestWriterWritesHourlyFilesAndCreatesTheDirectory(t *testing.T) {
	base := newBase(t) // its directory does not exist yet
	w := NewWriter(base)
	require.NoError(t, w.Append(t0, []byte("a\n")))
	require.NoError(t, w.Append(t0.Add(59*time.Minute), []byte("b\nc\n")))
	require.NoError(t, w.Append(t0.Add(time.Hour), []byte("d\n")))
	require.NoError(t, w.Append(t0.Add(5*time.Hour+time.Second), []byte("e\n")))
	require.NoError(t, w.Close())

	hours, err := Files(base)
	require.NoError(t, err)
	h := t0.Unix()
	assert.Equal(t, []int64{h, h + 3600, h + 5*3600}, hours)
	assert.Equal(t, "a\nb\nc\n", readFile(t, base, h))
	assert.Equal(t, "d\n", readFile(t, base, h+3600))
	assert.Equal(t, "e\n", readFile(t, base, h+5*3600))
}

func TestWriterNeverGoesBackToAnOlderHour(t *testing.T) {
	base := newBase(t)
	w := NewWriter(base)
	require.NoError(t, w.Append(t0.Add(time.Hour), []byte("later\n")))
	require.NoError(t, w.Append(t0, []byte("clock stepped back\n")))
	require.NoError(t, w.Close())
	require.NoError(t, w.Append(t0, []byte("after close\n")))
	require.NoError(t, w.Close())

	hours, err := Files(base)
	require.NoError(t, err)
	assert.Equal(t, []int64{t0.Unix() + 3600}, hours)
	assert.Equal(t, "later\nclock stepped back\nafter close\n", readFile(t, base, t0.Unix()+3600))
}

func TestWriterAppendsToExistingFile(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, t0.Unix(), "old\n")
	w := NewWriter(base)
	require.NoError(t, w.Append(t0, []byte("new\n")))
	require.NoError(t, w.Close())
	assert.Equal(t, "old\nnew\n", readFile(t, base, t0.Unix()))
}

// chunk returns the lines writer w appends as its n-th chunk: three lines, long enough
// that unsynchronised writes would interleave.
func chunk(w string, n int) []byte {
	var b strings.Builder
	for l := range 3 {
		fmt.Fprintf(&b, "%s %d %d %s\n", w, n, l, strings.Repeat("x", 2000+n%7*300))
	}
	return []byte(b.String())
}

// requireWholeChunks checks that the log holds exactly the chunks of every writer, each
// chunk's lines together and in order, and each writer's chunks in its order.
func requireWholeChunks(t *testing.T, base string, chunks map[string]int) {
	t.Helper()
	r := openReader(t, base, messages.Pointer{}, Options{})
	lines := readAll(t, r)
	next := map[string]int{}
	total := 0
	for i := 0; i < len(lines); i += 3 {
		fields := strings.Fields(lines[i].Text)
		require.Len(t, fields, 4, "line %d", i)
		w := fields[0]
		n, err := strconv.Atoi(fields[1])
		require.NoError(t, err)
		require.Equal(t, next[w], n, "chunks of %s out of order", w)
		next[w]++
		want := strings.Split(strings.TrimSuffix(string(chunk(w, n)), "\n"), "\n")
		require.GreaterOrEqual(t, len(lines), i+3)
		for l := range 3 {
			require.Equal(t, want[l], lines[i+l].Text, "line %d", i+l)
		}
		total++
	}
	assert.Equal(t, chunks, next)
	assert.Equal(t, len(lines), 3*total)
}

func TestWriterConcurrentAppendsAreAtomic(t *testing.T) {
	base := newBase(t)
	const writers, goroutines, perGoroutine = 2, 4, 60
	want := map[string]int{}
	var wg sync.WaitGroup
	for i := range writers {
		w := NewWriter(base) // each Writer has its own file descriptor, like a process
		defer w.Close()
		for g := range goroutines {
			name := fmt.Sprintf("w%d-g%d", i, g)
			want[name] = perGoroutine
			wg.Go(func() {
				for n := range perGoroutine {
					if err := w.Append(t0, chunk(name, n)); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	requireWholeChunks(t, base, want)
}

const helperEnv = "EVENTLOG_TEST_WRITER"

// TestHelperWriterProcess is not a test: TestWriterAcrossProcesses runs the test binary
// with it to append from other processes.
func TestHelperWriterProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process for TestWriterAcrossProcesses")
	}
	base, name, _ := strings.Cut(spec, "|")
	w := NewWriter(base)
	for n := range 100 {
		require.NoError(t, w.Append(t0, chunk(name, n)))
	}
	require.NoError(t, w.Close())
}

func TestWriterAcrossProcesses(t *testing.T) {
	base := newBase(t)
	want := map[string]int{}
	var cmds []*exec.Cmd
	for i := range 2 {
		name := fmt.Sprintf("proc%d", i)
		want[name] = 100
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriterProcess$")
		cmd.Env = append(os.Environ(), helperEnv+"="+base+"|"+name)
		require.NoError(t, cmd.Start())
		cmds = append(cmds, cmd)
	}
	w := NewWriter(base)
	for n := range 100 {
		require.NoError(t, w.Append(t0, chunk("parent", n)))
	}
	require.NoError(t, w.Close())
	want["parent"] = 100
	for _, cmd := range cmds {
		require.NoError(t, cmd.Wait())
	}
	requireWholeChunks(t, base, want)
}
