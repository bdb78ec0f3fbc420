package query

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// The roles of a goal in a test's analysis, from its configuration.
const (
	RolePrimary   = "primary"
	RoleSecondary = "secondary"
	RoleGuardrail = "guardrail"
	RoleOther     = "other" // analysed because asked for, or because nothing is configured
)

// AnalysisGoal is a goal of an analysis with its role.
type AnalysisGoal struct {
	Name          string `json:"name"`
	Role          string `json:"role"`
	ValueType     string `json:"value_type"`
	LowerIsBetter bool   `json:"lower_is_better"`
}

// Segment is the analysis of the visitors of one bucket (a breakdown), of a cohort
// range, or of all time.
type Segment struct {
	// Bucket is the rollup's bucket; "" for a cohort range, which sums several.
	Bucket string `json:"bucket"`
	// Analysis holds the statistics (package analysis); absent when Error says why
	// they cannot be computed for this segment.
	Analysis *analysis.Result `json:"analysis,omitempty"`
	Error    string           `json:"error,omitempty"`
}

// AnalysisAnswer is the answer of /api/v1/analysis: the statistics of a test per goal
// and population, for all time, per bucket of a breakdown rollup, or for the visitors
// of a cohort range.
type AnalysisAnswer struct {
	Test   string `json:"test"`
	Site   *int64 `json:"site"`
	Rollup string `json:"rollup"`
	// Breakdown is true when Segments are the buckets of Rollup.
	Breakdown bool `json:"breakdown"`
	// BySite is true when Segments are the sites (Bucket: the site id, in order of the
	// ids), each of all time or, with Cohort, of the visitors of the cohort range.
	BySite bool `json:"by_site"`
	// Cohort is true when Segments has the one analysis of the visitors of the cohort
	// rollup Rollup within From and To (bucket ids, Unix seconds; null: unbounded).
	Cohort   bool           `json:"cohort"`
	From     *int64         `json:"from"`
	To       *int64         `json:"to"`
	Config   ConfigAnswer   `json:"config"`
	Goals    []AnalysisGoal `json:"goals"`
	Segments []Segment      `json:"segments"`
}

// BreakdownSite is the breakdown that gives one analysis per site (no rollup may have
// this key; see rollups.Parse).
const BreakdownSite = "site"

// analysisParams are the parameters of an analysis request.
var analysisParams = []string{"test", "goals", "site", "breakdown", "cohort", "from", "to"}

// cohortKeyPrefixes begin the keys that rollups.Parse gives cohort rollups without
// an explicit key ("first_day_America/Los_Angeles"); the rest is their zone.
var cohortKeyPrefixes = []string{"first_day_", "first_week_"}

// parseAnalysis checks the parameters special to an analysis request.
func (p Parser) parseAnalysis(r *Request, v map[string][]string) error {
	get := func(k string) string {
		if vs := v[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	n := p.Naming
	breakdown, cohort := get("breakdown"), get("cohort")
	switch {
	case breakdown == BreakdownSite:
		r.BySite = true
		if cohort != "" {
			r.Query.Rollup, r.Cohort = cohort, true
		}
	case breakdown != "" && cohort != "":
		return invalid("give %s or %s, not both (only the breakdown by %s takes a cohort range)", n.name("breakdown"), n.name("cohort"), BreakdownSite)
	case breakdown != "":
		r.Query.Rollup, r.Breakdown = breakdown, true
	case cohort != "":
		r.Query.Rollup, r.Cohort = cohort, true
	}
	for _, b := range []struct {
		name string
		dst  **int64
	}{{"from", &r.From}, {"to", &r.To}} {
		s := get(b.name)
		if s == "" {
			continue
		}
		if cohort == "" {
			return invalid("%s needs a cohort rollup (%s)", n.name(b.name), n.name("cohort"))
		}
		t, err := cohortBound(s, cohort, b.name == "to")
		if err != nil {
			return invalid("%s%v", n.prefix(b.name), err)
		}
		*b.dst = &t
	}
	if r.From != nil && r.To != nil && *r.From > *r.To {
		return invalid("the cohort range is empty: %s is after %s", n.name("from"), n.name("to"))
	}
	return nil
}

// cohortBound reads a bound of a cohort range: a bucket id (Unix seconds) or a date
// YYYY-MM-DD, whose local midnight is taken in the zone that the cohort rollup's key
// names (first_day_ZONE, first_week_ZONE); a rollup with another key takes bucket ids.
func cohortBound(s, cohort string, _ bool) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, invalid("%q is neither a bucket (Unix seconds) nor a date YYYY-MM-DD", Clip(s))
	}
	for _, pre := range cohortKeyPrefixes {
		if zone, ok := strings.CutPrefix(cohort, pre); ok {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				return 0, invalid("the zone %q of rollup %q is unknown", Clip(zone), Clip(cohort))
			}
			return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).Unix(), nil
		}
	}
	return 0, invalid("rollup %q does not name its zone: give the bucket (Unix seconds) instead of the date %q", Clip(cohort), Clip(s))
}

