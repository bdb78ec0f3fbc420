package analysis_test

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/analysis"
)

// A test with a control and one variant, a conversion goal and a revenue goal (sum
// of values per exposed visitor, with the per-visitor value squares).
func ExampleAnalyze() {
	d := decimal.RequireFromString
	res, err := analysis.Analyze(analysis.Input{
		Populations: []analysis.Population{{Name: "control", Exposures: 1000}, {Name: "red", Exposures: 1000}},
		Goals: []analysis.Goal{
			{Name: "purchased", Counts: []analysis.Counts{{Conversions: 200}, {Conversions: 250}}},
			{Name: "revenue", ValueType: analysis.Sum, Counts: []analysis.Counts{
				{Conversions: 200, Sum: d("2000.00"), SumSquares: d("40000.00")},
				{Conversions: 250, Sum: d("2600.00"), SumSquares: d("50000.00")},
			}},
		},
		Config: analysis.Config{Correction: analysis.Holm},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("control %s, sample ratio p = %.3f\n", res.Control, res.SRM.P)
	for _, g := range res.Goals {
		red := g.Populations[1]
		c := red.Comparison
		fmt.Printf("%s (%s): %.3f against %.3f\n", g.Goal, g.Metric, red.Mean, g.Populations[0].Mean)
		fmt.Printf("  lift %+.1f%% [%+.1f%%, %+.1f%%], p = %.4f, Holm %.4f, significant %v\n",
			100*c.Lift.Estimate, 100*c.Lift.Low, 100*c.Lift.High, c.P, c.AdjustedP, c.Significant)
		fmt.Printf("  chance to win %.1f%%, risk %.5f\n", 100*c.Bayes.ChanceToWin, c.Bayes.Risk)
	}
	// Output:
	// control control, sample ratio p = 1.000
	// purchased (conversion_rate): 0.250 against 0.200
	//   lift +25.0% [+6.2%, +47.7%], p = 0.0073, Holm 0.0146, significant true
	//   chance to win 99.6%, risk 0.00002
	// revenue (mean_per_exposed): 2.600 against 2.000
	//   lift +30.0% [+2.1%, +67.2%], p = 0.0331, Holm 0.0331, significant true
	//   chance to win 98.3%, risk 0.00167
}
