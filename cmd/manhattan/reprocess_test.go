package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/dashboard"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/metrics"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// complexArgs returns the fixture's complex goals as --complex flags.
func complexArgs(t *testing.T, name string) []string {
	var args []string
	for _, c := range fixtures.ComplexFlags(t, name) {
		args = append(args, "--complex", c)
	}
	return args
}

// goalCount is `manhattan query count --goal goal` on the database flags db.
func goalCount(t *testing.T, db []string, goal string) (int64, bool) {
	t.Helper()
	code, out, _ := cli(t, append([]string{"query", "count", "--goal", goal, "--json"}, db...)...)
	if code != 0 {
		return 0, false
	}
	var a struct{ Count int64 }
	require.NoError(t, json.Unmarshal([]byte(out), &a))
	return a.Count, true
}

func TestReprocessCountsNewComplexGoalsRetroactivelyAndSwitches(t *testing.T) {
	url := pgtest.URL(t)
	current, rebuild := pgtest.NewStore(t), pgtest.NewStore(t)
	require.NoError(t, rebuild.Reset(t.Context())) // exists, empty: a rebuild may go there
	base := fixtures.CopyLog(t, fixtures.Clickstream)
	cur := []string{"--db", url, "--schema", current.Schema()}

	// The current schema was ingested without the complex goals.
	code, _, errOut := cli(t, append([]string{"ingest", "--log", base, "--progress=false"}, cur...)...)
	require.Equal(t, 0, code, errOut)
	n, _ := goalCount(t, cur, "abandoned cart")
	assert.Zero(t, n, "not configured when the log was ingested")

	// Rebuild with them: the past counts.
	args := append([]string{"reprocess", "--into", rebuild.Schema(), "--log", base, "--progress=false"}, cur...)
	code, out, errOut := cli(t, append(args, complexArgs(t, fixtures.Clickstream)...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "db switch --schema "+current.Schema()+" --to "+rebuild.Schema())
	reb := []string{"--db", url, "--schema", rebuild.Schema()}
	// The query knows the complex goals too, so one nobody converted on answers 0.
	answerer := cliAnswerer{t: t, dbArgs: append(slices.Clone(reb), complexArgs(t, fixtures.Clickstream)...)}
	checked := reference.CheckAssertions(t, answerer, fixtures.Expected(fixtures.Clickstream))
	assert.Positive(t, checked, "the rebuild gives every reference answer, complex goals included")
	want, ok := goalCount(t, reb, "abandoned cart")
	require.True(t, ok)
	require.Positive(t, want)

	// Running it again is refused; --resume continues (nothing left to read).
	code, _, errOut = cli(t, append(args, complexArgs(t, fixtures.Clickstream)...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "--resume")
	code, _, errOut = cli(t, append(append(args, "--resume"), complexArgs(t, fixtures.Clickstream)...)...)
	require.Equal(t, 0, code, errOut)
	again, _ := goalCount(t, reb, "abandoned cart")
	assert.Equal(t, want, again, "resuming a finished rebuild counts nothing twice")

	// Switch: commands given the current schema answer from the rebuild; back undoes it.
	code, out, errOut = cli(t, append([]string{"db", "switch", "--to", rebuild.Schema()}, cur...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "is switched to")
	n, _ = goalCount(t, cur, "abandoned cart")
	assert.Equal(t, want, n)
	code, _, errOut = cli(t, append([]string{"db", "switch", "--back"}, cur...)...)
	require.Equal(t, 0, code, errOut)
	n, _ = goalCount(t, cur, "abandoned cart")
	assert.Zero(t, n)
}

func TestDBSwitchRefusals(t *testing.T) {
	url := pgtest.URL(t)
	a, empty := pgtest.NewStore(t), pgtest.NewStore(t)
	db := []string{"--db", url, "--schema", a.Schema()}
	code, _, errOut := cli(t, append([]string{"db", "switch", "--to", "no_such_schema_x"}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "does not exist")
	code, _, errOut = cli(t, append([]string{"db", "switch", "--to", empty.Schema()}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "committed nothing")
	code, _, _ = cli(t, append([]string{"db", "switch"}, db...)...)
	assert.Equal(t, 2, code)

	// A loop is refused and leaves the schema serving itself.
	code, _, errOut = cli(t, append([]string{"db", "switch", "--to", a.Schema(), "--force"}, "--db", url, "--schema", empty.Schema())...)
	require.Equal(t, 0, code, errOut)
	code, _, errOut = cli(t, append([]string{"db", "switch", "--to", empty.Schema(), "--force"}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "loop")
	to, err := a.SwitchedTo(t.Context())
	require.NoError(t, err)
	assert.Empty(t, to)
}

// TestServerFollowsTheSwitch checks that a running server answers from the switched
// schema without a restart.
func TestServerFollowsTheSwitch(t *testing.T) {
	url := pgtest.URL(t)
	a, b := pgtest.NewStore(t), pgtest.NewStore(t)
	fixtures.Ingest(t, b, fixtures.Clickstream, nil)
	log := slog.New(slog.DiscardHandler)
	db, err := openDatabase(t.Context(), &dbFlags{url: &url, schema: ptr(a.Schema()), dataDir: ptr("")}, log)
	require.NoError(t, err)
	defer db.close()
	sf := &serverFlags{listen: ptr("127.0.0.1:0"), token: ptr(""), insecure: ptr(false)}
	m := metrics.New()
	h, err := newSwitchingHandler(t.Context(), db, func(st *persistence.Store) (http.Handler, error) {
		return newHandler(st, sf, m, log, nil, nil, dashboard.Options{})
	}, log)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	tests := func() string {
		resp, err := http.Get(srv.URL + "/api/v1/tests")
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	before := tests()
	require.NoError(t, a.SwitchTo(t.Context(), b.Schema()))
	h.(*switchingHandler).check(t.Context())
	after := tests()
	assert.NotEqual(t, before, after)
	assert.Contains(t, after, `"name"`, "the switched schema's tests")

	require.NoError(t, a.SwitchTo(t.Context(), ""))
	h.(*switchingHandler).check(t.Context())
	assert.Equal(t, before, tests())
}

func ptr[T any](v T) *T { return &v }
