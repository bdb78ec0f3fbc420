package analysis

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// curve is a posterior of one population's mean as the joint figures need it.
type curve interface {
	cuts() []float64                  // ascending cut points of its bulk
	cdfs(xs, out []float64) []float64 // F at ascending xs
	density(x float64) float64
	posteriorMean() float64
}

func (v *betaVar) cuts() []float64                  { return bulkCuts(v.mean, v.sd, 0, 1) }
func (v *betaVar) cdfs(xs, out []float64) []float64 { return v.cdfAt(xs, out) }
func (v *betaVar) density(x float64) float64        { return v.pdf(x) }
func (v *betaVar) posteriorMean() float64           { return v.mean }

type normalCurve struct{ distuv.Normal }

func (n normalCurve) cuts() []float64 {
	return bulkCuts(n.Mu, n.Sigma, math.Inf(-1), math.Inf(1))
}

func (n normalCurve) cdfs(xs, out []float64) []float64 {
	out = out[:0]
	for _, x := range xs {
		out = append(out, n.CDF(x))
	}
	return out
}

func (n normalCurve) density(x float64) float64 { return n.Prob(x) }
func (n normalCurve) posteriorMean() float64    { return n.Mu }

// bestOf returns, for every population, the chance that its mean is the best of all
// (the highest, or the lowest when lower is better) and the expected loss of choosing
// it, E[best − its mean] (E[its mean − best] when lower is better), from independent
// posteriors. With F_k the distribution functions, on [L, U] covering every bulk:
//
//	P(j is highest) = ∫ f_j(x)·Π_{k≠j} F_k(x) dx
//	E[max]          = L + ∫ (1 − Π_k F_k(x)) dx
//	P(j is lowest)  = ∫ f_j(x)·Π_{k≠j} (1 − F_k(x)) dx
//	E[min]          = L + ∫ Π_k (1 − F_k(x)) dx
//
// integrated by Gauss–Legendre on the pieces between the cut points of all the
// posteriors together, so that each one's bulk is resolved by its own pieces.
func bestOf(cs []curve, lowerIsBetter bool) []Best {
	var cuts []float64
	for _, c := range cs {
		cuts = append(cuts, c.cuts()...)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var xs, ws []float64
	for i := 1; i < len(cuts); i++ {
		half, mid := (cuts[i]-cuts[i-1])/2, (cuts[i]+cuts[i-1])/2
		for j, t := range legendreX {
			xs = append(xs, mid+half*t)
			ws = append(ws, half*legendreW[j])
		}
	}
	tail := make([][]float64, len(cs)) // F_k, or 1 − F_k when lower is better
	for k, c := range cs {
		tail[k] = c.cdfs(xs, make([]float64, 0, len(xs)))
		if lowerIsBetter {
			for i := range tail[k] {
				tail[k][i] = 1 - tail[k][i]
			}
		}
	}
	out := make([]Best, len(cs))
	extreme := 0.0 // ∫ (1 − Π F) or ∫ Π (1 − F)
	for i, x := range xs {
		all := 1.0
		for k := range cs {
			all *= tail[k][i]
		}
		if lowerIsBetter {
			extreme += ws[i] * all
		} else {
			extreme += ws[i] * (1 - all)
		}
		for j, c := range cs {
			others := 1.0
			for k := range cs {
				if k != j {
					others *= tail[k][i]
				}
			}
			out[j].ChanceToBeBest += ws[i] * c.density(x) * others
		}
	}
	extreme += cuts[0]
	for j, c := range cs {
		out[j].Defined = true
		out[j].ChanceToBeBest = clamp01(out[j].ChanceToBeBest)
		if lowerIsBetter {
			out[j].Risk = max(c.posteriorMean()-extreme, 0)
		} else {
			out[j].Risk = max(extreme-c.posteriorMean(), 0)
		}
	}
	return out
}

// bestOfGoal returns the joint figures of a goal's populations, or nil when a
// posterior is missing (a population without units, no variance, …).
func bestOfGoal(metric Metric, ms []moments, lowerIsBetter bool) []Best {
	cs := make([]curve, len(ms))
	for i, m := range ms {
		switch {
		case !m.ok || m.units <= 0:
			return nil
		case metric == ConversionRate:
			cs[i] = posterior(m)
		case m.stdErr() > 0:
			cs[i] = normalCurve{distuv.Normal{Mu: m.mean, Sigma: m.stdErr()}}
		default:
			return nil
		}
	}
	return bestOf(cs, lowerIsBetter)
}
