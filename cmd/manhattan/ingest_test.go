package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
)

// A log "file" that is a FIFO or a device is refused with a clear error: ingest ends
// (exit 1) instead of blocking in open or spinning on endless input.
func TestIngestRefusesLogFilesThatAreNotRegular(t *testing.T) {
	for name, create := range map[string]func(path string) error{
		"fifo":                 func(path string) error { return unix.Mkfifo(path, 0o644) },
		"symlink to /dev/zero": func(path string) error { return os.Symlink("/dev/zero", path) },
	} {
		t.Run(name, func(t *testing.T) {
			store := pgtest.NewStore(t)
			base := filepath.Join(t.TempDir(), "manhattan.log")
			require.NoError(t, create(eventlog.Path(base, 1710334800)))
			type result struct {
				code   int
				stderr string
			}
			done := make(chan result, 1)
			go func() {
				code, _, stderr := cli(t, "ingest", "--db", pgtest.URL(t), "--schema", store.Schema(), "--log", base, "--progress=false")
				done <- result{code, stderr}
			}()
			select {
			case res := <-done:
				assert.Equal(t, 1, res.code)
				assert.Contains(t, res.stderr, eventlog.Path(base, 1710334800))
				assert.Contains(t, res.stderr, "only regular files are log files")
			case <-time.After(60 * time.Second):
				t.Fatal("ingest blocked")
			}
		})
	}
}

// A batch ingest of a log whose folder does not exist, or of an hour's file given as the
// log's base, reads nothing: it is an error, not a quiet "no log files yet".
func TestIngestRefusesALogThatCannotBeMeant(t *testing.T) {
	store := pgtest.NewStore(t)
	db := []string{"--db", pgtest.URL(t), "--schema", store.Schema(), "--progress=false"}
	dir := t.TempDir()

	code, _, stderr := cli(t, append([]string{"ingest", "--log", filepath.Join(dir, "nowhere", "manhattan.log")}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "does not exist, so there is no log to read")

	base := filepath.Join(dir, "manhattan.log")
	require.NoError(t, os.WriteFile(eventlog.Path(base, 1710334800), nil, 0o644))
	code, _, stderr = cli(t, append([]string{"ingest", "--log", eventlog.Path(base, 1710334800)}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "give the log's base, --log "+base)

	// An existing folder without files yet is fine (exit 0).
	code, _, stderr = cli(t, append([]string{"ingest", "--log", filepath.Join(dir, "other.log")}, db...)...)
	assert.Equal(t, 0, code, stderr)
}

// `run` keeps waiting for an unreachable database by default, `ingest` gives up after a
// while; --store-wait sets it (0: keep waiting).
func TestStoreWaitDefaultsPerCommand(t *testing.T) {
	wait := func(run bool, args ...string) time.Duration {
		fs := newFlags("test", "")
		pf := addPipelineFlags(fs)
		if run {
			pf.keepWaitingForStore(fs)
		}
		require.NoError(t, fs.Parse(args))
		cfg, err := pf.config()
		require.NoError(t, err)
		return cfg.StoreWait
	}
	assert.Equal(t, actors.WaitForever, wait(true))
	assert.Equal(t, actors.DefaultConfig().StoreWait, wait(false))
	assert.Equal(t, 5*time.Minute, wait(true, "--store-wait", "5m"))
	assert.Equal(t, actors.WaitForever, wait(false, "--store-wait", "0"))
}
