package analysis

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Numerical integration against a Beta density. An expectation E[g(X)] for a Beta
// variable X is integrated by Gauss–Legendre quadrature on pieces of X's bulk, cut at
// mean + k·sd for the k of bulkGrid (clipped to [0, 1]): the density is smooth on each
// piece, and the pieces reach 40 standard deviations into either tail, where even the
// exponential tail of Beta(1, n) holds less than e⁻⁴⁰ of the mass. The weights are
// normalized to sum to 1, which removes the common rounding error of the density's
// normalizing constant (lgamma of large arguments). g is always a distribution
// function of a variable at least as wide as X (see probGreater), so it is smooth on
// X's pieces too. The accuracy is checked in bayes_test.go against 50-digit values.

var bulkGrid = []float64{-40, -20, -12, -8, -6, -4.5, -3.5, -2.5, -1.5, -0.75, 0,
	0.75, 1.5, 2.5, 3.5, 4.5, 6, 8, 12, 20, 40}

// legendreNodes is the number of Gauss–Legendre nodes per piece.
const legendreNodes = 8

// legendreX holds the nodes in ascending order (cdfAt needs the nodes of a variable
// sorted), legendreW their weights.
var legendreX, legendreW = func() ([]float64, []float64) {
	x, w := make([]float64, legendreNodes), make([]float64, legendreNodes)
	quad.Legendre{}.FixedLocations(x, w, -1, 1)
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return x[order[i]] < x[order[j]] })
	xs, ws := make([]float64, len(x)), make([]float64, len(x))
	for i, k := range order {
		xs[i], ws[i] = x[k], w[k]
	}
	return xs, ws
}()

// betaVar is a Beta variable with quadrature nodes and weights for expectations
// under its density: E[g(X)] ≈ Σ w·g(x).
type betaVar struct {
	distuv.Beta
	mean, sd float64
	lbeta    float64 // log B(α, β)
	x, w     []float64
}

func newBetaVar(b distuv.Beta) *betaVar {
	v := &betaVar{Beta: b, mean: b.Mean(), sd: b.StdDev(), lbeta: mathext.Lbeta(b.Alpha, b.Beta)}
	cuts := bulkCuts(v.mean, v.sd, 0, 1)
	v.x = make([]float64, 0, (len(cuts)-1)*legendreNodes)
	v.w = make([]float64, 0, (len(cuts)-1)*legendreNodes)
	total := 0.0
	for i := 1; i < len(cuts); i++ {
		half, mid := (cuts[i]-cuts[i-1])/2, (cuts[i]+cuts[i-1])/2
		for j, t := range legendreX {
			x := mid + half*t
			w := half * legendreW[j] * v.pdf(x)
			v.x = append(v.x, x)
			v.w = append(v.w, w)
			total += w
		}
	}
	for i := range v.w {
		v.w[i] /= total
	}
	// From here on pdf integrates to 1 over the bulk too (cdfAt sums it).
	v.lbeta += math.Log(total)
	return v
}

// bulkCuts returns the ascending cut points mean + k·sd, k in bulkGrid, clipped to
// [lo, hi], without repeats.
func bulkCuts(mean, sd, lo, hi float64) []float64 {
	var cuts []float64
	for _, k := range bulkGrid {
		c := min(max(mean+k*sd, lo), hi)
		if len(cuts) == 0 || c > cuts[len(cuts)-1] {
			cuts = append(cuts, c)
		}
	}
	return cuts
}

// pdf is the density x^(α−1)(1 − x)^(β−1)/B(α, β) with B computed once (gonum's
// Prob recomputes it at every point), normalized by newBetaVar to integrate to 1.
func (v *betaVar) pdf(x float64) float64 {
	if x <= 0 || x >= 1 {
		return 0
	}
	return math.Exp((v.Alpha-1)*math.Log(x) + (v.Beta.Beta-1)*math.Log1p(-x) - v.lbeta)
}

// cdfAt returns F(t) at the ascending points ts: gonum's regularized incomplete beta
// function at the first, then F(tᵢ) = F(tᵢ₋₁) + ∫ f over [tᵢ₋₁, tᵢ], each gap's part
// within 40 standard deviations of the mean (outside, the density is below e⁻⁸⁰⁰)
// split into steps of at most half a standard deviation within 4 of the mean, growing
// in proportion to the distance beyond, each by a 4-point Gauss–Legendre rule: exact
// to far below the tests' 1e-10. A few density values per
// step cost much less than an incomplete beta function each (a continued fraction
// whose length grows with √α), and the nodes of the other posterior are mostly closer
// together than a step.
func (v *betaVar) cdfAt(ts []float64, out []float64) []float64 {
	out = out[:0]
	f := 0.0
	lo, hi := v.mean-40*v.sd, v.mean+40*v.sd
	step := v.sd / 2
	for i, t := range ts {
		if i == 0 || t < ts[i-1] {
			f = v.CDF(t) // not reached for ascending points
		} else if a, b := max(ts[i-1], lo), min(t, hi); b > a {
			for x := a; x < b; {
				// Half a standard deviation near the mean, wider steps in the tails,
				// where the density is smooth and small.
				next := min(b, x+step*max(1, math.Abs(x-v.mean)/(4*v.sd)))
				h := (next - x) / 2
				for j, u := range gapX {
					f += h * gapW[j] * v.pdf(x+h+h*u)
				}
				x = next
			}
		}
		out = append(out, min(f, 1))
	}
	return out
}