// Analysis answers an analysis request.
func (s *Service) Analysis(ctx context.Context, r Request) (AnalysisAnswer, error) {
	return cached(ctx, s, "analysis", r, func(ctx context.Context) (AnalysisAnswer, error) { return s.analysis(ctx, r) })
}

// analysis is Analysis without the cache.
func (s *Service) analysis(ctx context.Context, r Request) (AnalysisAnswer, error) {
	tc, cfg, goals, err := s.testCounts(ctx, r, true)
	if err != nil {
		return AnalysisAnswer{}, err
	}
	a := AnalysisAnswer{
		Test: r.Query.Test, Site: r.Query.Site, Rollup: rollupOf(r.Query), Breakdown: r.Breakdown, BySite: r.BySite,
		Cohort: r.Cohort, From: r.From, To: r.To, Config: cfg, Goals: goals,
	}
	if len(tc.Impressions) == 0 && r.Query.Rollup != "" && r.Query.Rollup != persistence.DefaultRollup {
		return AnalysisAnswer{}, notFound("test %q has no counts in rollup %q%s", Clip(r.Query.Test), Clip(r.Query.Rollup), rangeText(r))
	}
	if r.Cohort && len(tc.Conversions) > 0 &&
		!slices.ContainsFunc(tc.Conversions, func(c persistence.VariantCount) bool { return c.SquaresKnown }) {
		// Only per-visitor rollups keep value squares; summing the buckets of another
		// (days of activity) would count a visitor once per bucket.
		return AnalysisAnswer{}, invalid("rollup %q is not a cohort rollup (first_day:ZONE, first_week:ZONE): its buckets cannot be summed", Clip(r.Query.Rollup))
	}
	buckets := []string{persistence.DefaultBucket}
	switch {
	case r.BySite:
		tc, buckets = bySite(tc)
	case r.Breakdown:
		buckets = bucketsOf(tc)
	case r.Cohort:
		buckets = []string{""} // the sum of the range
	}
	for _, b := range buckets {
		a.Segments = append(a.Segments, analyzeSegment(b, analysisInput(tc, cfg, goals, b)))
	}
	return a, nil
}

// analyzeSegment is the segment of bucket: the analysis of in, or why there is none.
func analyzeSegment(bucket string, in analysis.Input) Segment {
	seg := Segment{Bucket: bucket}
	res, err := analysis.Analyze(in)
	if err != nil {
		seg.Error = err.Error()
	} else {
		seg.Analysis = &res
	}
	return seg
}

func rangeText(r Request) string {
	if r.From == nil && r.To == nil {
		return ""
	}
	from, to := "…", "…"
	if r.From != nil {
		from = strconv.FormatInt(*r.From, 10)
	}
	if r.To != nil {
		to = strconv.FormatInt(*r.To, 10)
	}
	return " within buckets " + from + " to " + to
}

func rollupOf(q persistence.Query) string {
	if q.Rollup == "" {
		return persistence.DefaultRollup
	}
	return q.Rollup
}

// testCounts reads the counts of r's test in one round trip and returns them with the
// configuration and the goals to analyse (without goals in r: the configured ones when
// configured is true and there are some, else every goal that is not complex). An
// unknown test or goal is ErrNotFound, a complex goal ErrInvalid.
func (s *Service) testCounts(ctx context.Context, r Request, configured bool) (persistence.TestCounts, ConfigAnswer, []AnalysisGoal, error) {
	q := persistence.CountsQuery{Test: r.Query.Test, Rollup: r.Query.Rollup, From: r.From, To: r.To, Site: r.Query.Site, BySite: r.BySite}
	if len(r.Goals) > 0 {
		q.Goals = r.Goals
	}
	if !r.Breakdown && !r.Cohort {
		q.Bucket = persistence.DefaultBucket
	}
	tc, err := s.store.TestCounts(ctx, q)
	if err != nil {
		return tc, ConfigAnswer{}, nil, err
	}
	if !tc.Known {
		return tc, ConfigAnswer{}, nil, s.unknownTest(ctx, r.Query.Test)
	}
	info := persistence.TestInfo{Name: r.Query.Test, Populations: tc.Populations}
	cfg := configAnswer(info, tc.Config, tc.Configured)
	asked := r.Goals
	if len(asked) == 0 && configured {
		asked = configuredGoals(cfg)
	}
	goals, err := analysisGoals(asked, cfg, s.withComplex(tc.Goals))
	return tc, cfg, goals, err
}

// configuredGoals are the primary, secondary and guardrail goals of cfg.
func configuredGoals(cfg ConfigAnswer) []string {
	var names []string
	if cfg.Primary != "" {
		names = append(names, cfg.Primary)
	}
	names = append(names, cfg.Secondary...)
	for _, g := range cfg.Guardrails {
		names = append(names, g.Goal)
	}
	return names
}

