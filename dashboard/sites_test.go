package dashboard_test

import (
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/rollups"
)

// TestBreakdownBySite checks the page's breakdown by site on the demo's data: one slice
// per site with the same table, whose figures are those of the analysis of that site
// alone, of all time and of a date range; and the CSV rows of the slices.
func TestBreakdownBySite(t *testing.T) {
	srv, svc := demoServer(t, 20000)
	const test = "red checkout form"
	analyse := func(v url.Values) query.AnalysisAnswer {
		t.Helper()
		v.Set("test", test)
		req, err := query.Parser{}.Parse(query.KindAnalysis, v)
		require.NoError(t, err)
		a, err := svc.Analysis(t.Context(), req)
		require.NoError(t, err)
		return a
	}
	for _, tc := range []struct{ page, from string }{{"breakdown=site", ""}, {"breakdown=site&from=2024-03-05", "2024-03-05"}} {
		code, _, body := get(t, srv, testPath(test, tc.page))
		require.Equal(t, http.StatusOK, code, body)
		body = html.UnescapeString(body)
		assert.Contains(t, body, "Breakdown by site")
		assert.Contains(t, body, `<option value="site" selected>site</option>`, "the breakdown's select offers the sites")
		slices := regexp.MustCompile(`<section class="slice" data-bucket="([^"]+)">\s*<h3>([^<]+)</h3>`).FindAllStringSubmatch(body, -1)
		require.Len(t, slices, 3, "the generated log's three sites")
		for i, s := range slices {
			site := strconv.Itoa(i + 1)
			assert.Equal(t, site, s[1])
			assert.Equal(t, "Site "+site, s[2])
			v := url.Values{"site": {site}}
			if tc.from != "" {
				v.Set("cohort", "first_day_"+rollups.DefaultZone)
				v.Set("from", tc.from)
			}
			want := analyse(v)
			require.Len(t, want.Segments, 1)
			res := want.Segments[0].Analysis
			require.NotNil(t, res)
			slice := body[strings.Index(body, `data-bucket="`+site+`"`):]
			slice = slice[:strings.Index(slice, "</section>")]
			for gi, g := range want.Goals {
				for _, p := range res.Goals[gi].Populations {
					row := regexp.MustCompile(`data-goal="` + regexp.QuoteMeta(g.Name) + `" data-role="[a-z]+" data-population="` + p.Population +
						`"[^>]*>\s*<td class="pop">[\s\S]*?</td>\s*<td class="num">([^<]+)</td>\s*<td class="num conversions">([^<]+)</td>`).FindStringSubmatch(slice)
					require.NotNil(t, row, "site %s, %s, %s", site, g.Name, p.Population)
					assert.Equal(t, formatThousands(p.Units), row[1], "units of site %s, %s, %s", site, g.Name, p.Population)
					assert.Equal(t, formatThousands(p.Counts.Conversions), row[2], "conversions of site %s, %s, %s", site, g.Name, p.Population)
				}
			}
		}
	}

	// The CSV: the rows of all sites, then those of each site with its id.
	code, _, body := get(t, srv, testPath(test, "")+"/results.csv?breakdown=site")
	require.Equal(t, http.StatusOK, code, body)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	require.NoError(t, err)
	head := rows[0]
	col := func(name string) int { return slices.Index(head, name) }
	require.Equal(t, []string{"breakdown", "bucket"}, head[len(head)-2:])
	perSite := map[string]int{}
	for _, r := range rows[1:] {
		if r[col("breakdown")] == "" {
			assert.Empty(t, r[col("site")], "the page's rows are of every site")
			continue
		}
		assert.Equal(t, "site", r[col("breakdown")])
		assert.Equal(t, r[col("bucket")], r[col("site")])
		perSite[r[col("site")]]++
		if r[col("goal")] == "completed checkout" {
			want := analyse(url.Values{"site": {r[col("site")]}, "goals": {"completed checkout"}}).Segments[0].Analysis
			i := slices.IndexFunc(want.Goals[0].Populations, func(p analysis.PopulationResult) bool { return p.Population == r[col("population")] })
			require.GreaterOrEqual(t, i, 0)
			p := want.Goals[0].Populations[i]
			assert.Equal(t, strconv.FormatInt(p.Exposures, 10), r[col("exposures")])
			assert.Equal(t, strconv.FormatFloat(p.Mean, 'g', -1, 64), r[col("mean")], "site %s, %s", r[col("site")], p.Population)
		}
	}
	assert.Len(t, perSite, 3)
	assert.Equal(t, perSite["1"], perSite["3"], "the same rows per site")

	// A rollup's breakdown cannot follow a date range, and says so.
	code, _, body = get(t, srv, testPath(test, "breakdown=browser&from=2024-03-05"))
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, "This breakdown counts every visitor")
}

// formatThousands writes n with thousands separators, as the page shows counts.
func formatThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
