package dashboard

import (
	"fmt"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/query"
)

// testView is the data of the test page template, every number formatted.
type testView struct {
	Name                string
	Status, StatusCSS   string
	FirstSeen, LastSeen string
	Zone                string
	SiteLabel           string
	RangeLabel          string
	Control             string
	ControlRule         string
	Correction          string
	Sequential          bool
	Bayesian            bool
	Notes               string
	Verdict             verdictView
	Form                formView
	Visitors            []visitorRow
	TotalVisitors       string
	Groups              []groupView
	Error               string
	Chart, LiftChart    *svgChart
	ChartGoal           string
	OverErr             string
	Breakdown           []sliceView
	BreakdownRollup     string // the rollup of the breakdown, or query.BreakdownSite
	BreakdownAllTime    bool   // a rollup's breakdown with a date range: of every visitor
	BreakErr            string
	Settings            settingsView
	CSVURL              string
	FreqURL, BayesURL   string
	Alpha               string
}

type formView struct {
	Site, From, To string
	Stats          string
	Breakdowns     []option
	ChartGoals     []option
}

type option struct {
	Value    string
	Selected bool
}

type visitorRow struct {
	Population string
	Class      string
	Control    bool
	Visitors   string
	Share      string
	Expected   string
}

// groupView is the goals of one role.
type groupView struct {
	Role, Label string
	Goals       []goalView
}

type goalView struct {
	Name       string
	Anchor     string
	Role       string
	Direction  string // "higher is better" or "lower is better"
	MetricText string
	Complex    bool
	Rows       []resultRow
}

type resultRow struct {
	Population  string
	Class       string
	Control     bool
	Units       string
	Conversions string
	Mean        string
	MeanCI      string
	Lift        string
	CI          string
	P           string
	AdjustedP   string
	ChanceToWin string
	Risk        string
	Judged      string // judgedBetter, judgedWorse, judgedInconclusive, judgedNA, or "control"
	JudgedText  string
	Reason      string
	SmallSample bool
}

type sliceView struct {
	Bucket string
	Label  string
	Error  string
	Groups []groupView
}

// testPage formats a report.
func (h *handler) testPage(rep *report) testView {
	v := rep.View
	cfg := rep.Main.Config
	tv := testView{
		Name:      rep.Test.Name,
		FirstSeen: formatTimeIn(rep.Test.First, rep.Zone),
		LastSeen:  formatTimeIn(rep.Test.Last, rep.Zone),
		Zone:      rep.Zone.String(),
		SiteLabel: "all sites",
		Status:    cfg.Status, StatusCSS: "status-" + cfg.Status,
		Control: cfg.Control, ControlRule: cfg.ControlRule,
		Correction: cfg.Correction, Sequential: cfg.Sequential, Notes: cfg.Notes,
		Bayesian: v.Stats == viewBayesian,
		CSVURL:   testURL(rep.Test.Name, v.query(), "/results.csv"),
		Error:    rep.Error,
		OverErr:  rep.OverErr, BreakErr: rep.BreakErr, BreakdownRollup: v.Breakdown,
		Settings: settingsOf(rep),
	}
	q := v.query()
	q.Del("stats")
	tv.FreqURL = testURL(rep.Test.Name, q)
	q.Set("stats", viewBayesian)
	tv.BayesURL = testURL(rep.Test.Name, q)
	if v.Site != nil {
		tv.SiteLabel = "site " + strconv.FormatInt(*v.Site, 10)
		tv.Form.Site = strconv.FormatInt(*v.Site, 10)
	}
	tv.Form.From, tv.Form.To, tv.Form.Stats = v.From, v.To, v.Stats
	tv.RangeLabel = "every visitor"
	if v.From != "" || v.To != "" {
		tv.RangeLabel = "visitors who arrived " + rangeWords(v.From, v.To)
	}
	tv.Form.Breakdowns = append(tv.Form.Breakdowns, option{Value: "", Selected: v.Breakdown == ""},
		option{Value: query.BreakdownSite, Selected: v.Breakdown == query.BreakdownSite})
	tv.BreakdownAllTime = v.Breakdown != "" && v.Breakdown != query.BreakdownSite && (v.From != "" || v.To != "")
	for _, k := range rep.Rollups {
		tv.Form.Breakdowns = append(tv.Form.Breakdowns, option{Value: k, Selected: k == v.Breakdown})
	}
	res := rep.Result
	if res == nil {
		return tv
	}
	tv.Alpha = formatPercent(1-res.Config.Alpha, 0)
	tv.Verdict = verdictOf(res, rep.Main.Goals, cfg, tv.Bayesian)
	tv.Visitors, tv.TotalVisitors = visitorRows(res)
	tv.Groups = h.groups(res, rep.Main.Goals, tv.Bayesian, rep.Formats)

	chartGoal := chartGoalIndex(rep.Main.Goals, v.Chart)
	for i, g := range rep.Main.Goals {
		tv.Form.ChartGoals = append(tv.Form.ChartGoals, option{Value: g.Name, Selected: i == chartGoal})
	}
	if rep.Over != nil && chartGoal >= 0 {
		tv.ChartGoal = rep.Main.Goals[chartGoal].Name
		tv.Chart, tv.LiftChart = h.overTimeCharts(rep, chartGoal, tv.Bayesian)
	}
	if rep.Break != nil {
		for _, seg := range rep.Break.Segments {
			s := sliceView{Bucket: seg.Bucket, Label: seg.Bucket, Error: seg.Error}
			if rep.Break.BySite {
				s.Label = "Site " + seg.Bucket
			}
			if seg.Analysis != nil {
				s.Groups = h.groups(seg.Analysis, rep.Break.Goals, tv.Bayesian, rep.Formats)
			}
			tv.Breakdown = append(tv.Breakdown, s)
		}
	}
	return tv
}

