package analysis

import (
	"testing"

	"github.com/shopspring/decimal"
)

// benchInput is a typical test: three populations of about 50,000 exposed visitors
// and five goals (three conversion goals, a sum and an average value goal).
func benchInput(sequential bool) Input {
	d := decimal.NewFromInt
	pops := []Population{{Name: "control", Exposures: 50000}, {Name: "b", Exposures: 50300}, {Name: "c", Exposures: 49800}}
	rate := func(name string, cs ...int64) Goal {
		g := Goal{Name: name}
		for _, c := range cs {
			g.Counts = append(g.Counts, Counts{Conversions: c})
		}
		return g
	}
	value := func(name string, vt ValueType) Goal {
		return Goal{Name: name, ValueType: vt, Counts: []Counts{
			{Conversions: 2500, Sum: d(125000), SumSquares: d(9000000)},
			{Conversions: 2700, Sum: d(140000), SumSquares: d(10000000)},
			{Conversions: 2450, Sum: d(121000), SumSquares: d(8800000)},
		}}
	}
	return Input{
		Populations: pops,
		Goals: []Goal{
			rate("signed up", 5000, 5400, 4950), rate("added to cart", 12000, 12500, 11800),
			rate("purchased", 2500, 2700, 2450), value("revenue", Sum), value("order value", Average),
		},
		Config: Config{Sequential: sequential, Correction: Holm},
	}
}

// BenchmarkAnalyze is the cost of analysing one test (10 comparisons).
func BenchmarkAnalyze(b *testing.B) {
	for _, bc := range []struct {
		name string
		seq  bool
	}{{"fixed", false}, {"sequential", true}} {
		in := benchInput(bc.seq)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Analyze(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBetaBayes is the cost of the Beta-posterior figures of one comparison.
func BenchmarkBetaBayes(b *testing.B) {
	for _, bc := range []struct {
		name   string
		cA, cB int64
		n      int64
	}{{"1k", 200, 250, 1000}, {"100k", 20000, 20300, 100000}} {
		a := moments{conversions: bc.cA, exposures: bc.n}
		v := moments{conversions: bc.cB, exposures: bc.n}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				betaBayes(a, v, 0.05, false)
			}
		})
	}
}
