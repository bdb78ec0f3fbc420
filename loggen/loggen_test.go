package loggen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/messages"
)

func readAll(t *testing.T, dir string) []byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	var all []byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		require.NoError(t, err)
		all = append(all, b...)
	}
	return all
}

func TestWriteIsDeterministicAndParses(t *testing.T) {
	o := Options{Seed: 7, Records: 5000, Visitors: 400}
	a, b := t.TempDir(), t.TempDir()
	sa, err := Write(filepath.Join(a, "m.log"), o)
	require.NoError(t, err)
	_, err = Write(filepath.Join(b, "m.log"), o)
	require.NoError(t, err)
	require.Equal(t, 5000, sa.Lines)
	all := readAll(t, a)
	require.Equal(t, all, readAll(t, b), "same options, same bytes")

	lines := bytes.Split(bytes.TrimSuffix(all, []byte("\n")), []byte("\n"))
	require.Len(t, lines, 5000)
	kinds := map[messages.Kind]int{}
	vids := map[string]bool{}
	humans := map[string]bool{}
	var last int64
	for _, l := range lines {
		r, err := messages.ParseLine(l)
		require.NoError(t, err, "%q", l)
		kinds[r.Kind]++
		vids[r.VID] = true
		if r.Kind == messages.KindPixel {
			humans[r.VID] = true
		}
		assert.GreaterOrEqual(t, r.Timestamp, last-3600, "roughly in time order")
		last = max(last, r.Timestamp)
		assert.True(t, r.Site >= 1 && r.Site <= 3)
	}
	for _, k := range []messages.Kind{messages.KindPage, messages.KindPixel, messages.KindGoal, messages.KindSplit} {
		assert.Positive(t, kinds[k], "kind %v present", k)
	}
	robots := len(vids) - len(humans)
	assert.InDelta(t, 0.3, float64(robots)/float64(len(vids)), 0.1, "about 30%% robots")
	assert.Greater(t, sa.Files, 24, "several days of hourly files")
}

func TestPopulationIsStable(t *testing.T) {
	for i := range 100 {
		vid := VisitorID(1, i)
		assert.Equal(t, Population(vid, 0), Population(vid, 0))
	}
	seen := map[string]bool{}
	for i := range 300 {
		seen[Population(VisitorID(1, i), 2)] = true
	}
	assert.Len(t, seen, 3, "every population is used")
}
