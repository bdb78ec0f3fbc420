package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/messages"
)

// clickstreamFile is the one file of the clickstream log; offsetAfter25 is the pointer
// after its 25th line, where the original resume test stopped (expected.json "pointer").
const (
	clickstreamHour = 1795834800
	clickstreamEnd  = 5160
	offsetAfter25   = 1476
)

func TestClickstreamReplay(t *testing.T) {
	modes := []struct {
		name   string
		adjust func(*actors.Config)
	}{
		{"defaults", nil},
		{"tiny cache and flush", func(c *actors.Config) { c.CacheSize, c.FlushEvery, c.BatchSize = 2, 3, 4 }},
	}
	for _, shards := range []int{1, 2, 7} {
		for _, mode := range modes {
			for _, split := range []bool{false, true} {
				name := fmt.Sprintf("shards=%d/%s/split=%v", shards, mode.name, split)
				t.Run(name, func(t *testing.T) {
					store := pgtest.NewStore(t)
					src := fixtures.CopyLog(t, fixtures.Clickstream)
					file := fmt.Sprintf("%s.%d", src, clickstreamHour)
					whole, err := os.ReadFile(file)
					require.NoError(t, err)
					base := filepath.Join(t.TempDir(), "manhattan.log")
					dst := fmt.Sprintf("%s.%d", base, clickstreamHour)
					cfg := actors.Config{Store: store, Rules: fixtures.Rules(t, fixtures.Clickstream), LogBase: base, Shards: shards}
					if mode.adjust != nil {
						mode.adjust(&cfg)
					}
					var records int64
					if split {
						require.NoError(t, os.WriteFile(dst, whole[:offsetAfter25], 0o644))
						sum, err := actors.Run(t.Context(), cfg, ingest.Events{})
						require.NoError(t, err)
						assert.Equal(t, int64(25), sum.Records)
						ptr, _, err := store.LoadPointer(t.Context(), "default")
						require.NoError(t, err)
						assert.Equal(t, messages.Pointer{File: clickstreamHour, Offset: offsetAfter25}, ptr.At())
						records += sum.Records
						require.NoError(t, appendFile(dst, whole[offsetAfter25:]))
					} else {
						require.NoError(t, os.WriteFile(dst, whole, 0o644))
					}
					sum, err := actors.Run(t.Context(), cfg, ingest.Events{})
					require.NoError(t, err)
					records += sum.Records
					assert.Equal(t, int64(90), records)
					ptr, _, err := store.LoadPointer(t.Context(), "default")
					require.NoError(t, err)
					assert.Equal(t, messages.Pointer{File: clickstreamHour, Offset: clickstreamEnd}, ptr.At())
					n := reference.CheckAssertions(t, storeAnswerer{t.Context(), store}, fixtures.Expected(fixtures.Clickstream))
					assert.Positive(t, n)
				})
			}
		}
	}
}

func TestGenerated20kThroughPostgres(t *testing.T) {
	store := pgtest.NewStore(t)
	sum := fixtures.Ingest(t, store, fixtures.Generated20k, func(c *actors.Config) {
		c.Shards, c.FlushEvery = 4, 3000
	})
	assert.Equal(t, int64(20_000), sum.Records)
	assert.Zero(t, sum.DeadLetters)
	n := reference.CheckAssertions(t, storeAnswerer{t.Context(), store}, fixtures.Expected(fixtures.Generated20k))
	assert.Equal(t, 332, n)
}

func appendFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
