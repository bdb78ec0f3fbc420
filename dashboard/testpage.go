package dashboard

import (
	"fmt"
	"strconv"

	"github.com/manhattan-analytics/manhattan/persistence"
)

// testView is the data of the test page template, every number formatted.
type testView struct {
	Name                string
	FirstSeen, LastSeen string
	SiteLabel           string
	Form                formView
	Visitors            []visitorRow
	TotalVisitors       string
	SRM                 *srmView // set when the warning applies
	SRMText             string   // the chi-square test, for the visitors table
	Goals               []goalView
	Chart               *chartView
	CSVURL              string
}

type formView struct {
	Site         string
	Populations  []option
	Goals        []option // every known goal; Selected: shown
	ChartGoals   []option
	Mode         string
	Cumulative   string // URL of the page in cumulative mode
	Daily        string // URL of the page in daily mode
	IsCumulative bool
}

type option struct {
	Value    string
	Selected bool
}

type visitorRow struct {
	Population string
	Class      string // series colour
	Control    bool
	Visitors   string
	Share      string
}

type srmView struct {
	Chi2, P  string
	Expected string
}

type goalView struct {
	Name        string
	Anchor      string
	TypeLabel   string // "" for a goal without values
	FormatLabel string
	Rows        []resultRow
}

type resultRow struct {
	Population  string
	Class       string
	Control     bool
	Visitors    string
	Conversions string
	Rate        string
	Lift        string // "" for the control
	CI          string
	P           string
	Verdict     string // "significant", "not significant", "n/a"
	VerdictCSS  string
	Direction   string // "↑", "↓" or ""
	SmallSample bool   // the normal approximation is rough
	Value       string // "" for a goal without values
}

type chartView struct {
	Goal  string
	SVG   svgChart
	Mode  string
	Daily bool
}

// testPage formats a report (and the chart's day data, nil without a chart goal).
func (h *handler) testPage(rep *report, days *dayData) testView {
	v := rep.View
	tv := testView{
		Name:      rep.Test.Name,
		FirstSeen: formatTime(rep.Test.First),
		LastSeen:  formatTime(rep.Test.Last),
		SiteLabel: "all sites",
		CSVURL:    testURL(rep.Test.Name, v.query(), "/results.csv"),
	}
	if v.Site != nil {
		tv.SiteLabel = "site " + strconv.FormatInt(*v.Site, 10)
		tv.Form.Site = strconv.FormatInt(*v.Site, 10)
	}

	tv.Form.Mode = v.Mode
	tv.Form.IsCumulative = v.Mode == modeCumulative
	q := v.query()
	q.Set("mode", modeCumulative)
	tv.Form.Cumulative = testURL(rep.Test.Name, q)
	q.Set("mode", modeDaily)
	tv.Form.Daily = testURL(rep.Test.Name, q)
	for _, p := range sortedPopulations(rep.Test) {
		tv.Form.Populations = append(tv.Form.Populations, option{Value: p, Selected: p == v.Control})
	}

	var total int64
	for _, n := range rep.Visitors {
		total += n
	}
	tv.TotalVisitors = formatCount(total)
	for i, p := range rep.Populations {
		row := visitorRow{Population: p, Class: seriesCSS(i), Control: i == 0, Visitors: formatCount(rep.Visitors[i]), Share: "—"}
		if total > 0 {
			row.Share = formatPercent(float64(rep.Visitors[i])/float64(total), 1)
		}
		tv.Visitors = append(tv.Visitors, row)
	}
	if rep.SRM.DF > 0 {
		tv.SRMText = fmt.Sprintf("χ² = %s, %s", formatFloat(rep.SRM.Chi2, 2), formatPEquals(rep.SRM.P))
	}
	if rep.SRM.Warn {
		tv.SRM = &srmView{
			Chi2:     formatFloat(rep.SRM.Chi2, 2),
			P:        formatPEquals(rep.SRM.P),
			Expected: formatPercent(1/float64(len(rep.Populations)), 1),
		}
	}

	for gi, g := range rep.Goals {
		gv := goalView{Name: g.Goal.Name, Anchor: "goal-" + strconv.Itoa(gi), TypeLabel: valueTypeLabel(g.Goal.ValueType)}
		if gv.TypeLabel != "" {
			gv.FormatLabel = valueFormatLabel(valueFormat(g.Goal))
		}
		for i, p := range g.Rows {
			gv.Rows = append(gv.Rows, resultRowOf(p, i, g.Goal, gv.TypeLabel != ""))
		}
		tv.Goals = append(tv.Goals, gv)
	}

	selected := map[string]bool{}
	for _, g := range v.Goals {
		selected[g.Name] = true
	}
	for _, g := range h.knownGoals(v) {
		tv.Form.Goals = append(tv.Form.Goals, option{Value: g, Selected: selected[g]})
		tv.Form.ChartGoals = append(tv.Form.ChartGoals, option{Value: g, Selected: v.Chart != nil && v.Chart.Name == g})
	}

	if days != nil && v.Chart != nil {
		xLabel := "Day"
		if h.opts.DayZone != nil {
			xLabel += " (" + h.opts.DayZone.String() + ")"
		}
		tv.Chart = &chartView{
			Goal:  v.Chart.Name,
			Mode:  v.Mode,
			Daily: v.Mode == modeDaily,
			SVG:   layoutChart(days, v.Chart.Name, v.Mode, xLabel, h.labels),
		}
	}
	return tv
}

// knownGoals returns the names of every goal the form offers: the shown goals first,
// then the others the store knows.
func (h *handler) knownGoals(v view) []string {
	names := make([]string, 0, len(v.known))
	seen := map[string]bool{}
	for _, g := range v.Goals {
		names = append(names, g.Name)
		seen[g.Name] = true
	}
	for _, g := range v.known {
		if !seen[g.Name] {
			names = append(names, g.Name)
		}
	}
	return names
}

func resultRowOf(p populationResult, i int, goal persistence.GoalInfo, hasValue bool) resultRow {
	row := resultRow{
		Population:  p.Population,
		Class:       seriesCSS(i),
		Control:     p.Control,
		Visitors:    formatCount(p.Visitors),
		Conversions: formatCount(p.Conversions),
		Rate:        "—",
	}
	if p.Visitors > 0 {
		row.Rate = formatPercent(p.Rate(), 2)
	}
	if hasValue {
		row.Value = formatValue(p.Value, valueFormat(goal))
	}
	c := p.Comparison
	switch {
	case p.Control:
		row.Verdict, row.VerdictCSS = "control", "control"
	case c == nil || p.Visitors == 0 || !c.Diff.HasEstimate:
		row.Verdict, row.VerdictCSS = "n/a", "na"
		row.Lift, row.CI, row.P = "—", "", "—"
	default:
		row.P = formatPValue(c.P)
		row.Lift, row.CI = "—", ""
		if c.Lift.HasEstimate {
			row.Lift = formatSignedPercent(c.Lift.Estimate, 1)
		}
		if c.Lift.Defined {
			row.CI = "[" + formatSignedPercent(c.Lift.Low, 1) + ", " + formatSignedPercent(c.Lift.High, 1) + "]"
		}
		row.SmallSample = c.SmallSample
		row.Verdict, row.VerdictCSS = "not significant", "ns"
		if c.Significant {
			row.Verdict, row.VerdictCSS = "significant", "sig"
			switch {
			case c.Diff.Estimate > 0:
				row.Direction = "↑"
			case c.Diff.Estimate < 0:
				row.Direction = "↓"
			}
		}
	}
	return row
}

func seriesCSS(i int) string { return "s" + strconv.Itoa(i%seriesClass) }
