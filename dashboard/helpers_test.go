package dashboard_test

import (
	"bufio"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/dashboard"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
)

// The clickstream fixture's one split test.
const redCheckout = "red checkout form"

// clickstreamServer returns a dashboard server over a store filled by the pipeline
// from the clickstream fixture.
func clickstreamServer(t *testing.T, opts dashboard.Options) *httptest.Server {
	t.Helper()
	store := pgtest.NewStore(t)
	fixtures.Ingest(t, store, fixtures.Clickstream, nil)
	h, err := dashboard.New(store, opts)
	require.NoError(t, err)
	return newServer(t, h)
}

// newServer serves h on 127.0.0.1 until t ends.
func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// get fetches path from srv and returns the status, the content type and the body.
func get(t *testing.T, srv *httptest.Server, path string) (int, string, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// fixtureVisitors counts, from the fixture's event table (not from the log the
// pipeline reads), the distinct visitors of each population of test. Every visitor of
// the clickstream loads its pixel before its first split, so each is a human.
func fixtureVisitors(t *testing.T, test string) map[string]int64 {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtures.Dir(fixtures.Clickstream), "events.tsv"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	require.True(t, sc.Scan())
	header := strings.Split(sc.Text(), "\t")
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	seen := map[[2]string]bool{}
	counts := map[string]int64{}
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if f[col["kind"]] != "split" || f[col["arg1"]] != test {
			continue
		}
		key := [2]string{f[col["vid"]], f[col["selected"]]}
		if !seen[key] {
			seen[key] = true
			counts[key[1]]++
		}
	}
	require.NoError(t, sc.Err())
	return counts
}

// The pages mark their numbers with data attributes and classes; these helpers read
// them back from served HTML and from the DOM Chromium dumps.

var (
	tagRE  = regexp.MustCompile(`<[^>]*>`)
	cellRE = regexp.MustCompile(`(?s)<td class="num ([a-z]+)">(.*?)</td>`)
)

// text strips tags and entities and collapses spaces.
func text(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(s, " "))), " ")
}

// resultCells returns the cells (by class: conversions, rate, lift, ci, p, value) of
// the results row of goal and population, or nil when there is none.
func resultCells(page, goal, population string) map[string]string {
	re := regexp.MustCompile(`(?s)<tr data-goal="` + regexp.QuoteMeta(html.EscapeString(goal)) +
		`" data-population="` + regexp.QuoteMeta(html.EscapeString(population)) + `">(.*?)</tr>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		return nil
	}
	cells := map[string]string{"row": text(m[1])}
	for _, c := range cellRE.FindAllStringSubmatch(m[1], -1) {
		cells[c[1]] = text(c[2])
	}
	return cells
}

// visitorsShown returns the visitors count shown for population in the visitors table.
func visitorsShown(page, population string) string {
	re := regexp.MustCompile(`(?s)<tr data-population="` + regexp.QuoteMeta(html.EscapeString(population)) +
		`">\s*<td>.*?</td>\s*<td class="num visitors-count">(.*?)</td>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return text(m[1])
}

// chartSVG returns the markup of the daily chart, or "".
func chartSVG(page string) string {
	m := regexp.MustCompile(`(?s)<svg id="daily-chart".*?</svg>`).FindString(page)
	return m
}

func testPath(name, query string) string {
	p := "/tests/" + strings.ReplaceAll(name, " ", "%20")
	if query != "" {
		p += "?" + query
	}
	return p
}
