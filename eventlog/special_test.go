package eventlog

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/manhattan-analytics/manhattan/messages"
)

// Only regular files are log files: a FIFO (whose open would wait for a writer) and a
// device (which never ends) among the files are refused at once with a clear error.
func TestReaderRefusesFilesThatAreNotRegular(t *testing.T) {
	for name, create := range map[string]func(t *testing.T, path string){
		"fifo": func(t *testing.T, path string) { require.NoError(t, unix.Mkfifo(path, 0o644)) },
		"symlink to /dev/zero": func(t *testing.T, path string) {
			require.NoError(t, os.Symlink("/dev/zero", path))
		},
		"directory": func(t *testing.T, path string) { require.NoError(t, os.Mkdir(path, 0o755)) },
	} {
		t.Run(name, func(t *testing.T) {
			base := newBase(t)
			appendFile(t, base, h999, "a\n")
			create(t, Path(base, h1000))
			for _, opts := range []Options{{}, {Follow: true, NoWait: true}} {
				done := make(chan error, 1)
				go func() {
					r, err := OpenReader(base, messages.Pointer{}, opts)
					if err != nil {
						done <- err
						return
					}
					defer r.Close()
					for {
						if _, err := r.Next(context.Background()); err != nil {
							done <- err
							return
						}
					}
				}()
				var err error
				select {
				case err = <-done:
				case <-time.After(deadlock):
					t.Fatal("the reader blocked")
				}
				if name == "directory" {
					// Files ignores directories: the log is just the one file.
					assert.NotErrorIs(t, err, ErrNotRegular)
					continue
				}
				require.ErrorIs(t, err, ErrNotRegular)
				assert.Contains(t, err.Error(), Path(base, h1000))
			}
			// A pointer into it is refused too.
			if name != "directory" {
				_, err := OpenReader(base, messages.Pointer{File: h1000, Offset: 10}, Options{SkipMissing: true})
				require.ErrorIs(t, err, ErrNotRegular)
			}
		})
	}
}
