package query

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// The kinds of queries.
const (
	KindCount       = "count"
	KindValue       = "value"
	KindTests       = "tests"
	KindGoals       = "goals"
	KindResults     = "results"
	KindSeries      = "series"
	KindDeadLetters = "dead-letters"
	KindStatus      = "status"
	KindAnalysis    = "analysis"
)

// Request bounds.
const (
	// DefaultMaxGoals is the default bound on the goals of one results request.
	DefaultMaxGoals = 100
	// MaxDeadLetters is the most dead letters one request may ask for.
	MaxDeadLetters = 1000
	// DefaultDeadLetters is the number of dead letters answered when no limit is given.
	DefaultDeadLetters = 100
)

var selectionParams = []string{"goal", "test", "population", "rollup", "bucket", "site"}

// kindParams are the parameters each kind of query takes.
var kindParams = map[string][]string{
	KindCount:       selectionParams,
	KindValue:       selectionParams,
	KindTests:       {},
	KindGoals:       {},
	KindResults:     {"test", "goals", "site"},
	KindSeries:      selectionParams,
	KindDeadLetters: {"source", "limit"},
	KindStatus:      {},
	KindAnalysis:    analysisParams,
}

// listParams may be given several times; each value is a comma-separated list.
var listParams = []string{"goals"}

// ParamsOf returns the parameters a kind of query takes (nil for an unknown kind).
func ParamsOf(kind string) []string { return slices.Clone(kindParams[kind]) }

// Request is a checked query, ready for a Service.
type Request struct {
	Kind string
	// Query selects the counters of count, value and series; results use its Test and
	// Site.
	Query persistence.Query
	// Goals are the goals of results, in order; none means every goal of the store.
	Goals []string
	// Source ("" for all) and Limit select dead letters.
	Source string
	Limit  int
	// Breakdown (analysis) asks for one analysis per bucket of Query.Rollup.
	Breakdown bool
	// BySite (analysis, breakdown=site) asks for one analysis per site: of all time, or
	// with Cohort of the visitors of the cohort range.
	BySite bool
	// Cohort (analysis) asks for the visitors of the cohort rollup Query.Rollup whose
	// bucket is within From and To (nil: unbounded).
	Cohort   bool
	From, To *int64
}

// Parser checks raw query parameters.
type Parser struct {
	Naming Naming
	// MaxGoals bounds the goals of a results request; zero means DefaultMaxGoals.
	MaxGoals int
}

// Parse checks the parameters v of a query of kind (one of the Kind constants) and
// returns the request. Errors are ErrInvalid.
func (p Parser) Parse(kind string, v url.Values) (Request, error) {
	allowed, ok := kindParams[kind]
	if !ok {
		return Request{}, invalid("unknown query %q", Clip(kind))
	}
	if err := p.checkValues(kind, allowed, v); err != nil {
		return Request{}, err
	}
	n := p.Naming
	r := Request{Kind: kind, Query: persistence.Query{
		Goal: v.Get("goal"), Test: v.Get("test"), Population: v.Get("population"),
		Rollup: v.Get("rollup"), Bucket: v.Get("bucket"),
	}}
	site, err := ParseSite(v.Get("site"))
	if err != nil {
		return r, invalid("%s%v", n.prefix("site"), err)
	}
	r.Query.Site = site
	q := r.Query
	switch kind {
	case KindCount, KindSeries:
		if kind == KindSeries && v.Has("bucket") {
			return r, n.errSeriesBucket()
		}
		if q.Goal == "" && q.Test == "" && q.Population == "" {
			return r, n.errNeitherGoalNorVariant()
		}
	case KindValue:
		if q.Goal == "" {
			return r, n.errRequired("goal")
		}
	case KindResults, KindAnalysis:
		if q.Test == "" {
			return r, n.errRequired("test")
		}
		if kind == KindAnalysis {
			if err := p.parseAnalysis(&r, v); err != nil {
				return r, err
			}
		}
		max := p.MaxGoals
		if max <= 0 {
			max = DefaultMaxGoals
		}
		if r.Goals, err = SplitGoals(v["goals"], max); err != nil {
			return r, invalid("%s%v", n.prefix("goals"), err)
		}
		return r, nil
	case KindDeadLetters:
		r.Source, r.Limit = v.Get("source"), DefaultDeadLetters
		if l := v.Get("limit"); l != "" {
			r.Limit, err = strconv.Atoi(l)
			if err != nil || r.Limit < 1 || r.Limit > MaxDeadLetters {
				return r, invalid("limit must be an integer from 1 to %d, not %q", MaxDeadLetters, Clip(l))
			}
		}
		return r, nil
	default:
		return r, nil
	}
	if (q.Test == "") != (q.Population == "") {
		return r, n.errHalfVariant()
	}
	return r, nil
}

// checkValues allows only the parameters of kind, each at most once except lists, and
// each value valid UTF-8 of at most messages.MaxFieldLength characters (lists are
// checked per element by SplitGoals).
func (p Parser) checkValues(kind string, allowed []string, v url.Values) error {
	n := p.Naming
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			switch {
			case n == Flags:
				return invalid("--%s does not apply to %s", Clip(k), kind)
			case len(allowed) == 0:
				return invalid("unknown parameter %q: this endpoint takes no parameters", Clip(k))
			}
			return invalid("unknown parameter %q (this endpoint takes %s)", Clip(k), strings.Join(allowed, ", "))
		}
		list := slices.Contains(listParams, k)
		if len(v[k]) > 1 && !list {
			return invalid("%s is given %d times; give it once", n.subject(k), len(v[k]))
		}
		for _, s := range v[k] {
			if !utf8.ValidString(s) {
				return invalid("%s is not valid UTF-8", n.subject(k))
			}
			if !list && tooLong(s) {
				return invalid("%s is longer than %d characters", n.subject(k), messages.MaxFieldLength)
			}
		}
	}
	return nil
}

// tooLong reports whether s has more characters than a log field may.
func tooLong(s string) bool {
	return len(s) > messages.MaxFieldLength && utf8.RuneCountInString(s) > messages.MaxFieldLength
}

// ParseSite reads a site: an integer site id, or "" or "all" for every site (nil).
func ParseSite(s string) (*int64, error) {
	if s == "" || s == "all" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("site must be an integer site id or \"all\", not %q", Clip(s))
	}
	return &n, nil
}

// SplitGoals splits comma-separated goal lists into goal names, trimming spaces and
// dropping empty names; it fails when there are more than max goals or a name is
// longer than messages.MaxFieldLength characters.
func SplitGoals(lists []string, max int) ([]string, error) {
	var goals []string
	for _, l := range lists {
		for g := range strings.SplitSeq(l, ",") {
			g = strings.TrimSpace(g)
			if g == "" {
				continue
			}
			if len(goals) == max {
				return nil, fmt.Errorf("too many goals: at most %d per request", max)
			}
			if tooLong(g) {
				return nil, fmt.Errorf("goal %q is longer than %d characters", Clip(g), messages.MaxFieldLength)
			}
			goals = append(goals, g)
		}
	}
	return goals, nil
}
