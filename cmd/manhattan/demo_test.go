package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
)

// demoArgs are the flags of a small demo on a fresh schema of the test database.
func demoArgs(t *testing.T) (args []string, db []string, logBase string) {
	t.Helper()
	schema := pgtest.NewStore(t).Schema()
	dataDir := t.TempDir()
	db = []string{"--db", pgtest.URL(t), "--schema", schema}
	args = append(slices.Clone(db), "--data-dir", dataDir, "--records", "3000", "--shards", "2", "--progress=false")
	return args, db, filepath.Join(dataDir, "demo", "manhattan.log")
}

func TestDemoExitAfterIngest(t *testing.T) {
	args, db, logBase := demoArgs(t)
	code, out, stderr := cli(t, append([]string{"demo", "--exit-after-ingest"}, args...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "generated  3000 records")
	assert.NotContains(t, out, "dashboard")

	// The committed answers are those of the log under the demo's rules.
	rules, err := demoRules()
	require.NoError(t, err)
	recs, err := reference.ReadLog(t.Context(), logBase, messages.Pointer{})
	require.NoError(t, err)
	require.Len(t, recs, 3000)
	want := reference.NewAnswerer(reference.Accumulate(rules, recs))
	store, err := persistence.Open(t.Context(), db[1], db[3])
	require.NoError(t, err)
	defer store.Close()
	got := storeAnswerer{store}
	checkDemoAnswers(t, want, got)

	// A second run reuses the log and resets the schema: the same answers, not doubled.
	code, out, stderr = cli(t, append([]string{"demo", "--exit-after-ingest"}, args...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "using      the existing log")
	checkDemoAnswers(t, want, got)
}

// checkDemoAnswers compares the tests, and per test the results and counts of every
// generated goal and complex goal, on every site and all sites together.
func checkDemoAnswers(t *testing.T, want, got reference.Answerer) {
	t.Helper()
	wantTests, err := want.Tests()
	require.NoError(t, err)
	gotTests, err := got.Tests()
	require.NoError(t, err)
	require.Len(t, gotTests, len(loggen.Tests))
	for i := range wantTests {
		assert.Equal(t, wantTests[i].Name, gotTests[i].Name)
		assert.Equal(t, wantTests[i].First, gotTests[i].First)
		assert.Equal(t, wantTests[i].Last, gotTests[i].Last)
	}
	goals := []string{"viewed page", "add to cart", "began checkout", "completed checkout", "order size", "time on site",
		"abandoned cart", "abandoned checkout"}
	one := int64(1)
	for _, site := range []*int64{nil, &one} {
		for _, g := range goals {
			q := reference.Query{Goal: g, Site: site}
			w, err := want.Count(q)
			require.NoError(t, err)
			n, err := got.Count(q)
			require.NoError(t, err)
			assert.Equal(t, w, n, "count of %q", g)
		}
		for _, test := range wantTests {
			w, err := want.Results(test.Name, goals[:6], site)
			require.NoError(t, err)
			r, err := got.Results(test.Name, goals[:6], site)
			require.NoError(t, err)
			require.Len(t, r, len(w))
			for pop, row := range w {
				for i := range row {
					assert.True(t, row[i].Equal(r[pop][i]), "%s %s %s: %s, want %s", test.Name, pop, goals[i], r[pop][i], row[i])
				}
			}
		}
	}
}

// storeAnswerer answers the reference queries from the store.
type storeAnswerer struct{ s *persistence.Store }

func (a storeAnswerer) query(q reference.Query) persistence.Query {
	return persistence.Query{Goal: q.Goal, Test: q.Test, Population: q.Population, Rollup: q.Rollup, Bucket: q.Bucket, Site: q.Site}
}

func (a storeAnswerer) Count(q reference.Query) (int64, error) {
	return a.s.Count(context.Background(), a.query(q))
}

func (a storeAnswerer) GoalValue(q reference.Query) (decimal.Decimal, error) {
	return a.s.GoalValue(context.Background(), a.query(q))
}

func (a storeAnswerer) Tests() ([]reference.TestInfo, error) {
	tests, err := a.s.Tests(context.Background())
	var out []reference.TestInfo
	for _, t := range tests {
		out = append(out, reference.TestInfo{Name: t.Name, First: t.First, Last: t.Last, Populations: t.Populations})
	}
	return out, err
}

func (a storeAnswerer) Results(test string, goals []string, site *int64) (map[string][]decimal.Decimal, error) {
	return a.s.Results(context.Background(), test, goals, site)
}

func TestDemoServesUntilCancelled(t *testing.T) {
	args, _, _ := demoArgs(t)
	b := startCommand(t, runDemo, append(args, "--listen", "127.0.0.1:0")...)
	base := b.url(t)
	var tests query.TestsAnswer
	getJSON(t, base+"api/v1/tests", &tests)
	assert.Len(t, tests.Tests, len(loggen.Tests))
	// The dashboard is mounted at "/".
	status, body := get(t, base, "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), "red checkout form")
	status, body = get(t, base+"tests/"+url.PathEscape("red checkout form"), "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), "completed checkout")
	assert.Contains(t, b.out.String(), "curl '"+base+"api/v1/results?")
	require.NoError(t, b.stop(t))
}

func TestDemoNeverResetsAnotherLogsSchema(t *testing.T) {
	store := pgtest.NewStore(t)
	fixtures.Ingest(t, store, fixtures.Clickstream, nil)
	code, _, stderr := cli(t, "demo", "--exit-after-ingest", "--db", pgtest.URL(t), "--schema", store.Schema(),
		"--data-dir", t.TempDir(), "--records", "100", "--progress=false")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `holds data of the log source "default"`)
	n, err := store.Count(t.Context(), persistence.Query{Goal: "viewed page"})
	require.NoError(t, err)
	assert.Positive(t, n, "the schema was left alone")
}
