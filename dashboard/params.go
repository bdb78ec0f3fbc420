package dashboard

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
)

// The views of the results: frequentist (p-values and confidence intervals) or
// Bayesian (chance to win, risk and credible intervals).
const (
	viewFrequentist = "frequentist"
	viewBayesian    = "bayesian"
)

// maxGoals bounds the goals of one page.
const maxGoals = query.DefaultMaxGoals

// view is what a test page shows: the parameters of the request, checked against the
// test and the store's goals.
type view struct {
	Site      *int64 // nil: all sites
	Goals     []string
	Chart     string // the goal of the over-time chart; "": the primary (or first) goal
	Stats     string // viewFrequentist or viewBayesian
	Breakdown string // a rollup key to break the results down by; "": none
	From, To  string // a cohort date range (YYYY-MM-DD in the cohort rollup's zone)

	explicitGoals bool
	defaults      []string // the goals shown of a test without configured goals
}

// paramError is a bad request parameter; it is shown with status 400.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func badParam(format string, args ...any) error {
	return &paramError{msg: fmt.Sprintf(format, args...)}
}

// parseView reads the parameters site, goal (repeatable), chart, stats, breakdown,
// from and to. Unset parameters take their defaults: all sites, the test's configured
// goals (without them the known goals of defaults, or every goal), the primary goal,
// the frequentist view, no breakdown, every cohort.
func parseView(q url.Values, known []persistence.GoalInfo, defaults []string, complexGoals []string) (view, error) {
	var v view
	isKnown := func(name string) bool {
		return slices.ContainsFunc(known, func(g persistence.GoalInfo) bool { return g.Name == name }) || slices.Contains(complexGoals, name)
	}
	site, err := query.ParseSite(strings.TrimSpace(q.Get("site")))
	if err != nil {
		return v, badParam("%v", err)
	}
	v.Site = site
	for _, name := range q["goal"] {
		if name == "" || slices.Contains(v.Goals, name) {
			continue
		}
		if !isKnown(name) {
			return v, badParam("unknown goal %q", query.Clip(name))
		}
		v.Goals = append(v.Goals, name)
	}
	if len(v.Goals) > maxGoals {
		return v, badParam("too many goals: %d (at most %d)", len(v.Goals), maxGoals)
	}
	v.explicitGoals = len(v.Goals) > 0
	for _, name := range defaults {
		if isKnown(name) && !slices.Contains(v.defaults, name) {
			v.defaults = append(v.defaults, name)
		}
	}
	if v.Chart = q.Get("chart"); v.Chart != "" && !isKnown(v.Chart) {
		return v, badParam("unknown chart goal %q", query.Clip(v.Chart))
	}
	switch v.Stats = q.Get("stats"); v.Stats {
	case "":
		v.Stats = viewFrequentist
	case viewFrequentist, viewBayesian:
	default:
		return v, badParam("stats must be %q or %q, not %q", viewFrequentist, viewBayesian, query.Clip(v.Stats))
	}
	v.Breakdown = strings.TrimSpace(q.Get("breakdown"))
	for _, b := range []struct {
		name string
		dst  *string
	}{{"from", &v.From}, {"to", &v.To}} {
		s := strings.TrimSpace(q.Get(b.name))
		if s == "" {
			continue
		}
		if len(s) != len("2006-01-02") || strings.Count(s, "-") != 2 {
			return v, badParam("%s must be a date YYYY-MM-DD, not %q", b.name, query.Clip(s))
		}
		*b.dst = s
	}
	return v, nil
}

// sortedPopulations returns the test's populations in sorted order.
func sortedPopulations(test persistence.TestInfo) []string {
	pops := slices.Clone(test.Populations)
	slices.Sort(pops)
	return slices.Compact(pops)
}

// query returns the URL query of v, with the goals only when the request named them.
func (v view) query() url.Values {
	q := url.Values{}
	if v.Site != nil {
		q.Set("site", strconv.FormatInt(*v.Site, 10))
	}
	if v.explicitGoals {
		for _, g := range v.Goals {
			q.Add("goal", g)
		}
	}
	if v.Chart != "" {
		q.Set("chart", v.Chart)
	}
	if v.Stats != viewFrequentist {
		q.Set("stats", v.Stats)
	}
	if v.Breakdown != "" {
		q.Set("breakdown", v.Breakdown)
	}
	if v.From != "" {
		q.Set("from", v.From)
	}
	if v.To != "" {
		q.Set("to", v.To)
	}
	return q
}
