package eventlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/messages"
)

// The rollover tests run writer processes (this test binary again) whose clocks differ
// and run fast: one simulated hour passes in 250 ms of real time, so that a run of a
// few seconds crosses many hours.
const (
	rolloverEnv   = "EVENTLOG_TEST_ROLLOVER"
	rolloverSpeed = 14400 // simulated seconds per real second: an hour in 250 ms
	rolloverT0    = int64(1700002800)
)

// simClock is the simulated clock of a process started at real time r0, offset from the
// reader's by offset (simulated).
func simClock(r0 time.Time, offset time.Duration) func() time.Time {
	return func() time.Time {
		return time.Unix(rolloverT0, 0).Add(time.Since(r0)*rolloverSpeed + offset)
	}
}

// TestHelperRolloverWriter is not a test: the rollover tests run the test binary with it
// to write from other processes. It appends lines "<name> <n>" for a while and prints
// how many it wrote.
func TestHelperRolloverWriter(t *testing.T) {
	spec := os.Getenv(rolloverEnv)
	if spec == "" {
		t.Skip("helper process for the rollover tests")
	}
	f := strings.Split(spec, "|")
	base, name, foreign := f[0], f[1], f[4] == "foreign"
	r0, _ := strconv.ParseInt(f[2], 10, 64)
	offset, _ := time.ParseDuration(f[3])
	run, _ := time.ParseDuration(f[5])
	now := simClock(time.Unix(0, r0), offset)
	w := NewWriter(base)
	n := 0
	for deadline := time.Unix(0, r0).Add(run); time.Now().Before(deadline); n++ {
		line := []byte(fmt.Sprintf("%s %d\n", name, n))
		if foreign {
			require.NoError(t, foreignAppend(base, now(), line))
		} else {
			require.NoError(t, w.Append(now(), line))
		}
		time.Sleep(200 * time.Microsecond)
	}
	require.NoError(t, w.Close())
	fmt.Printf("wrote %d\n", n)
}

// foreignAppend writes as a writer that knows nothing of newer files would (the original
// Python writer): to the file of its clock's hour, under the lock.
func foreignAppend(base string, now time.Time, line []byte) error {
	f, err := os.OpenFile(Path(base, Hour(now)), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := flock(f, 2 /* LOCK_EX */); err != nil {
		return err
	}
	_, err = f.Write(line)
	return err
}

type rolloverWriter struct {
	name    string
	offset  time.Duration // of its clock from the reader's (simulated)
	foreign bool
}

// startWriters starts the writer processes; wait returns how many lines each wrote.
func startWriters(t *testing.T, base string, r0 time.Time, run time.Duration, ws []rolloverWriter) (wait func() map[string]int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(base[:strings.LastIndexByte(base, '/')], 0o755))
	type proc struct {
		name string
		cmd  *exec.Cmd
		out  *bytes.Buffer
	}
	var procs []proc
	for _, w := range ws {
		kind := "ours"
		if w.foreign {
			kind = "foreign"
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRolloverWriter$", "-test.v")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%s|%d|%s|%s|%s", rolloverEnv, base, w.name, r0.UnixNano(), w.offset, kind, run))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		procs = append(procs, proc{w.name, cmd, out})
	}
	return func() map[string]int {
		wrote := map[string]int{}
		for _, p := range procs {
			require.NoError(t, p.cmd.Wait(), p.out.String())
			var n int
			for _, l := range strings.Split(p.out.String(), "\n") {
				if _, err := fmt.Sscanf(l, "wrote %d", &n); err == nil {
					break
				}
			}
			wrote[p.name] = n
		}
		return wrote
	}
}

// tally records the lines a reader returned, and fails on a line returned twice.
type tally struct {
	mu    sync.Mutex
	seen  map[string]bool
	dups  []string
	bytes int64
	late  int64 // bytes the reader reported late
}

func newTally() *tally { return &tally{seen: map[string]bool{}} }

func (c *tally) add(line []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := string(line)
	if c.seen[s] {
		c.dups = append(c.dups, s)
	}
	c.seen[s] = true
	c.bytes += int64(len(line)) + 1
}

func (c *tally) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// missing returns the bytes of the written lines the reader did not return.
func (c *tally) missing(wrote map[string]int) (lines int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, n := range wrote {
		for i := range n {
			s := fmt.Sprintf("%s %d", name, i)
			if !c.seen[s] {
				lines++
				bytes += int64(len(s)) + 1
			}
		}
	}
	return lines, bytes
}

func total(wrote map[string]int) int {
	n := 0
	for _, c := range wrote {
		n += c
	}
	return n
}