// analysisGoals returns the goals asked for (none: every goal that is not complex)
// with their roles in cfg.
func analysisGoals(asked []string, cfg ConfigAnswer, known []persistence.GoalInfo) ([]AnalysisGoal, error) {
	names, err := variantGoals(compact(asked), known)
	if err != nil {
		return nil, err
	}
	out := make([]AnalysisGoal, 0, len(names))
	for _, name := range names {
		g := AnalysisGoal{Name: name, Role: RoleOther}
		if i := slices.IndexFunc(known, func(k persistence.GoalInfo) bool { return k.Name == name }); i >= 0 {
			g.ValueType = known[i].ValueType
		}
		switch i := slices.IndexFunc(cfg.Guardrails, func(x Guardrail) bool { return x.Goal == name }); {
		case name == cfg.Primary:
			g.Role = RolePrimary
		case slices.Contains(cfg.Secondary, name):
			g.Role = RoleSecondary
		case i >= 0:
			g.Role, g.LowerIsBetter = RoleGuardrail, cfg.Guardrails[i].LowerIsBetter
		}
		out = append(out, g)
	}
	return out, nil
}

// compact drops repeated names, keeping the first.
func compact(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// bucketsOf returns the buckets of the impressions of tc, in CompareBuckets order.
func bucketsOf(tc persistence.TestCounts) []string {
	var out []string
	for _, c := range tc.Impressions {
		if !slices.Contains(out, c.Bucket) {
			out = append(out, c.Bucket)
		}
	}
	slices.SortFunc(out, persistence.CompareBuckets)
	return out
}

// bySite returns tc with each count's bucket replaced by its site id, so that a
// segment of one "bucket" sums the counts of one site (over the cohorts of a range),
// and the sites of the impressions in the order of their ids.
func bySite(tc persistence.TestCounts) (persistence.TestCounts, []string) {
	var sites []int64
	imps := make([]persistence.ImpressionCount, len(tc.Impressions))
	for i, c := range tc.Impressions {
		if !slices.Contains(sites, c.Site) {
			sites = append(sites, c.Site)
		}
		c.Bucket = strconv.FormatInt(c.Site, 10)
		imps[i] = c
	}
	convs := make([]persistence.VariantCount, len(tc.Conversions))
	for i, c := range tc.Conversions {
		c.Bucket = strconv.FormatInt(c.Site, 10)
		convs[i] = c
	}
	tc.Impressions, tc.Conversions = imps, convs
	slices.Sort(sites)
	buckets := make([]string, len(sites))
	for i, s := range sites {
		buckets[i] = strconv.FormatInt(s, 10)
	}
	return tc, buckets
}

// totals are the summed counts of a population (and goal) within a segment.
type totals struct {
	count        int64
	sum, squares decimal.Decimal
	// unknown: a counter summed has no squares (a calendar rollup, or a counter written
	// before squares were kept), so squares is not the segment's sum of squares.
	unknown bool
}

// segmentTotals sums the counts of tc within bucket ("" sums every bucket): the
// exposures per population, and per goal and population the conversion totals.
func segmentTotals(tc persistence.TestCounts, bucket string) (map[string]int64, map[[2]string]totals) {
	exposures := map[string]int64{}
	for _, c := range tc.Impressions {
		if bucket == "" || c.Bucket == bucket {
			exposures[c.Population] += c.Count
		}
	}
	convs := map[[2]string]totals{}
	for _, c := range tc.Conversions {
		if bucket == "" || c.Bucket == bucket {
			k := [2]string{c.Goal, c.Population}
			t := convs[k]
			convs[k] = totals{t.count + c.Count, t.sum.Add(c.Sum), t.squares.Add(c.Squares), t.unknown || !c.SquaresKnown}
		}
	}
	return exposures, convs
}

// analysisInput is the input of the analysis of bucket ("" : all buckets summed).
func analysisInput(tc persistence.TestCounts, cfg ConfigAnswer, goals []AnalysisGoal, bucket string) analysis.Input {
	exposures, convs := segmentTotals(tc, bucket)
	pops := slices.Clone(tc.Populations)
	slices.Sort(pops)
	in := analysis.Input{Config: analysis.Config{
		Control: cfg.Control, Correction: analysis.Correction(cfg.Correction), Sequential: cfg.Sequential,
	}}
	if len(cfg.Weights) > 0 {
		for _, p := range pops {
			in.Config.Weights = append(in.Config.Weights, cfg.Weights[p])
		}
	}
	for _, p := range pops {
		in.Populations = append(in.Populations, analysis.Population{Name: p, Exposures: exposures[p]})
	}
	for _, g := range goals {
		ag := analysis.Goal{Name: g.Name, ValueType: analysis.ValueType(g.ValueType), LowerIsBetter: g.LowerIsBetter}
		for _, p := range pops {
			t := convs[[2]string{g.Name, p}]
			if t.unknown {
				t.squares = decimal.Zero // the analysis takes zero squares of a non-zero sum as not known
			}
			ag.Counts = append(ag.Counts, analysis.Counts{
				Conversions: t.count, Sum: t.sum, SumSquares: t.squares,
				Viewers: convs[[2]string{messages.ViewedPage, p}].count,
			})
		}
		in.Goals = append(in.Goals, ag)
	}
	return in
}
