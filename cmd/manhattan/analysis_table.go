package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/query"
)

// analysisTable prints an analysis: per segment, one row per goal and population.
func analysisTable(w io.Writer, a query.AnalysisAnswer) {
	fmt.Fprintf(w, "test %s, site %s, control %s (%s), correction %s, sequential %v\n", tableCell(a.Test), siteCell(a.Site),
		tableCell(a.Config.Control), a.Config.ControlRule, a.Config.Correction, a.Config.Sequential)
	for _, seg := range a.Segments {
		fmt.Fprintln(w, segmentTitle(a, seg))
		if seg.Analysis == nil {
			fmt.Fprintf(w, "no analysis: %s\n", seg.Error)
			continue
		}
		if seg.Analysis.SRM.Warn {
			fmt.Fprintf(w, "WARNING: sample ratio mismatch (p = %.3g): the populations are not split as expected\n", seg.Analysis.SRM.P)
		}
		tableRow(w, "GOAL", "ROLE", "POPULATION", "EXPOSED", "CONVERTED", "MEAN", "DIFF (95% CI)", "LIFT (95% CI)", "P", "ADJUSTED P", "CHANCE TO WIN", "RISK", "VERDICT")
		for i, g := range seg.Analysis.Goals {
			role := ""
			if i < len(a.Goals) {
				role = a.Goals[i].Role
			}
			for _, p := range g.Populations {
				tableRow(w, append([]string{g.Goal, role, p.Population, strconv.FormatInt(p.Exposures, 10),
					strconv.FormatInt(p.Counts.Conversions, 10), num(p.Mean)}, comparisonCells(p)...)...)
			}
		}
	}
}

func segmentTitle(a query.AnalysisAnswer, seg query.Segment) string {
	switch {
	case a.BySite && a.Cohort:
		return fmt.Sprintf("site = %s, visitors of %s from %s to %s", tableCell(seg.Bucket), tableCell(a.Rollup), bound(a.From), bound(a.To))
	case a.BySite:
		return fmt.Sprintf("site = %s", tableCell(seg.Bucket))
	case a.Breakdown:
		return fmt.Sprintf("%s = %s", tableCell(a.Rollup), tableCell(seg.Bucket))
	case a.Cohort:
		return fmt.Sprintf("visitors of %s from %s to %s", tableCell(a.Rollup), bound(a.From), bound(a.To))
	}
	return "all time"
}

func bound(b *int64) string {
	if b == nil {
		return "…"
	}
	return strconv.FormatInt(*b, 10)
}

// comparisonCells are the cells of a population's comparison with the control.
func comparisonCells(p analysis.PopulationResult) []string {
	c := p.Comparison
	switch {
	case p.Control:
		return []string{"control", "", "", "", "", "", ""}
	case c == nil || !c.Defined:
		reason := "not comparable"
		if c != nil && c.Reason != "" {
			reason = c.Reason
		}
		return []string{reason, "", "", "", "", "", ""}
	}
	verdict := "not significant"
	if c.Significant {
		verdict = "significant"
	}
	chance, risk := "", ""
	if c.Bayes.Defined {
		chance, risk = percent(c.Bayes.ChanceToWin), num(c.Bayes.Risk)
	}
	return []string{interval(c.Diff, false), interval(c.Lift, true), num(c.P), num(c.AdjustedP), chance, risk, verdict}
}

func interval(i analysis.Interval, percent bool) string {
	if !i.Defined {
		return "n/a"
	}
	if percent {
		return fmt.Sprintf("%+.2f%% [%+.2f%%, %+.2f%%]", 100*i.Estimate, 100*i.Low, 100*i.High)
	}
	return fmt.Sprintf("%s [%s, %s]", num(i.Estimate), num(i.Low), num(i.High))
}

// percent shows a probability with one decimal, never rounding to a certainty.
func percent(p float64) string {
	switch {
	case p > 0.999 && p < 1:
		return ">99.9%"
	case p < 0.001 && p > 0:
		return "<0.1%"
	}
	return fmt.Sprintf("%.1f%%", 100*p)
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }
