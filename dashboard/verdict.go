package dashboard

import (
	"fmt"
	"strings"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/query"
)

// The judgements of a comparison, by the goal's good direction; they are also the CSS
// classes of the badges (green, red, grey).
const (
	judgedBetter       = "better"
	judgedWorse        = "worse"
	judgedInconclusive = "inconclusive"
	judgedNA           = "na"
)

// judge says whether the variant of c is better, worse or not distinguishable from the
// control on a goal where lowerIsBetter says which way is good: frequentist, a
// significant difference (after the correction); Bayesian, a chance to win of at
// least 1 − alpha (better) or at most alpha (worse).
func judge(c *analysis.Comparison, lowerIsBetter, bayesian bool, alpha float64) string {
	if c == nil || !c.Defined {
		return judgedNA
	}
	if bayesian {
		switch {
		case !c.Bayes.Defined:
			return judgedNA
		case c.Bayes.ChanceToWin >= 1-alpha:
			return judgedBetter
		case c.Bayes.ChanceToWin <= alpha:
			return judgedWorse
		}
		return judgedInconclusive
	}
	if !c.Significant || c.Diff.Estimate == 0 {
		return judgedInconclusive
	}
	if (c.Diff.Estimate < 0) == lowerIsBetter {
		return judgedBetter
	}
	return judgedWorse
}

// verdictView is the verdict at the top of a test page, in plain words.
type verdictView struct {
	Headline, HeadlineCSS string
	Guardrails, GuardCSS  string
	SampleRatio, SRMCSS   string
	Enough, EnoughCSS     string
	Note                  string // e.g. that no primary goal is configured
}

// verdictOf judges the analysis res of goals with the configuration cfg.
func verdictOf(res *analysis.Result, goals []query.AnalysisGoal, cfg query.ConfigAnswer, bayesian bool) verdictView {
	var v verdictView
	primary := -1
	for i, g := range goals {
		if g.Role == query.RolePrimary {
			primary = i
		}
	}
	if primary < 0 && len(goals) > 0 {
		primary = 0
		v.Note = fmt.Sprintf("No primary goal is configured; the verdict is on the first goal shown, %s. Set one under Settings.", goals[0].Name)
	}
	if res == nil || primary < 0 {
		v.Headline, v.HeadlineCSS = "No verdict yet: there is nothing to compare.", judgedNA
		return v
	}
	v.Headline, v.HeadlineCSS = headline(res.Goals[primary], goals[primary], bayesian, res.Config.Alpha)
	v.Guardrails, v.GuardCSS = guardrails(res, goals, bayesian)
	if res.SRM.Warn {
		v.SampleRatio, v.SRMCSS = fmt.Sprintf("Sample ratio mismatch: the visitors are not split as configured (χ² = %s, %s); the assignment or tracking may be broken.", formatFloat(res.SRM.Chi2, 1), formatPEquals(res.SRM.P)), judgedWorse
	} else if res.SRM.DF > 0 {
		v.SampleRatio, v.SRMCSS = fmt.Sprintf("Sample ratio is sane (%s).", formatPEquals(res.SRM.P)), judgedBetter
	}
	v.Enough, v.EnoughCSS = enough(res.Goals[primary], res.Config.Power)
	return v
}

// headline names the best population on the primary goal g.
func headline(g analysis.GoalResult, ag query.AnalysisGoal, bayesian bool, alpha float64) (string, string) {
	var best *analysis.PopulationResult
	worse := 0
	variants := 0
	for i := range g.Populations {
		p := &g.Populations[i]
		c := p.Comparison
		if c == nil {
			continue
		}
		variants++
		if judge(c, ag.LowerIsBetter, bayesian, alpha) == judgedWorse {
			worse++
		}
		if c.Bayes.Defined && (best == nil || c.Bayes.ChanceToWin > best.Comparison.Bayes.ChanceToWin) {
			best = p
		}
	}
	if best == nil {
		return fmt.Sprintf("No verdict on %s yet: not enough data to compare.", ag.Name), judgedNA
	}
	c := best.Comparison
	figures := liftText(c, bayesian)
	if c.Bayes.Defined {
		figures += ", " + formatPercent(c.Bayes.ChanceToWin, 1) + " chance to win"
	}
	switch judge(c, ag.LowerIsBetter, bayesian, alpha) {
	case judgedBetter:
		return fmt.Sprintf("%s is ahead on %s: %s.", best.Population, ag.Name, figures), judgedBetter
	case judgedNA:
		return fmt.Sprintf("No verdict on %s yet: %s.", ag.Name, strings.TrimSuffix(c.Reason, ".")), judgedNA
	}
	if worse == variants && variants > 0 {
		return fmt.Sprintf("The control %s is ahead on %s: every variant is worse (best: %s, %s).", controlOf(g), ag.Name, best.Population, figures), judgedWorse
	}
	return fmt.Sprintf("No clear winner on %s yet: the best is %s, %s.", ag.Name, best.Population, figures), judgedInconclusive
}

func controlOf(g analysis.GoalResult) string {
	for _, p := range g.Populations {
		if p.Control {
			return p.Population
		}
	}
	return ""
}

// liftText is the lift of c with its interval (credible, in the Bayesian view).
func liftText(c *analysis.Comparison, bayesian bool) string {
	l := c.Lift
	if bayesian && c.Bayes.Defined {
		l = c.Bayes.Lift
	}
	if !l.HasEstimate {
		return "no lift (the control's mean is 0)"
	}
	s := formatSignedPercent(l.Estimate, 1)
	if l.Defined {
		s += " [" + formatSignedPercent(l.Low, 1) + ", " + formatSignedPercent(l.High, 1) + "]"
	}
	return s
}

// guardrails says whether every guardrail goal holds.
func guardrails(res *analysis.Result, goals []query.AnalysisGoal, bayesian bool) (string, string) {
	var bad []string
	n := 0
	for i, g := range goals {
		if g.Role != query.RoleGuardrail {
			continue
		}
		n++
		for _, p := range res.Goals[i].Populations {
			if judge(p.Comparison, g.LowerIsBetter, bayesian, res.Config.Alpha) == judgedWorse {
				bad = append(bad, fmt.Sprintf("%s is worse for %s (%s)", g.Name, p.Population, liftText(p.Comparison, bayesian)))
			}
		}
	}
	switch {
	case n == 0:
		return "No guardrail goal is configured.", judgedNA
	case len(bad) == 0:
		return fmt.Sprintf("No guardrail worse (%d checked).", n), judgedBetter
	}
	return "Guardrail broken: " + strings.Join(bad, "; ") + ".", judgedWorse
}

// enough says whether the primary goal has seen the visitors its power needs.
func enough(g analysis.GoalResult, want float64) (string, string) {
	var remaining int64
	var mde, pw float64
	defined := false
	for _, p := range g.Populations {
		if c := p.Comparison; c != nil && c.Power.Defined {
			defined = true
			remaining = max(remaining, c.Power.Remaining)
			mde = c.Power.MDE
			pw = c.Power.Power
		}
	}
	switch {
	case !defined:
		return "The visitors needed cannot be estimated yet (the control has no conversions).", judgedNA
	case remaining == 0:
		return fmt.Sprintf("Enough visitors to detect a %s lift (power %s).", formatPercent(mde, 0), formatPercent(pw, 0)), judgedBetter
	}
	return fmt.Sprintf("Not enough visitors yet: about %s more are needed to detect a %s lift with %s power (power now %s).",
		formatCount(remaining), formatPercent(mde, 0), formatPercent(want, 0), formatPercent(pw, 0)), judgedInconclusive
}