func rangeWords(from, to string) string {
	switch {
	case from == "":
		return "up to " + to
	case to == "":
		return "from " + from
	}
	return "from " + from + " to " + to
}

// chartGoalIndex is the index of the chart's goal: the named one, else the primary,
// else the first; -1 without goals.
func chartGoalIndex(goals []query.AnalysisGoal, name string) int {
	idx := -1
	for i, g := range goals {
		if g.Name == name {
			return i
		}
		if g.Role == query.RolePrimary && idx < 0 {
			idx = i
		}
	}
	if idx < 0 && len(goals) > 0 {
		idx = 0
	}
	return idx
}

func visitorRows(res *analysis.Result) ([]visitorRow, string) {
	var rows []visitorRow
	total := res.SRM.Total
	if len(res.Goals) == 0 {
		return nil, formatCount(total)
	}
	for i, p := range res.Goals[0].Populations {
		row := visitorRow{Population: p.Population, Class: seriesCSS(i), Control: p.Control, Visitors: formatCount(p.Exposures), Share: "—"}
		if total > 0 {
			row.Share = formatPercent(float64(p.Exposures)/float64(total), 1)
			if i < len(res.SRM.Expected) {
				row.Expected = formatPercent(res.SRM.Expected[i]/float64(total), 1)
			}
		}
		rows = append(rows, row)
	}
	return rows, formatCount(total)
}

var roleLabels = []struct{ role, label string }{
	{query.RolePrimary, "Primary goal"},
	{query.RoleSecondary, "Secondary goals"},
	{query.RoleGuardrail, "Guardrails (must not get worse)"},
	{query.RoleOther, "Other goals"},
}

// groups lays out the results of res, goal by goal, grouped by role.
func (h *handler) groups(res *analysis.Result, goals []query.AnalysisGoal, bayesian bool, formats map[string]string) []groupView {
	var out []groupView
	for _, rl := range roleLabels {
		g := groupView{Role: rl.role, Label: rl.label}
		for i, ag := range goals {
			if ag.Role != rl.role || i >= len(res.Goals) {
				continue
			}
			g.Goals = append(g.Goals, h.goalViewOf(res.Goals[i], ag, i, res.Config, bayesian, formats[ag.Name]))
		}
		if len(g.Goals) > 0 {
			out = append(out, g)
		}
	}
	return out
}

