package dashboard

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
)

// Chart modes.
const (
	modeCumulative = "cumulative"
	modeDaily      = "daily"
)

// maxGoals bounds the goals of one page (each costs a query per population).
const maxGoals = query.DefaultMaxGoals

// view is what a test page shows: the parameters of the request, checked against the
// test and the store's goals.
type view struct {
	Site    *int64 // nil: all sites
	Control string // the population the others are compared with
	Goals   []persistence.GoalInfo
	Chart   *persistence.GoalInfo // the goal of the daily chart; nil without goals
	Mode    string                // modeCumulative or modeDaily

	explicitGoals bool                   // the request named its goals
	known         []persistence.GoalInfo // every goal of the store
}

// paramError is a bad request parameter; it is shown with status 400.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func badParam(format string, args ...any) error {
	return &paramError{msg: fmt.Sprintf(format, args...)}
}

// parseView reads the parameters site, control, goal (repeatable), chart and mode for
// test. Unset parameters take their defaults: all sites, the first population in
// sorted order, the default goals (or every known goal), the first of the goals, and
// the cumulative chart.
func parseView(q url.Values, test persistence.TestInfo, known []persistence.GoalInfo, defaults []string) (view, error) {
	v := view{known: known}
	byName := make(map[string]persistence.GoalInfo, len(known))
	for _, g := range known {
		byName[g.Name] = g
	}

	site, err := query.ParseSite(strings.TrimSpace(q.Get("site")))
	if err != nil {
		return v, badParam("%v", err)
	}
	v.Site = site

	pops := sortedPopulations(test)
	v.Control = q.Get("control")
	if v.Control == "" && len(pops) > 0 {
		v.Control = pops[0]
	}
	if len(pops) > 0 && !slices.Contains(pops, v.Control) {
		return v, badParam("control %q is not a population of test %q (populations: %s)",
			query.Clip(v.Control), test.Name, strings.Join(pops, ", "))
	}

	if names := q["goal"]; len(names) > 0 {
		v.explicitGoals = true
		seen := map[string]bool{}
		for _, name := range names {
			if name == "" || seen[name] {
				continue
			}
			g, ok := byName[name]
			if !ok {
				return v, badParam("unknown goal %q", query.Clip(name))
			}
			seen[name] = true
			v.Goals = append(v.Goals, g)
		}
		if len(v.Goals) > maxGoals {
			return v, badParam("too many goals: %d (at most %d)", len(v.Goals), maxGoals)
		}
	}
	if len(v.Goals) == 0 {
		v.explicitGoals = false
		v.Goals = defaultGoals(known, byName, defaults)
	}

	if name := q.Get("chart"); name != "" {
		g, ok := byName[name]
		if !ok {
			return v, badParam("unknown chart goal %q", query.Clip(name))
		}
		v.Chart = &g
	} else if len(v.Goals) > 0 {
		// The first goal, but not page views when there is another: every visitor views
		// a page, so that rate says little about a test.
		v.Chart = &v.Goals[0]
		for i := range v.Goals {
			if v.Goals[i].Name != messages.ViewedPage {
				v.Chart = &v.Goals[i]
				break
			}
		}
	}

	switch v.Mode = q.Get("mode"); v.Mode {
	case "":
		v.Mode = modeCumulative
	case modeCumulative, modeDaily:
	default:
		return v, badParam("mode must be %q or %q, not %q", modeCumulative, modeDaily, query.Clip(v.Mode))
	}
	return v, nil
}

// defaultGoals returns the configured default goals that the store knows, or, when
// there are none, every known goal (bounded by maxGoals).
func defaultGoals(known []persistence.GoalInfo, byName map[string]persistence.GoalInfo, defaults []string) []persistence.GoalInfo {
	var goals []persistence.GoalInfo
	for _, name := range defaults {
		if g, ok := byName[name]; ok && !slices.ContainsFunc(goals, func(x persistence.GoalInfo) bool { return x.Name == name }) {
			goals = append(goals, g)
		}
	}
	if len(goals) == 0 {
		goals = slices.Clone(known)
	}
	return goals[:min(len(goals), maxGoals)]
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
	if v.Control != "" {
		q.Set("control", v.Control)
	}
	if v.explicitGoals {
		for _, g := range v.Goals {
			q.Add("goal", g.Name)
		}
	}
	if v.Chart != nil {
		q.Set("chart", v.Chart.Name)
	}
	q.Set("mode", v.Mode)
	return q
}
