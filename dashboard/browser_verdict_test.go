package dashboard_test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/query"
)

// badgeRow is a row of a results table as the browser shows it.
type badgeRow struct {
	Goal       string `json:"goal"`
	Role       string `json:"role"`
	Population string `json:"population"`
	Judged     string `json:"judged"`
	Class      string `json:"class"`
	Label      string `json:"label"`
	Colour     string `json:"colour"`
	Background string `json:"background"`
	Lift       string `json:"lift"`
	Direction  string `json:"direction"`
}

// badgeRowsJS lists the rows of the results tables under the element of the CSS
// selector %q with their verdict badge, its computed colours, the lift and the goal's
// good direction.
const badgeRowsJS = `[...document.querySelectorAll(%q + " tr[data-judged]")].map(tr => {
  const v = tr.querySelector("span.verdict");
  const cs = v ? getComputedStyle(v) : null;
  const head = [...tr.closest("tbody").querySelectorAll("tr.goal-head")].find(h => h.dataset.goal === tr.dataset.goal);
  const lift = tr.querySelector("td.lift");
  return {goal: tr.dataset.goal, role: tr.dataset.role, population: tr.dataset.population, judged: tr.dataset.judged,
    class: v ? v.className : "", label: v ? v.textContent : "", colour: cs ? cs.color : "", background: cs ? cs.backgroundColor : "",
    lift: lift && lift.firstChild ? lift.firstChild.textContent : "", direction: head ? head.querySelector(".tag").textContent : ""};
})`

// rgb reads a computed colour "rgb(r, g, b)".
func rgb(t *testing.T, css string) [3]int {
	t.Helper()
	m := regexp.MustCompile(`^rgba?\((\d+), (\d+), (\d+)`).FindStringSubmatch(css)
	require.NotNil(t, m, "a computed colour: %q", css)
	var c [3]int
	for i := range c {
		c[i], _ = strconv.Atoi(m[i+1])
	}
	return c
}

// checkBadges checks that every verdict badge means what the goal's direction says:
// green for better, red for worse, grey for inconclusive, and worse is the bad
// direction of the goal (a lower-is-better goal that went up is red). It returns the
// rows.
func checkBadges(t *testing.T, b *browser, scope string) []badgeRow {
	t.Helper()
	rows := eval[[]badgeRow](b, fmt.Sprintf(badgeRowsJS, scope))
	require.NotEmpty(t, rows)
	for _, r := range rows {
		what := r.Goal + "/" + r.Population
		if r.Judged == "control" || r.Judged == "na" || r.Judged == "" {
			continue
		}
		assert.Equal(t, "verdict "+r.Judged, r.Class, what)
		assert.True(t, strings.HasPrefix(r.Label, r.Judged), "%s: label %q", what, r.Label)
		fg, bg := rgb(t, r.Colour), rgb(t, r.Background)
		lower := strings.Contains(r.Direction, "lower is better")
		require.True(t, lower || strings.Contains(r.Direction, "higher is better"), "%s: the goal says its direction: %q", what, r.Direction)
		up := strings.HasPrefix(r.Lift, "+")
		switch r.Judged {
		case "better":
			assert.True(t, fg[1] > fg[0] && fg[1] > fg[2], "%s: better is green, not %s", what, r.Colour)
			assert.True(t, bg[1] > bg[0], "%s: on a green ground, not %s", what, r.Background)
			assert.Equal(t, !lower, up, "%s: better moves the good way (%s, lift %s)", what, r.Direction, r.Lift)
		case "worse":
			assert.True(t, fg[0] > fg[1] && fg[0] > fg[2], "%s: worse is red, not %s", what, r.Colour)
			assert.True(t, bg[0] > bg[1], "%s: on a red ground, not %s", what, r.Background)
			assert.Equal(t, lower, up, "%s: worse moves the bad way (%s, lift %s)", what, r.Direction, r.Lift)
		case "inconclusive":
			assert.Less(t, max(fg[0], fg[1], fg[2])-min(fg[0], fg[1], fg[2]), 60, "%s: inconclusive is grey, not %s", what, r.Colour)
		default:
			t.Errorf("%s: unknown verdict %q", what, r.Judged)
		}
	}
	return rows
}

// seriesEnd is the last point of an over-time series as the browser shows it.
type seriesEnd struct {
	Population string   `json:"population"`
	Last       string   `json:"last"`
	Legend     string   `json:"legend"`
	Points     []string `json:"points"`
}

