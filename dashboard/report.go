package dashboard

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/stats"
)

// source is the part of the store the dashboard reads; *persistence.Store has it.
type source interface {
	Tests(ctx context.Context) ([]persistence.TestInfo, error)
	Goals(ctx context.Context) ([]persistence.GoalInfo, error)
	Count(ctx context.Context, q persistence.Query) (int64, error)
	Results(ctx context.Context, test string, goals []string, site *int64) (map[string][]decimal.Decimal, error)
	Series(ctx context.Context, q persistence.Query) ([]persistence.Point, error)
}

// report holds the numbers of a test page: visitors per population, and per goal the
// conversions, values and the comparison of every population with the control.
type report struct {
	Test        persistence.TestInfo
	View        view
	Populations []string // the control first, then the others in sorted order
	Visitors    []int64  // per population, in the order of Populations
	SRM         stats.SRM
	Goals       []goalResult
}

type goalResult struct {
	Goal persistence.GoalInfo
	Rows []populationResult // in the order of report.Populations
}

type populationResult struct {
	Population  string
	Control     bool
	Visitors    int64
	Conversions int64
	Value       decimal.Decimal // the goal value (by its value type) for the population
	Comparison  stats.Comparison
}

// Rate is the population's conversion rate; 0 without visitors.
func (p populationResult) Rate() float64 {
	if p.Visitors <= 0 {
		return 0
	}
	return float64(p.Conversions) / float64(p.Visitors)
}

// loadReport reads the numbers of test for v from src.
func loadReport(ctx context.Context, src source, test persistence.TestInfo, v view) (*report, error) {
	r := &report{Test: test, View: v}
	if v.Control != "" {
		r.Populations = append(r.Populations, v.Control)
	}
	for _, p := range sortedPopulations(test) {
		if p != v.Control {
			r.Populations = append(r.Populations, p)
		}
	}
	for _, p := range r.Populations {
		n, err := src.Count(ctx, persistence.Query{Test: test.Name, Population: p, Site: v.Site})
		if err != nil {
			return nil, fmt.Errorf("visitors of %q in test %q: %w", p, test.Name, err)
		}
		r.Visitors = append(r.Visitors, n)
	}
	r.SRM = stats.CheckSampleRatio(r.Visitors, nil)

	names := make([]string, len(v.Goals))
	for i, g := range v.Goals {
		names[i] = g.Name
	}
	values, err := src.Results(ctx, test.Name, names, v.Site)
	if err != nil {
		return nil, err
	}
	for gi, g := range v.Goals {
		res := goalResult{Goal: g}
		for pi, p := range r.Populations {
			conv, err := src.Count(ctx, persistence.Query{Goal: g.Name, Test: test.Name, Population: p, Site: v.Site})
			if err != nil {
				return nil, fmt.Errorf("conversions on %q of %q in test %q: %w", g.Name, p, test.Name, err)
			}
			row := populationResult{Population: p, Control: pi == 0, Visitors: r.Visitors[pi], Conversions: conv}
			if vals := values[p]; gi < len(vals) {
				row.Value = vals[gi]
			}
			res.Rows = append(res.Rows, row)
		}
		for i := range res.Rows {
			control := res.Rows[0]
			res.Rows[i].Comparison = stats.TwoProportion(control.Conversions, control.Visitors, res.Rows[i].Conversions, res.Rows[i].Visitors)
		}
		r.Goals = append(r.Goals, res)
	}
	return r, nil
}