var gapX, gapW = func() ([]float64, []float64) {
	x, w := make([]float64, 4), make([]float64, 4)
	quad.Legendre{}.FixedLocations(x, w, -1, 1)
	return x, w
}()

// winAndLoss returns P(Y > X) and the expected loss E[max(X − Y, 0)] for independent
// Beta variables X = Beta(a, b) and Y, in one pass over the nodes of the narrower one.
// With X narrower, at X's nodes t, F = F_Y(t), f = f_Y(t):
//
//	P(Y > X)        = E_X[1 − F]
//	E[max(X − Y, 0)] = E_X[t·F_Y(t) − m_Y·F_{Y⁺}(t)],  F_{Y⁺}(t) = F − t(1 − t)·f/α_Y
//
// (E[(t − Y)⁺] = t·F_Y(t) − E[Y; Y ≤ t], Y·f_Y = m_Y·f_{Y⁺} for Y⁺ = Beta(α_Y + 1, β_Y),
// and DLMF 8.17.20 for I_t(α + 1, β)). With Y narrower the roles swap, using
// E[max(X − Y, 0)] = E[max(Y − X, 0)] + m_X − m_Y.
func winAndLoss(x, y *betaVar) (win, loss float64) {
	narrow, wide := x, y
	if y.sd < x.sd {
		narrow, wide = y, x
	}
	var pGreater, lossOf float64 // P(wide > narrow), E[max(narrow − wide, 0)]
	cdf := wide.cdfAt(narrow.x, make([]float64, 0, len(narrow.x)))
	for i, t := range narrow.x {
		f, pdf := cdf[i], wide.pdf(t)
		pGreater += narrow.w[i] * (1 - f)
		lossOf += narrow.w[i] * (t*f - wide.mean*(f-t*(1-t)*pdf/wide.Alpha))
	}
	pGreater, lossOf = clamp01(pGreater), max(lossOf, 0)
	if narrow == x {
		return pGreater, lossOf
	}
	// narrow is Y: P(Y > X) = 1 − P(X > Y); E[(X − Y)⁺] = E[(Y − X)⁺] + m_X − m_Y.
	return clamp01(1 - pGreater), max(lossOf+x.mean-y.mean, 0)
}

// ratioCDF returns P(Y ≤ s·X) for independent Beta variables X, Y and s > 0 (the
// distribution function of Y/X at s) and its density at s, against the narrower of
// X (scaled by s) and Y:
//
//	P(Y ≤ sX) = ∫ f_X(t)·F_Y(st) dt = ∫ f_Y(t)·S_X(t/s) dt
//	density   = ∫ f_X(t)·t·f_Y(st) dt = ∫ f_Y(t)·f_X(t/s)·t/s² dt
func ratioCDF(x, y *betaVar, s float64) (cdf, density float64) {
	narrow, wide, scale := x, y, s // the wide variable is read at scale·t
	if s*x.sd > y.sd {
		narrow, wide, scale = y, x, 1/s
	}
	ts := make([]float64, len(narrow.x))
	for i, t := range narrow.x {
		ts[i] = scale * t
	}
	fs := wide.cdfAt(ts, make([]float64, 0, len(ts)))
	for i, t := range narrow.x {
		w := narrow.w[i]
		if narrow == x {
			cdf += w * fs[i]
			density += w * t * wide.pdf(ts[i])
		} else {
			cdf += w * (1 - fs[i])
			density += w * wide.pdf(ts[i]) * t / (s * s)
		}
	}
	return clamp01(cdf), density
}

// ratioQuantile returns the s with P(Y/X ≤ s) = q for independent Beta variables, by
// Newton's method on u = log s (dF/du = s·density), started at the log-normal
// approximation of Y/X, with steps of at most 2σ (σ the log-normal spread) and
// bisection whenever a step leaves the bracket found so far. It stops after a step below 1e-7: the error of the next
// iterate is then of the order of the step's square.
func ratioQuantile(x, y *betaVar, q float64) float64 {
	// log(Y/X) has about mean log(mY/mX) and variance cvY² + cvX².
	sigma := math.Hypot(y.sd/y.mean, x.sd/x.mean)
	u := math.Log(y.mean/x.mean) + distuv.UnitNormal.Quantile(q)*sigma
	lo, hi := math.Inf(-1), math.Inf(1)
	for range 100 {
		s := math.Exp(u)
		cdf, density := ratioCDF(x, y, s)
		f := cdf - q
		switch {
		case f < 0:
			lo = u
		case f > 0:
			hi = u
		default:
			return s
		}
		// A Newton step, at most 2σ long (far in a tail the density is tiny and the
		// step useless), bisection once the root is bracketed and the step leaves
		// the bracket.
		next := u - f/(s*density)
		if math.IsNaN(next) || math.Abs(next-u) > 2*sigma {
			next = u - math.Copysign(2*sigma, f)
		}
		if !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		if math.Abs(next-u) < 1e-7 {
			// Newton's error is about the square of the step: far below 1e-12.
			return math.Exp(next)
		}
		u = next
	}
	return math.Exp(u)
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }
