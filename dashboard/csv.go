package dashboard

import (
	"bytes"
	"encoding/csv"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/query"
)

// csvHeader is the header of the CSV export: one row per goal and population.
var csvHeader = []string{
	"test", "site", "goal", "role", "lower_is_better", "metric", "population", "control",
	"exposures", "units", "conversions", "mean", "std_err",
	"lift", "lift_ci_low", "lift_ci_high", "p_value", "adjusted_p_value", "significant", "sequential", "small_sample",
	"chance_to_win", "risk", "bayes_lift", "bayes_lift_low", "bayes_lift_high", "verdict",
	"correction", "from", "to", "breakdown", "bucket",
}

// csv serves a test's results table as CSV: one row per goal and population, rates
// and lifts as fractions (0.25 is 25%), then with a breakdown the same rows for each
// slice (breakdown and bucket name it; a site's slice has its id as site). Figures that
// are not defined (the control's comparison, a lift over a mean of 0) are empty cells,
// never zeros.
func (h *handler) csv(w http.ResponseWriter, r *http.Request) {
	rep, ok := h.lookup(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(csvHeader)
	all := csvScope{from: rep.View.From, to: rep.View.To}
	if rep.View.Site != nil {
		all.site = strconv.FormatInt(*rep.View.Site, 10)
	}
	if rep.Result != nil {
		csvRows(cw, rep, rep.Result, rep.Main.Goals, all)
	}
	if b := rep.Break; b != nil {
		for _, seg := range b.Segments {
			if seg.Analysis == nil {
				continue
			}
			slice := csvScope{site: all.site, breakdown: rep.View.Breakdown, bucket: seg.Bucket}
			if b.BySite {
				// Of the page's visitors; a rollup's buckets are of every visitor.
				slice.site, slice.from, slice.to = seg.Bucket, all.from, all.to
			}
			csvRows(cw, rep, seg.Analysis, b.Goals, slice)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": csvFileName(rep.Test.Name)}))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// csvScope is what the rows of one analysis are about: the cells site, from, to,
// breakdown and bucket.
type csvScope struct{ site, from, to, breakdown, bucket string }

// csvRows writes the rows of one analysis: one per goal and population.
func csvRows(cw *csv.Writer, rep *report, res *analysis.Result, goals []query.AnalysisGoal, sc csvScope) {
	bayes := rep.View.Stats == viewBayesian
	for gi, g := range goals {
		if gi >= len(res.Goals) {
			break
		}
		gr := res.Goals[gi]
		for _, p := range gr.Populations {
			rec := []string{
				csvText(rep.Test.Name), sc.site, csvText(g.Name), g.Role, strconv.FormatBool(g.LowerIsBetter), string(gr.Metric),
				csvText(p.Population), strconv.FormatBool(p.Control),
				strconv.FormatInt(p.Exposures, 10), strconv.FormatInt(p.Units, 10), strconv.FormatInt(p.Counts.Conversions, 10),
				csvFloat(p.Mean), csvFloat(p.StdErr),
			}
			rec = append(rec, comparisonCells(p.Comparison, g.LowerIsBetter, bayes, res.Config.Alpha)...)
			rec = append(rec, string(res.Config.Correction), sc.from, sc.to, csvText(sc.breakdown), csvText(sc.bucket))
			_ = cw.Write(rec)
		}
	}
}

// comparisonCells are the cells from lift to verdict of a population's row.
func comparisonCells(c *analysis.Comparison, lowerIsBetter, bayes bool, alpha float64) []string {
	cells := make([]string, 14)
	if c == nil {
		cells[13] = "control"
		return cells
	}
	interval := func(l analysis.Interval, at int) {
		if l.HasEstimate {
			cells[at] = csvFloat(l.Estimate)
		}
		if l.Defined {
			cells[at+1], cells[at+2] = csvFloat(l.Low), csvFloat(l.High)
		}
	}
	interval(c.Lift, 0)
	if c.Defined {
		cells[3], cells[4], cells[5] = csvFloat(c.P), csvFloat(c.AdjustedP), strconv.FormatBool(c.Significant)
	}
	cells[6], cells[7] = strconv.FormatBool(c.Sequential), strconv.FormatBool(c.SmallSample)
	if c.Bayes.Defined {
		cells[8], cells[9] = csvFloat(c.Bayes.ChanceToWin), csvFloat(c.Bayes.Risk)
		interval(c.Bayes.Lift, 10)
	}
	cells[13] = judge(c, lowerIsBetter, bayes, alpha)
	return cells
}

func csvFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// csvText guards a text cell against being read as a formula by a spreadsheet: a cell
// starting with = + - @ or a control character gets a leading apostrophe.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvFileName makes a file name of a test name: letters, digits, '-' and '_' kept,
// everything else replaced by '-'.
func csvFileName(test string) string {
	var b strings.Builder
	for _, r := range test {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 80 {
			break
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		name = "test"
	}
	return name + "-results.csv"
}
