package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/query"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// cli runs the manhattan command in-process and returns its exit code and output.
func cli(t testing.TB, args ...string) (code int, out, errOut string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// cliAnswerer answers the reference queries with `manhattan query --json`.
type cliAnswerer struct {
	t      testing.TB
	dbArgs []string
}

func (a cliAnswerer) query(out any, args ...string) error {
	args = append(append([]string{"query"}, args...), a.dbArgs...)
	args = append(args, "--json")
	code, stdout, stderr := cli(a.t, args...)
	if code != 0 {
		return fmt.Errorf("manhattan %q: exit %d: %s", args, code, stderr)
	}
	return json.Unmarshal([]byte(stdout), out)
}

func selectionArgs(q reference.Query) []string {
	var args []string
	add := func(name, v string) {
		if v != "" {
			args = append(args, "--"+name, v)
		}
	}
	add("goal", q.Goal)
	add("test", q.Test)
	add("population", q.Population)
	add("rollup", q.Rollup)
	add("bucket", q.Bucket)
	if q.Site != nil {
		add("site", strconv.FormatInt(*q.Site, 10))
	}
	return args
}

func (a cliAnswerer) Count(q reference.Query) (int64, error) {
	var ans query.CountAnswer
	err := a.query(&ans, append([]string{"count"}, selectionArgs(q)...)...)
	return ans.Count, err
}

func (a cliAnswerer) GoalValue(q reference.Query) (decimal.Decimal, error) {
	var ans query.ValueAnswer
	if err := a.query(&ans, append([]string{"value"}, selectionArgs(q)...)...); err != nil {
		return decimal.Zero, err
	}
	return decimal.NewFromString(ans.Value)
}

func (a cliAnswerer) Tests() ([]reference.TestInfo, error) {
	var ans query.TestsAnswer
	if err := a.query(&ans, "tests"); err != nil {
		return nil, err
	}
	var out []reference.TestInfo
	for _, t := range ans.Tests {
		out = append(out, reference.TestInfo{Name: t.Name, First: t.First, Last: t.Last, Populations: t.Populations})
	}
	return out, nil
}

func (a cliAnswerer) Results(test string, goals []string, site *int64) (map[string][]decimal.Decimal, error) {
	args := []string{"results", "--test", test, "--goals", strings.Join(goals, ",")}
	if site != nil {
		args = append(args, "--site", strconv.FormatInt(*site, 10))
	}
	var ans query.ResultsAnswer
	if err := a.query(&ans, args...); err != nil {
		return nil, err
	}
	if !slices.Equal(ans.Goals, goals) {
		return nil, fmt.Errorf("results for goals %q, asked for %q", ans.Goals, goals)
	}
	out := map[string][]decimal.Decimal{}
	for pop, row := range ans.Results {
		for _, s := range row {
			d, err := decimal.NewFromString(s)
			if err != nil {
				return nil, err
			}
			out[pop] = append(out[pop], d)
		}
	}
	return out, nil
}

// clickstreamDB fills a fresh schema with the clickstream fixture and returns the
// database flags that select it.
func clickstreamDB(t *testing.T) []string {
	t.Helper()
	store := pgtest.NewStore(t)
	fixtures.Ingest(t, store, fixtures.Clickstream, nil)
	return []string{"--db", pgtest.URL(t), "--schema", store.Schema()}
}

func TestQueryAnswersExpected(t *testing.T) {
	db := append(clickstreamDB(t), complexArgs(t, fixtures.Clickstream)...)
	n := reference.CheckAssertions(t, cliAnswerer{t: t, dbArgs: db}, fixtures.Expected(fixtures.Clickstream))
	assert.Positive(t, n)
}

// columns splits an aligned table line into its cells.
func columns(line string) []string {
	return regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
}

func TestQueryTablesShowTheJSONAnswers(t *testing.T) {
	db := clickstreamDB(t)
	a := cliAnswerer{t: t, dbArgs: db}

	// results: one row per population with its visitors, then per goal the visitors who
	// converted and, for a value goal, its value exactly as in JSON in a column of its own.
	goals := "viewed page,add to cart,began checkout,completed checkout,margin per session"
	var res query.ResultsAnswer
	require.NoError(t, a.query(&res, "results", "--test", "red checkout form", "--goals", goals, "--site", "1"))
	require.NotNil(t, res.Analysis)
	code, out, stderr := cli(t, append([]string{"query", "results", "--test", "red checkout form", "--goals", goals, "--site", "1"}, db...)...)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 2+len(res.Populations), out)
	assert.Equal(t, "test red checkout form, site 1", lines[0])
	assert.Equal(t, []string{"POPULATION", "VISITORS", "viewed page", "add to cart", "began checkout",
		"completed checkout", "completed checkout (sum)", "margin per session", "margin per session (per visitor)"}, columns(lines[1]))
	header := lines[1]
	for i, pop := range res.Populations {
		var cells []string
		for j, g := range res.Analysis.Goals {
			p := g.Populations[slices.IndexFunc(g.Populations, func(p analysis.PopulationResult) bool { return p.Population == pop })]
			if j == 0 {
				cells = []string{pop, strconv.FormatInt(p.Exposures, 10)}
			}
			cells = append(cells, strconv.FormatInt(p.Counts.Conversions, 10))
			if g.ValueType != "" {
				cells = append(cells, res.Results[pop][j])
			} else {
				assert.Equal(t, res.Results[pop][j], strconv.FormatInt(p.Counts.Conversions, 10), "the count of %s", g.Goal)
			}
		}
		assert.Equal(t, cells, columns(lines[2+i]))
		// Aligned: every cell starts where its column's header does.
		from := 0
		for j, h := range columns(header) {
			at := from + strings.Index(header[from:], h)
			require.GreaterOrEqual(t, at, 0)
			assert.True(t, strings.HasPrefix(lines[2+i][at:], cells[j]+" ") || lines[2+i][at:] == cells[j],
				"column %q of %q", h, lines[2+i])
			from = at + len(h)
		}
	}

	// value: an inexact quotient is printed with all its places.
	var val query.ValueAnswer
	require.NoError(t, a.query(&val, "value", "--goal", "order margin", "--site", "1"))
	require.Greater(t, len(val.Value), 10, "a quotient with many places")
	code, out, _ = cli(t, append([]string{"query", "value", "--goal", "order margin", "--site", "1"}, db...)...)
	require.Equal(t, 0, code)
	lines = strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 2)
	assert.Equal(t, []string{"GOAL", "TEST", "POPULATION", "ROLLUP", "BUCKET", "SITE", "VALUE"}, columns(lines[0]))
	assert.Equal(t, []string{"order margin", "-", "-", "all", "0", "1", val.Value}, columns(lines[1]))

	// tests: name, first and last seen, populations.
	var tests query.TestsAnswer
	require.NoError(t, a.query(&tests, "tests"))
	code, out, _ = cli(t, append([]string{"query", "tests"}, db...)...)
	require.Equal(t, 0, code)
	lines = strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 1+len(tests.Tests))
	for i, tt := range tests.Tests {
		assert.Equal(t, []string{tt.Name, tt.FirstTime.Format("2006-01-02 15:04:05"), tt.LastTime.Format("2006-01-02 15:04:05"),
			strings.Join(tt.Populations, ", ")}, columns(lines[1+i]))
	}

	// goals and series have tables too; flags may also come before the query's name.
	code, out, _ = cli(t, append([]string{"query", "goals"}, db...)...)
	require.Equal(t, 0, code)
	assert.Regexp(t, `(?m)^completed checkout\s+S \(sum\)\s+`, out)
	var series query.SeriesAnswer
	require.NoError(t, a.query(&series, "series", "--goal", "viewed page", "--rollup", "pst_day"))
	require.NotEmpty(t, series.Points)
	code, out, _ = cli(t, append(append([]string{"query", "--goal", "viewed page"}, db...), "series", "--rollup", "pst_day")...)
	require.Equal(t, 0, code)
	lines = strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 1+len(series.Points))
	for i, p := range series.Points {
		assert.Equal(t, []string{p.Bucket, strconv.FormatInt(p.Count, 10), p.Value}, columns(lines[1+i]))
	}
}

