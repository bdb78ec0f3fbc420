package dashboard

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
)

// report holds the answers of a test page: the analysis of all time (or of the cohort
// range), the cumulative analysis by day of arrival, and the breakdown.
type report struct {
	Test   persistence.TestInfo
	View   view
	Main   query.AnalysisAnswer
	Result *analysis.Result // the analysis of Main; nil when it cannot be made
	Error  string           // why Result is nil

	Cohort  string         // the cohort rollup of the over-time chart and the range; "" without one
	Zone    *time.Location // of Cohort (UTC without one)
	Over    *query.AnalysisAnswer
	OverErr string

	Break    *query.AnalysisAnswer
	BreakErr string
	Rollups  []string // the rollups a breakdown may use

	Formats map[string]string // goal → value format (messages.Format…)
}

// cohortRollup returns the first day cohort rollup of rollups, or of the week when
// there is none, with its zone; "" and UTC without one.
func cohortRollup(rollups []string) (string, *time.Location) {
	for _, pre := range cohortKeyPrefixes {
		for _, r := range rollups {
			zone, ok := strings.CutPrefix(r, pre)
			if !ok {
				continue
			}
			if loc, err := time.LoadLocation(zone); err == nil && zone != "" {
				return r, loc
			}
		}
	}
	return "", time.UTC
}

// cohortKeyPrefixes begin the keys rollups.Parse gives cohort rollups by default
// ("first_day_America/Los_Angeles"); the rest is their zone.
var cohortKeyPrefixes = []string{"first_day_", "first_week_"}

// loadReport reads the answers of test for v from svc.
func loadReport(ctx context.Context, svc *query.Service, store query.Store, test persistence.TestInfo, v view) (*report, error) {
	cat, err := store.Catalog(ctx, persistence.Query{})
	if err != nil {
		return nil, err
	}
	r := &report{Test: test, View: v, Formats: map[string]string{}}
	for _, g := range cat.Goals {
		r.Formats[g.Name] = g.ValueFormat
	}
	r.Cohort, r.Zone = cohortRollup(cat.Rollups)
	for _, k := range cat.Rollups {
		if k != persistence.DefaultRollup && !slices.ContainsFunc(cohortKeyPrefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			r.Rollups = append(r.Rollups, k)
		}
	}
	if v.Breakdown != "" && v.Breakdown != query.BreakdownSite && !slices.Contains(r.Rollups, v.Breakdown) {
		return nil, badParam("breakdown: no rollup %q to break the results down by (%s)", query.Clip(v.Breakdown),
			strings.Join(append([]string{query.BreakdownSite}, r.Rollups...), ", "))
	}
	from, to, err := v.cohortRange(r.Zone)
	if err != nil {
		return nil, err
	}
	if (from != nil || to != nil) && r.Cohort == "" {
		return nil, badParam("a date range needs a cohort rollup (first_day:ZONE); the store has none")
	}
	main := query.Request{Kind: query.KindAnalysis, Query: persistence.Query{Test: test.Name, Site: v.Site}, Goals: v.Goals}
	if !v.explicitGoals {
		cfg, err := svc.TestConfig(ctx, test.Name)
		if err != nil {
			return nil, err
		}
		if cfg.Primary == "" && len(cfg.Secondary) == 0 && len(cfg.Guardrails) == 0 {
			main.Goals = v.defaults
		}
	}
	if from != nil || to != nil {
		main.Query.Rollup, main.From, main.To, main.Cohort = r.Cohort, from, to, true
	}
	if r.Main, err = svc.Analysis(ctx, main); err != nil {
		if errors.Is(err, query.ErrNotFound) && main.From != nil {
			return nil, badParam("no visitor arrived in that date range")
		}
		return nil, err
	}
	if len(r.Main.Segments) > 0 {
		r.Result, r.Error = r.Main.Segments[0].Analysis, r.Main.Segments[0].Error
	}
	goals := make([]string, len(r.Main.Goals))
	for i, g := range r.Main.Goals {
		goals[i] = g.Name
	}
	if gi := chartGoalIndex(r.Main.Goals, v.Chart); r.Cohort != "" && gi >= 0 {
		// Only the chart's goal: a cumulative analysis per day costs a full one.
		over := main
		over.Query.Rollup, over.From, over.To, over.Goals = r.Cohort, from, to, goals[gi:gi+1]
		if a, err := svc.OverTime(ctx, over); err == nil {
			r.Over = &a
		} else if isQueryErr(err) {
			r.OverErr = err.Error()
		} else {
			return nil, err
		}
	}
	if v.Breakdown != "" {
		b := query.Request{Kind: query.KindAnalysis, Query: persistence.Query{Test: test.Name, Site: v.Site, Rollup: v.Breakdown}, Goals: goals, Breakdown: true}
		if v.Breakdown == query.BreakdownSite {
			// Per site, of the same visitors as the rest of the page (the date range too).
			b.Query.Rollup, b.Breakdown, b.BySite = "", false, true
			if from != nil || to != nil {
				b.Query.Rollup, b.From, b.To, b.Cohort = r.Cohort, from, to, true
			}
		}
		if a, err := svc.Analysis(ctx, b); err == nil {
			r.Break = &a
		} else if isQueryErr(err) {
			r.BreakErr = err.Error()
		} else {
			return nil, err
		}
	}
	return r, nil
}

func isQueryErr(err error) bool {
	return errors.Is(err, query.ErrNotFound) || errors.Is(err, query.ErrInvalid)
}

// cohortRange returns the bounds of v's date range as cohort buckets (the Unix
// seconds of the local midnights in zone); the end is the last day's midnight.
func (v view) cohortRange(zone *time.Location) (from, to *int64, err error) {
	for _, b := range []struct {
		s   string
		dst **int64
	}{{v.From, &from}, {v.To, &to}} {
		if b.s == "" {
			continue
		}
		d, err := time.ParseInLocation(time.DateOnly, b.s, zone)
		if err != nil {
			return nil, nil, badParam("%q is not a date YYYY-MM-DD", b.s)
		}
		u := d.Unix()
		*b.dst = &u
	}
	if from != nil && to != nil && *from > *to {
		return nil, nil, badParam("the date range is empty: %s is after %s", v.From, v.To)
	}
	return from, to, nil
}