// startFollow runs followAll on a goroutine of its own, into a new tally. stopFollow ends
// it, requires that it ended without an error and returns the late data it reported.
func startFollow(t *testing.T, base string, opts Options) (followed *tally, stopFollow func() []LateData) {
	ctx, cancel := context.WithCancel(context.Background())
	followed = newTally()
	var late []LateData
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		late, err = followAll(ctx, base, opts, followed)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return followed, func() []LateData {
		cancel()
		<-done
		require.NoError(t, err)
		return late
	}
}

// followAll reads base with a following Reader until ctx ends, into c; it returns the
// late data the Reader reported.
func followAll(ctx context.Context, base string, opts Options, c *tally) ([]LateData, error) {
	opts.Follow = true
	r, err := OpenReader(base, messages.Pointer{}, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var late []LateData
	for {
		line, err := r.Next(ctx)
		for _, d := range r.Late() {
			late = append(late, d)
			c.mu.Lock()
			c.late += d.Bytes
			c.mu.Unlock()
		}
		if ctx.Err() != nil {
			return late, nil
		}
		if err != nil {
			return late, err
		}
		c.add(line.Raw)
	}
}

// batchOnce reads base in batch mode from ptr to the end, into c, and returns the pointer
// to resume from.
func batchOnce(base string, ptr messages.Pointer, opts Options, c *tally) (messages.Pointer, error) {
	r, err := OpenReader(base, ptr, opts)
	if err != nil {
		return ptr, err
	}
	defer r.Close()
	for {
		line, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return r.Pointer(), nil
		}
		if err != nil {
			return ptr, err
		}
		c.add(line.Raw)
	}
}

func waitCount(t *testing.T, c *tally, want int) {
	t.Helper()
	require.Eventually(t, func() bool { return c.count() >= want }, deadlock, time.Millisecond,
		"the reader returned %d of %d lines", c.count(), want)
}

// Writers of this package whose clocks differ by minutes, across about ten rollovers: a
// following reader and repeated batch reads each return every line exactly once, and
// report nothing late. The readers have no grace window at all: the protocol of the
// Writer and the Reader's shared lock alone keep every line.
func TestRolloverWritersWithDifferentClocksLoseNoLine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs writer processes for seconds")
	}
	base := newBase(t)
	r0 := time.Now()
	clock := simClock(r0, 0)
	wait := startWriters(t, base, r0, 2500*time.Millisecond, []rolloverWriter{
		{name: "behind", offset: -10 * time.Minute},
		{name: "exact"},
		{name: "ahead", offset: 7 * time.Minute},
	})
	opts := Options{PollInterval: time.Millisecond, Now: clock, Grace: -1}

	followed, stopFollow := startFollow(t, base, opts)

	batched := newTally()
	var ptr messages.Pointer
	batches := 0
	for time.Since(r0) < 2500*time.Millisecond {
		var err error
		ptr, err = batchOnce(base, ptr, opts, batched)
		require.NoError(t, err)
		batches++
		time.Sleep(3 * time.Millisecond)
	}
	wrote := wait()
	_, err := batchOnce(base, ptr, opts, batched)
	require.NoError(t, err)

	hours, err := Files(base)
	require.NoError(t, err)
	// (About ten hours pass; a writer process stalled by a loaded machine may leave one
	// without a file.)
	require.GreaterOrEqual(t, len(hours), 5, "many rollovers")
	want := total(wrote)
	require.Greater(t, want, 100)
	waitCount(t, followed, want)
	late := stopFollow()
	for name, c := range map[string]*tally{"follow": followed, "batch": batched} {
		n, b := c.missing(wrote)
		assert.Zero(t, n, "%s: lines lost (%d bytes)", name, b)
		assert.Empty(t, c.dups, "%s: lines read twice", name)
		assert.Equal(t, want, c.count(), name)
	}
	assert.Empty(t, late)
	t.Logf("%d lines, %d files, %d batch reads", want, len(hours), batches)
}

// A writer that does not redirect to the newest file (the original Python writer), with
// its clock behind: its lines are read within the grace window, and any line that
// arrives after it is reported late, byte for byte. Nothing is lost silently.
func TestRolloverForeignWriterIsReadInGraceOrReported(t *testing.T) {
	if testing.Short() {
		t.Skip("runs writer processes for seconds")
	}
	base := newBase(t)
	r0 := time.Now()
	wait := startWriters(t, base, r0, 2500*time.Millisecond, []rolloverWriter{
		{name: "foreign", offset: -5 * time.Minute, foreign: true},
		{name: "ours", offset: 3 * time.Minute},
	})
	// 50 simulated minutes: about 200 ms of real time.
	opts := Options{PollInterval: time.Millisecond, Now: simClock(r0, 0), Grace: 50 * time.Minute}
	followed, stopFollow := startFollow(t, base, opts)
	wrote := wait()
	want := total(wrote)
	// Wait until every line is read or reported.
	require.Eventually(t, func() bool {
		_, b := followed.missing(wrote)
		followed.mu.Lock()
		defer followed.mu.Unlock()
		return b == followed.late
	}, deadlock, time.Millisecond)
	late := stopFollow()
	assert.Empty(t, followed.dups)
	n, b := followed.missing(wrote)
	var reported int64
	for _, d := range late {
		// (A whole file is late only when the foreign writer's first hour, before the
		// others' first, appeared after the reader had begun with theirs.)
		reported += d.Bytes
	}
	assert.Equal(t, b, reported, "every line not read is reported late")
	t.Logf("%d lines, %d not read and reported", want, n)
}

