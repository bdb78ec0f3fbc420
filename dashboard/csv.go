package dashboard

import (
	"bytes"
	"encoding/csv"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// csvHeader is the header of the CSV export: one row per goal and population.
var csvHeader = []string{
	"population", "control", "visitors", "goal", "conversions", "rate",
	"lift", "lift_ci_low", "lift_ci_high", "p_value", "significant", "small_sample", "value_type", "value",
}

// csv serves a test's results table as CSV: one row per goal and population, rates
// and lifts as fractions (0.25 is 25%), values as exact decimals. Lift, interval,
// p-value, significance and the small-sample flag are empty for the control and when
// undefined.
func (h *handler) csv(w http.ResponseWriter, r *http.Request) {
	test, v, ok := h.lookup(w, r)
	if !ok {
		return
	}
	rep, err := loadReport(r.Context(), h.src, test, v)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(csvHeader)
	for _, g := range rep.Goals {
		for _, p := range g.Rows {
			rec := []string{
				csvText(p.Population), strconv.FormatBool(p.Control), strconv.FormatInt(p.Visitors, 10),
				csvText(g.Goal.Name), strconv.FormatInt(p.Conversions, 10), csvFloat(p.Rate()),
				"", "", "", "", "", "", g.Goal.ValueType, "",
			}
			if c := p.Comparison; c != nil && p.Visitors > 0 && c.Diff.HasEstimate {
				if c.Lift.HasEstimate {
					rec[6] = csvFloat(c.Lift.Estimate)
				}
				if c.Lift.Defined {
					rec[7], rec[8] = csvFloat(c.Lift.Low), csvFloat(c.Lift.High)
				}
				rec[9], rec[10], rec[11] = csvFloat(c.P), strconv.FormatBool(c.Significant), strconv.FormatBool(c.SmallSample)
			}
			if g.Goal.ValueType != "" {
				rec[13] = p.Value.String()
			}
			_ = cw.Write(rec)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": csvFileName(test.Name)}))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
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