func TestQueryBadArguments(t *testing.T) {
	// The database URL points nowhere: bad arguments must be caught before connecting.
	nowhere := []string{"--db", "postgres://127.0.0.1:1/nowhere?connect_timeout=1"}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{}, "which query?"},
		{[]string{"nope"}, `unknown query "nope"`},
		{[]string{"count"}, "give --goal, a variant"},
		{[]string{"count", "--goal", "x", "--test", "t"}, "both --test and --population"},
		{[]string{"count", "--goal", "x", "--site", "one"}, `--site: site must be an integer site id or "all", not "one"`},
		{[]string{"count", "--goal", "x", "--goals", "a,b"}, "--goals does not apply to count"},
		{[]string{"count", "--goal", strings.Repeat("x", 256)}, "--goal is longer than 255 characters"},
		{[]string{"count", "--goal", "add", "to", "cart"}, `unexpected argument "to"`},
		{[]string{"count", "--colour", "red"}, "flag provided but not defined: -colour"},
		{[]string{"value", "--site", "1"}, "--goal is required"},
		{[]string{"tests", "--goal", "x"}, "--goal does not apply to tests"},
		{[]string{"results", "--goals", "a"}, "--test is required"},
		{[]string{"results", "--test", "t", "--goals", strings.Repeat("g,", 101)}, "too many goals"},
		{[]string{"series", "--goal", "x", "--bucket", "0"}, "drop --bucket"},
		{[]string{"series", "--rollup", "pst_day"}, "give --goal"},
		{[]string{"--json"}, "which query?"},
	} {
		code, _, stderr := cli(t, append(append([]string{"query"}, tc.args...), nowhere...)...)
		assert.Equal(t, 2, code, "%q: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.msg, "%q", tc.args)
	}
}

func TestQueryUnknownTestFails(t *testing.T) {
	db := clickstreamDB(t)
	code, _, stderr := cli(t, append([]string{"query", "results", "--test", "no such test"}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no test named "no such test"`)
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Querying a schema nothing was ingested into says where the data is.
func TestQueryOfAnEmptySchemaSaysWhereTheDataIs(t *testing.T) {
	full := clickstreamDB(t)
	empty := pgtest.NewStore(t)
	code, out, stderr := cli(t, "query", "tests", "--db", pgtest.URL(t), "--schema", empty.Schema())
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, fmt.Sprintf("Nothing was ingested into schema %q.", empty.Schema()))
	assert.Contains(t, out, full[3])

	code, out, stderr = cli(t, append([]string{"query", "tests"}, full...)...)
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, out, "Nothing was ingested")
}
