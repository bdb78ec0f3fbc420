package reference

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/shopspring/decimal"
)

// QuotientPlaces is the number of decimal places a quotient (an average or per-visitor
// goal value) is rounded to.
const QuotientPlaces = 20

// Query selects counters as the queries of docs/semantics.md do. Goal and Test/Population may be
// combined (a variant conversion), or given alone (a conversion; an impression). An empty
// Rollup means "all" and an empty Bucket "0". A nil Site sums over all sites.
type Query struct {
	Goal       string
	Test       string
	Population string
	Rollup     string
	Bucket     string
	Site       *int64
}

func (q Query) normal() Query {
	if q.Rollup == "" {
		q.Rollup = "all"
	}
	if q.Bucket == "" {
		q.Bucket = "0"
	}
	return q
}

func (q Query) siteMatches(site int64) bool { return q.Site == nil || *q.Site == site }

// TestInfo is one entry of the tests list.
type TestInfo struct {
	Name        string
	First       int64
	Last        int64
	Populations []string // sorted
}

// Count answers count(goal?, variant?, rollup, bucket, site?): variant conversions when
// the query names a goal and a test, conversions for a goal alone, impressions for a test
// alone.
func Count(d *messages.Deltas, q Query) (int64, error) {
	q = q.normal()
	var n int64
	switch {
	case q.Goal != "" && q.Test != "":
		for k, c := range d.VariantConversions {
			if k.Goal == q.Goal && k.Test == q.Test && k.Population == q.Population &&
				k.Rollup == q.Rollup && k.Bucket == q.Bucket && q.siteMatches(k.Site) {
				n += c.Count
			}
		}
	case q.Goal != "":
		for k, c := range d.Conversions {
			if k.Goal == q.Goal && k.Rollup == q.Rollup && k.Bucket == q.Bucket && q.siteMatches(k.Site) {
				n += c.Count
			}
		}
	case q.Test != "":
		for k, c := range d.Impressions {
			if k.Test == q.Test && k.Population == q.Population &&
				k.Rollup == q.Rollup && k.Bucket == q.Bucket && q.siteMatches(k.Site) {
				n += c
			}
		}
	default:
		return 0, fmt.Errorf("count: the query names neither a goal nor a test")
	}
	return n, nil
}

// valueSum is the sum of the values of the counters Count would add up.
func valueSum(d *messages.Deltas, q Query) decimal.Decimal {
	q = q.normal()
	sum := decimal.Zero
	if q.Test != "" {
		for k, c := range d.VariantConversions {
			if k.Goal == q.Goal && k.Test == q.Test && k.Population == q.Population &&
				k.Rollup == q.Rollup && k.Bucket == q.Bucket && q.siteMatches(k.Site) {
				sum = sum.Add(c.Value)
			}
		}
		return sum
	}
	for k, c := range d.Conversions {
		if k.Goal == q.Goal && k.Rollup == q.Rollup && k.Bucket == q.Bucket && q.siteMatches(k.Site) {
			sum = sum.Add(c.Value)
		}
	}
	return sum
}

// GoalValue answers goal_value(goal, variant?, rollup, bucket, site?) by the goal's value
// type: none → the count; S → the sum of values; A → sum ÷ count of the goal; any other
// type → sum ÷ count of "viewed page" with the same variant, rollup, bucket and site.
// A quotient with a zero divisor is 0.
func GoalValue(d *messages.Deltas, q Query) (decimal.Decimal, error) {
	if q.Goal == "" {
		return decimal.Decimal{}, fmt.Errorf("goal value: the query names no goal")
	}
	valueType := d.Goals[q.Goal].ValueType
	if valueType == messages.ValueNone {
		n, err := Count(d, q)
		return decimal.NewFromInt(n), err
	}
	sum := valueSum(d, q)
	if valueType == messages.ValueSum {
		return sum, nil
	}
	divisorQuery := q
	if valueType != messages.ValueAverage {
		divisorQuery.Goal = messages.ViewedPage
	}
	n, err := Count(d, divisorQuery)
	if err != nil || n == 0 {
		return decimal.Zero, err
	}
	return sum.DivRound(decimal.NewFromInt(n), QuotientPlaces), nil
}

// Tests answers tests(): every test, newest last impression first (ties by name).
func Tests(d *messages.Deltas) []TestInfo {
	out := make([]TestInfo, 0, len(d.Tests))
	for name, m := range d.Tests {
		pops := make([]string, 0, len(m.Populations))
		for p := range m.Populations {
			pops = append(pops, p)
		}
		slices.Sort(pops)
		out = append(out, TestInfo{Name: name, First: m.First, Last: m.Last, Populations: pops})
	}
	slices.SortFunc(out, func(a, b TestInfo) int {
		return cmp.Or(cmp.Compare(b.Last, a.Last), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Results answers results(test, goals, site?): for each population of the test, the goal
// value of each goal for that variant (rollup "all"). An unknown test has no populations.
func Results(d *messages.Deltas, test string, goals []string, site *int64) (map[string][]decimal.Decimal, error) {
	out := map[string][]decimal.Decimal{}
	for pop := range d.Tests[test].Populations {
		row := make([]decimal.Decimal, len(goals))
		for i, g := range goals {
			v, err := GoalValue(d, Query{Goal: g, Test: test, Population: pop, Site: site})
			if err != nil {
				return nil, err
			}
			row[i] = v
		}
		out[pop] = row
	}
	return out, nil
}

// Answerer answers the queries of docs/semantics.md. The in-memory deltas (NewAnswerer), the
// PostgreSQL store and the HTTP API can all be checked against expected answers through it.
type Answerer interface {
	Count(Query) (int64, error)
	GoalValue(Query) (decimal.Decimal, error)
	Tests() ([]TestInfo, error)
	Results(test string, goals []string, site *int64) (map[string][]decimal.Decimal, error)
}

// NewAnswerer answers queries from d.
func NewAnswerer(d *messages.Deltas) Answerer { return deltasAnswerer{d} }

type deltasAnswerer struct{ d *messages.Deltas }

func (a deltasAnswerer) Count(q Query) (int64, error)               { return Count(a.d, q) }
func (a deltasAnswerer) GoalValue(q Query) (decimal.Decimal, error) { return GoalValue(a.d, q) }
func (a deltasAnswerer) Tests() ([]TestInfo, error)                 { return Tests(a.d), nil }
func (a deltasAnswerer) Results(test string, goals []string, site *int64) (map[string][]decimal.Decimal, error) {
	return Results(a.d, test, goals, site)
}
