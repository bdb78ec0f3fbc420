package reference

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/visitor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testdata = "../../integration/testdata"

type fixture struct {
	name       string
	assertions int // how many answers expected.json holds
	lines      int
	end        messages.Pointer // the pointer after the last line
}

var fixtures = []fixture{
	{name: "clickstream", assertions: 20, lines: 90, end: messages.Pointer{File: 1795834800, Offset: 5160}},
	{name: "generated-20k", assertions: 332, lines: 20000, end: messages.Pointer{File: 1363287600, Offset: 22056}},
}

func (f fixture) path(elem ...string) string {
	return filepath.Join(append([]string{testdata, f.name}, elem...)...)
}

func (f fixture) load(t *testing.T) (*Config, []messages.Record) {
	t.Helper()
	cfg, err := LoadConfig(f.path("config.json"))
	require.NoError(t, err)
	recs, err := ReadLog(context.Background(), f.path("log", "manhattan.log"), messages.Pointer{})
	require.NoError(t, err)
	return cfg, recs
}

// loadRules is load, with the rules of the fixture's configuration in place of it.
func (f fixture) loadRules(t *testing.T) (*visitor.Rules, []messages.Record) {
	t.Helper()
	cfg, recs := f.load(t)
	rules, err := cfg.Rules()
	require.NoError(t, err)
	return rules, recs
}

// TestFixtureLogMetadata checks that the copied logs are the ones expected.json describes.
func TestFixtureLogMetadata(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			_, recs := f.load(t)
			require.Len(t, recs, f.lines)
			assert.Equal(t, f.end, recs[len(recs)-1].Ptr)

			data, err := os.ReadFile(f.path("expected.json"))
			require.NoError(t, err)
			var meta struct {
				Log struct {
					Lines int `json:"lines"`
				} `json:"log"`
			}
			require.NoError(t, json.Unmarshal(data, &meta))
			assert.Equal(t, f.lines, meta.Log.Lines)
		})
	}
}

func TestFixtureAnswers(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			rules, recs := f.loadRules(t)

			seq := Accumulate(rules, recs)
			n := CheckAssertions(t, NewAnswerer(seq), f.path("expected.json"))
			require.Equal(t, f.assertions, n)
			want := Canonical(seq)

			for _, parts := range []int{1, 2, 7} {
				d := AccumulatePartitioned(rules, recs, parts)
				require.Equal(t, want, Canonical(d), "%d partitions", parts)
				CheckAssertions(t, NewAnswerer(d), f.path("expected.json"))
			}
		})
	}
}

// TestFixtureRestart stops after part of the log, encodes every history, decodes them as
// a restarted process would and goes on from the saved pointer: the deltas of both runs
// add up to those of one run.
func TestFixtureRestart(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			rules, recs := f.loadRules(t)
			want := Canonical(Accumulate(rules, recs))

			cut := 25 // the original resume test's split
			if f.name != "clickstream" {
				cut = len(recs) / 2
			}
			first := NewAccumulator(rules)
			for i := range recs[:cut] {
				first.Apply(&recs[i])
			}
			snap, err := first.Snapshot()
			require.NoError(t, err)

			rest, err := ReadLog(context.Background(), f.path("log", "manhattan.log"), recs[cut-1].Ptr)
			require.NoError(t, err)
			require.Equal(t, recs[cut:], rest, "resuming at the pointer reads the rest of the log")
			if f.name == "clickstream" {
				require.Equal(t, int64(1476), recs[cut-1].Ptr.Offset, "expected.json: offset after line 25")
			}

			second, err := Restore(rules, snap)
			require.NoError(t, err)
			for i := range rest {
				second.Apply(&rest[i])
			}
			total := messages.NewDeltas()
			total.Merge(first.Deltas())
			total.Merge(second.Deltas())
			require.Equal(t, want, Canonical(total))
			CheckAssertions(t, NewAnswerer(total), f.path("expected.json"))
		})
	}
}