func (h *handler) goalViewOf(gr analysis.GoalResult, ag query.AnalysisGoal, i int, cfg analysis.Config, bayesian bool, format string) goalView {
	gv := goalView{Name: ag.Name, Anchor: "goal-" + strconv.Itoa(i), Role: ag.Role, Direction: "higher is better", MetricText: metricText(gr.Metric)}
	if ag.LowerIsBetter {
		gv.Direction = "lower is better"
	}
	gv.Complex = h.isComplex(ag.Name)
	z := distuv.UnitNormal.Quantile(1 - cfg.Alpha/2)
	mf := h.meanFormatOf(gr.Metric, format)
	for pi, p := range gr.Populations {
		row := resultRow{
			Population: p.Population, Class: seriesCSS(pi), Control: p.Control,
			Units: formatCount(p.Units), Conversions: formatCount(p.Counts.Conversions),
			Mean: mf.mean(p.Mean),
		}
		if p.Units > 1 && p.StdErr > 0 {
			row.MeanCI = "[" + mf.mean(p.Mean-z*p.StdErr) + ", " + mf.mean(p.Mean+z*p.StdErr) + "]"
		}
		if p.Units == 0 {
			row.Mean = "—"
		}
		c := p.Comparison
		switch {
		case p.Control:
			row.Judged, row.JudgedText = "control", "control"
		case c == nil:
		default:
			row.Judged = judge(c, ag.LowerIsBetter, bayesian, cfg.Alpha)
			row.JudgedText = judgedText(row.Judged, c, ag.LowerIsBetter)
			row.Reason, row.SmallSample = c.Reason, c.SmallSample
			row.Lift, row.CI = intervalText(c.Lift)
			if bayesian {
				row.Lift, row.CI = intervalText(c.Bayes.Lift)
			}
			if c.Defined {
				row.P, row.AdjustedP = formatPValue(c.P), formatPValue(c.AdjustedP)
			}
			if c.Bayes.Defined {
				row.ChanceToWin = formatPercent(c.Bayes.ChanceToWin, 1)
				row.Risk = mf.mean(c.Bayes.Risk)
			}
		}
		gv.Rows = append(gv.Rows, row)
	}
	return gv
}

func judgedText(j string, c *analysis.Comparison, lowerIsBetter bool) string {
	arrow := ""
	switch {
	case c.Diff.Estimate > 0:
		arrow = " ↑"
	case c.Diff.Estimate < 0:
		arrow = " ↓"
	}
	switch j {
	case judgedBetter:
		return "better" + arrow
	case judgedWorse:
		return "worse" + arrow
	case judgedInconclusive:
		return "inconclusive"
	}
	return "n/a"
}

func intervalText(l analysis.Interval) (string, string) {
	est, ci := "—", ""
	if l.HasEstimate {
		est = formatSignedPercent(l.Estimate, 1)
	}
	if l.Defined {
		ci = "[" + formatSignedPercent(l.Low, 1) + ", " + formatSignedPercent(l.High, 1) + "]"
	}
	return est, ci
}

// metricText says what a goal's mean is.
func metricText(m analysis.Metric) string {
	switch m {
	case analysis.MeanPerExposed:
		return "value per visitor"
	case analysis.MeanPerConverter:
		return "value per converting visitor"
	case analysis.MeanPerPageVisitor:
		return "value per page-viewing visitor"
	}
	return "conversion rate"
}

func (h *handler) isComplex(goal string) bool {
	for _, c := range h.opts.ComplexGoals {
		if c == goal {
			return true
		}
	}
	return false
}

func seriesCSS(i int) string { return "s" + strconv.Itoa(i%seriesClass) }