// checkOverTime checks that the cumulative mean of every population ends at the mean
// of the results table (the chart's goal), that its legend says so, and that no rate
// is above 100%.
func checkOverTime(t *testing.T, b *browser, goal string) {
	t.Helper()
	series := eval[[]seriesEnd](b, `[...document.querySelectorAll("#rate-chart g.series")].map((g, i) => ({
  population: g.dataset.population, last: g.dataset.last,
  legend: (document.querySelectorAll("#rate-chart ~ ul.legend")[0].querySelectorAll("li")[i] || {}).textContent || "",
  points: [...g.querySelectorAll("circle title")].map(x => x.textContent)}))`)
	require.Len(t, series, 2, "one series per population")
	rows := eval[[]badgeRow](b, fmt.Sprintf(badgeRowsJS, "#results"))
	for _, s := range series {
		var mean string
		for _, r := range rows {
			if r.Goal == goal && r.Population == s.Population {
				mean = eval[string](b, `[...document.querySelectorAll("#results tr[data-judged]")].find(tr => tr.dataset.goal === `+strconv.Quote(goal)+` && tr.dataset.population === `+strconv.Quote(s.Population)+`).querySelector("td.mean").firstChild.textContent`)
			}
		}
		require.NotEmpty(t, mean, "the table has the row of %s", s.Population)
		assert.Equal(t, mean, s.Last, "the series of %s ends at the table's figure", s.Population)
		assert.Equal(t, s.Population+": "+mean, s.Legend, "the legend prints the last figure")
		require.NotEmpty(t, s.Points)
		end := regexp.MustCompile(`: (−?\$?[0-9.,]+)%? \(`).FindStringSubmatch(s.Points[len(s.Points)-1])
		require.NotNil(t, end, s.Points[len(s.Points)-1])
		assert.True(t, shownDecimal(t, end[1]).Equal(shownDecimal(t, mean)), "the last point %q is the table's figure %s", s.Points[len(s.Points)-1], mean)
		for _, p := range s.Points {
			m := regexp.MustCompile(`: (−?\$?[0-9.,]+)(%?) \(`).FindStringSubmatch(p)
			require.NotNil(t, m, p)
			if m[2] == "%" { // a rate
				v, err := strconv.ParseFloat(m[1], 64)
				require.NoError(t, err, p)
				assert.LessOrEqual(t, v, 100.0, p)
			}
		}
	}
}

// TestBrowserShowsTheVerdict loads the demo's test page in headless Chromium at 1400
// and 400 pixels and checks the verdict, the badges' colours and meaning, and the
// over-time series against the table. Then a goal the variant is better on is made a
// lower-is-better guardrail: the same figures now show a red badge and a broken
// guardrail.
func TestBrowserShowsTheVerdict(t *testing.T) {
	srv, svc := demoServer(t, 60000)
	const test = "red checkout form"
	url := srv.URL + testPath(test, "")
	b := newBrowser(t)
	var better *badgeRow
	for _, width := range []int64{1400, 400} {
		require.EqualValues(t, 200, b.load(url, width))
		assert.Regexp(t, `^(true is ahead on completed checkout: \+[0-9.]+% \[\+[0-9.]+%, \+[0-9.]+%\], [0-9.]+% chance to win\.|No clear winner on completed checkout yet)`, b.text("#verdict-headline"))
		assert.Regexp(t, `^(No guardrail worse \(2 checked\)|Guardrail broken: )`, b.text("#verdict-guardrails"))
		assert.Contains(t, b.text("#verdict-srm"), "Sample ratio is sane")
		assert.Equal(t, "running", b.text("#status"))
		assert.Equal(t, "badge status-running", eval[string](b, `document.getElementById("status").className`))
		for _, r := range checkBadges(t, b, "#results") {
			if r.Judged == "better" && r.Role == "secondary" && better == nil {
				better = &r
			}
		}
		checkOverTime(t, b, "completed checkout")
	}
	require.NotNil(t, better, "a secondary goal the variant is better on")

	// The same goal as a guardrail where lower is better: the variant got worse.
	cfg, err := svc.TestConfig(t.Context(), test)
	require.NoError(t, err)
	secondary := slices.DeleteFunc(slices.Clone(cfg.Secondary), func(g string) bool { return g == better.Goal })
	_, err = svc.SetTestConfig(t.Context(), test, query.ConfigChange{
		Secondary:  &secondary,
		Guardrails: &[]query.Guardrail{{Goal: better.Goal, LowerIsBetter: true}},
	}, false)
	require.NoError(t, err)
	require.EqualValues(t, 200, b.load(url, 1400))
	rows := checkBadges(t, b, "#results")
	var found bool
	for _, r := range rows {
		if r.Goal == better.Goal && r.Population == better.Population {
			found = true
			assert.Equal(t, "guardrail", r.Role)
			assert.Equal(t, "worse", r.Judged, "the lift %s is bad for a lower-is-better guardrail", r.Lift)
			assert.Equal(t, better.Lift, r.Lift, "the same figure")
		}
	}
	assert.True(t, found, "the guardrail's row")
	guard := b.text("#verdict-guardrails")
	assert.Contains(t, guard, better.Goal, "the verdict names the broken guardrail")
	assert.Equal(t, "worse", eval[string](b, `document.getElementById("verdict-guardrails").className`))
	assert.True(t, rgb(t, eval[string](b, `getComputedStyle(document.getElementById("verdict-guardrails")).color`))[0] > 150, "the broken guardrail is red")
	assert.Empty(t, b.consoleErrors())
}

