package dashboard

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/persistence"
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
	SRM         analysis.SRM
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
	// Comparison of the conversion rate with the control's; nil for the control.
	Comparison *analysis.Comparison
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
		r.Goals = append(r.Goals, res)
	}
	return r, r.analyze()
}

// analyze fills in the sample-ratio check and the comparisons of the conversion
// rates with the control (the first population).
func (r *report) analyze() error {
	if len(r.Populations) == 0 {
		return nil
	}
	in := analysis.Input{Config: analysis.Config{Control: r.Populations[0]}}
	for i, p := range r.Populations {
		in.Populations = append(in.Populations, analysis.Population{Name: p, Exposures: r.Visitors[i]})
	}
	for _, g := range r.Goals {
		goal := analysis.Goal{Name: g.Goal.Name}
		for _, row := range g.Rows {
			goal.Counts = append(goal.Counts, analysis.Counts{Conversions: row.Conversions})
		}
		in.Goals = append(in.Goals, goal)
	}
	res, err := analysis.Analyze(in)
	if err != nil {
		return fmt.Errorf("analysis of test %q: %w", r.Test.Name, err)
	}
	r.SRM = res.SRM
	for gi, g := range res.Goals {
		for pi, p := range g.Populations {
			r.Goals[gi].Rows[pi].Comparison = p.Comparison
		}
	}
	return nil
}