// overTimeCharts lays out the cumulative mean per population and the cumulative lift
// of each variant, by day of arrival, of goal gi of the main analysis (the one goal
// of rep.Over).
func (h *handler) overTimeCharts(rep *report, gi int, bayesian bool) (*svgChart, *svgChart) {
	var buckets, labels []string
	var means, lifts []chartSeries
	metric := analysis.ConversionRate
	goal := rep.Main.Goals[gi].Name
	for si, seg := range rep.Over.Segments {
		buckets = append(buckets, seg.Bucket)
		short, long := dayLabel(seg.Bucket, rep.Zone)
		labels = append(labels, short)
		if seg.Analysis == nil || len(seg.Analysis.Goals) != 1 {
			continue
		}
		gr := seg.Analysis.Goals[0] // the over-time analysis has the chart's goal only
		metric = gr.Metric
		mf := h.meanFormatOf(metric, rep.Formats[goal])
		for pi, p := range gr.Populations {
			if len(means) <= pi {
				means = append(means, chartSeries{Population: p.Population, Class: seriesCSS(pi), Points: make([]chartPoint, len(rep.Over.Segments))})
				lifts = append(lifts, chartSeries{Population: p.Population, Class: seriesCSS(pi), Points: make([]chartPoint, len(rep.Over.Segments))})
			}
			if p.Units > 0 {
				means[pi].Points[si] = chartPoint{Value: p.Mean, Defined: true,
					Title: fmt.Sprintf("%s, arrived up to %s: %s (%s of %s)", p.Population, long, mf.mean(p.Mean), formatCount(p.Counts.Conversions), formatCount(p.Units))}
			}
			if c := p.Comparison; c != nil {
				l := c.Lift
				if bayesian {
					l = c.Bayes.Lift
				}
				if l.HasEstimate {
					est, ci := intervalText(l)
					means := chartPoint{Value: l.Estimate, Low: l.Low, High: l.High, Band: l.Defined, Defined: true,
						Title: fmt.Sprintf("%s vs %s, arrived up to %s: %s %s", p.Population, gr.Populations[0].Population, long, est, ci)}
					lifts[pi].Points[si] = means
				}
			}
		}
	}
	var variants []chartSeries
	for i, s := range lifts {
		if rep.Result != nil && i < len(rep.Result.Goals[gi].Populations) && rep.Result.Goals[gi].Populations[i].Control {
			continue
		}
		variants = append(variants, s)
	}
	xLabel := "Day of arrival (" + rep.Zone.String() + ")"
	mf := h.meanFormatOf(metric, rep.Formats[goal])
	yLabel := "Conversion rate"
	if !mf.rate {
		yLabel = mf.axisLabel(capitalize(metricText(metric)))
	}
	rate := layoutChart("rate-chart", chartTitle(yLabel, goal), xLabel, yLabel, buckets, means, labels, mf, true)
	lift := layoutChart("lift-chart", chartTitle("Lift against the control", goal), xLabel, "Lift", buckets, variants, labels, liftFormat{}, false)
	return &rate, &lift
}

// capitalize puts the first letter of s in upper case (s is ASCII).
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// settingsView is the settings form of a test.
type settingsView struct {
	Control     string
	Populations []option
	Goals       []option // for the primary goal's select
	Secondary   string   // comma-separated
	Guardrails  string   // GOAL:lower-is-better, comma-separated
	Weights     string
	Corrections []option
	Statuses    []option
	Sequential  bool
	Notes       string
	API         string
}

func settingsOf(rep *report) settingsView {
	cfg := rep.Main.Config
	s := settingsView{Control: cfg.Control, Sequential: cfg.Sequential, Notes: cfg.Notes, Secondary: strings.Join(cfg.Secondary, ", "),
		API: "/api/v1/tests/" + pathEscape(rep.Test.Name) + "/config"}
	for _, p := range sortedPopulations(rep.Test) {
		s.Populations = append(s.Populations, option{Value: p, Selected: p == cfg.Control})
	}
	s.Goals = append(s.Goals, option{Value: "", Selected: cfg.Primary == ""})
	for _, g := range rep.Main.Goals {
		s.Goals = append(s.Goals, option{Value: g.Name, Selected: g.Name == cfg.Primary})
	}
	var gs []string
	for _, g := range cfg.Guardrails {
		if g.LowerIsBetter {
			gs = append(gs, g.Goal+":lower-is-better")
		} else {
			gs = append(gs, g.Goal)
		}
	}
	s.Guardrails = strings.Join(gs, ", ")
	var ws []string
	for _, p := range sortedPopulations(rep.Test) {
		if w, ok := cfg.Weights[p]; ok {
			ws = append(ws, p+"="+strconv.FormatFloat(w, 'g', -1, 64))
		}
	}
	s.Weights = strings.Join(ws, ", ")
	for _, c := range query.Corrections {
		s.Corrections = append(s.Corrections, option{Value: c, Selected: c == cfg.Correction})
	}
	for _, st := range query.Statuses {
		s.Statuses = append(s.Statuses, option{Value: st, Selected: st == cfg.Status})
	}
	return s
}