// TestBrowserBreakdownByBrowser loads the demo's breakdown by browser in headless
// Chromium: a slice per browser of the generated log, each with the results table of
// the whole test (the same goals and roles) and badges that mean what they say.
func TestBrowserBreakdownByBrowser(t *testing.T) {
	srv, _ := demoServer(t, 20000)
	b := newBrowser(t)
	require.EqualValues(t, 200, b.load(srv.URL+testPath("red checkout form", "breakdown=browser"), 1400))
	assert.Equal(t, "Breakdown by browser", b.text("#break-h"))
	slices := eval[[]string](b, `[...document.querySelectorAll("#breakdown section.slice")].map(s => s.dataset.bucket)`)
	assert.Contains(t, slices, "Chrome", "the generated log's user agents include Chrome")
	assert.Contains(t, slices, "Firefox")
	whole := eval[[]string](b, `[...document.querySelectorAll("#results tr.goal-head")].map(tr => tr.closest("tbody").dataset.role + "/" + tr.dataset.goal)`)
	require.NotEmpty(t, whole)
	for _, s := range slices {
		scope := fmt.Sprintf(`#breakdown section.slice[data-bucket=%q]`, s)
		goals := eval[[]string](b, `[...document.querySelectorAll(`+strconv.Quote(scope+" tr.goal-head")+`)].map(tr => tr.closest("tbody").dataset.role + "/" + tr.dataset.goal)`)
		assert.Equal(t, whole, goals, "the slice %s has the same table", s)
		checkBadges(t, b, scope)
	}
	// The slices add up to the whole: every exposed visitor has one browser.
	sum := eval[float64](b, `[...document.querySelectorAll('#breakdown tr[data-goal="completed checkout"] td.num:nth-child(2)')].reduce((a, td) => a + Number(td.textContent.replace(/,/g, "")), 0)`)
	all := eval[float64](b, `[...document.querySelectorAll('#results tr[data-goal="completed checkout"] td.num:nth-child(2)')].reduce((a, td) => a + Number(td.textContent.replace(/,/g, "")), 0)`)
	assert.Positive(t, all)
	assert.Equal(t, all, sum, "the visitors of the slices add up to the test's")
	assert.Empty(t, b.consoleErrors())
}

// TestBrowserBreakdownBySite loads the breakdown by site in headless Chromium and
// checks each site's slice against the page of that site alone: the same rows, the
// same figures and the same badges.
func TestBrowserBreakdownBySite(t *testing.T) {
	srv, _ := demoServer(t, 20000)
	const test = "red checkout form"
	b := newBrowser(t)
	require.EqualValues(t, 200, b.load(srv.URL+testPath(test, "breakdown=site"), 1400))
	sites := eval[[]string](b, `[...document.querySelectorAll("#breakdown section.slice")].map(s => s.dataset.bucket)`)
	require.GreaterOrEqual(t, len(sites), 2, "the demo's log has several sites")
	// The figures of a row: the cells' text and the badge.
	const figures = `[...document.querySelectorAll(%q + " tr[data-judged]")].map(tr => tr.dataset.goal + "/" + tr.dataset.population + ": " + [...tr.querySelectorAll("td")].slice(1).map(td => td.textContent.trim()).join(" | "))`
	slices := map[string][]string{}
	for _, s := range sites {
		slices[s] = eval[[]string](b, fmt.Sprintf(figures, fmt.Sprintf(`#breakdown section.slice[data-bucket=%q]`, s)))
		require.NotEmpty(t, slices[s], s)
		checkBadges(t, b, fmt.Sprintf(`#breakdown section.slice[data-bucket=%q]`, s))
	}
	for _, s := range sites {
		require.EqualValues(t, 200, b.load(srv.URL+testPath(test, "site="+s), 1400))
		assert.Equal(t, eval[[]string](b, fmt.Sprintf(figures, "#results")), slices[s], "the slice of site %s is the page of site %s", s, s)
	}
	assert.Empty(t, b.consoleErrors())
}