// manualClock is a clock the test moves.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func TestReaderKeepsAnHourOpenForTheGraceWindowThenReportsLateData(t *testing.T) {
	base := newBase(t)
	h := rolloverT0
	n := h + 3600
	clock := &manualClock{now: time.Unix(n-60, 0)}
	appendFile(t, base, h, "a\n")
	r := openReader(t, base, messages.Pointer{}, Options{Follow: true, PollInterval: time.Millisecond, Now: clock.Now})
	f := follow(t, r)
	f.requireLine(t, got{"a", messages.Pointer{File: h, Offset: 2}})

	// The newer hour's file appears; a writer behind it appends to h 5 s later.
	clock.Set(time.Unix(n, 0))
	appendFile(t, base, n, "c\n")
	f.requireQuiet(t, 20*time.Millisecond)
	clock.Set(time.Unix(n+5, 0))
	appendFile(t, base, h, "b\n")
	f.requireLine(t, got{"b", messages.Pointer{File: h, Offset: 4}})
	f.requireQuiet(t, 20*time.Millisecond)

	// Quiet for the grace window since b: the reader moves on.
	clock.Set(time.Unix(n+5, 0).Add(DefaultGrace))
	f.requireLine(t, got{"c", messages.Pointer{File: n, Offset: 2}})

	// Later appends to h, and a whole file of an older hour, are reported, not read.
	appendFile(t, base, h, "late\n")
	// (The older file appears whole, by a rename.)
	require.NoError(t, os.WriteFile(base+".tmp", []byte("older\nfile\n"), 0o644))
	require.NoError(t, os.Rename(base+".tmp", Path(base, h-3600)))
	f.requireQuiet(t, 50*time.Millisecond)
	f.cancel()
	require.ErrorIs(t, f.next(t).err, context.Canceled)
	<-f.done
	assert.ElementsMatch(t, []LateData{
		{Path: Path(base, h), Hour: h, Bytes: 5},
		{Path: Path(base, h-3600), Hour: h - 3600, Bytes: 11, WholeFile: true},
	}, r.Late())
	assert.Empty(t, r.Late(), "reported once")
}

func TestReaderGraceWindowIsCappedAfterTheNewerHour(t *testing.T) {
	// A file written moments ago but whose newer hour began long ago (a log generated or
	// copied just now) is left at once, also in batch mode.
	base := newBase(t)
	appendFile(t, base, rolloverT0, "a\n")
	appendFile(t, base, rolloverT0+3600, "b\n")
	clock := &manualClock{now: time.Unix(rolloverT0+3600, 0).Add(2 * DefaultGrace)}
	r := openReader(t, base, messages.Pointer{}, Options{Now: clock.Now, NoWait: true})
	requireLine(t, r, got{"a", messages.Pointer{File: rolloverT0, Offset: 2}})
	requireLine(t, r, got{"b", messages.Pointer{File: rolloverT0 + 3600, Offset: 2}})
	requireEOF(t, r)
}

func TestReaderBatchWaitsOutAFreshRollover(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, rolloverT0, "a\n")
	appendFile(t, base, rolloverT0+3600, "b\n")
	clock := &manualClock{now: time.Unix(rolloverT0+3600, 0).Add(time.Second)}
	r := openReader(t, base, messages.Pointer{}, Options{Now: clock.Now, NoWait: true})
	requireLine(t, r, got{"a", messages.Pointer{File: rolloverT0, Offset: 2}})
	_, err := r.Next(context.Background())
	require.ErrorIs(t, err, ErrWouldWait)
	appendFile(t, base, rolloverT0, "a2\n")
	requireLine(t, r, got{"a2", messages.Pointer{File: rolloverT0, Offset: 5}})
	clock.Set(time.Unix(rolloverT0+3600, 0).Add(time.Second + DefaultGrace))
	requireLine(t, r, got{"b", messages.Pointer{File: rolloverT0 + 3600, Offset: 2}})
	requireEOF(t, r)
}
