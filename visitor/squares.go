package visitor

import (
	"math"
	mathbits "math/bits"

	"github.com/shopspring/decimal"
)

// growth is how much one conversion's value v grows the square of a running total x:
// (x+v)² − x² = v·(2x + v). It is kept as a coefficient and exponent when that fits in
// an int64 (small.ok), as a decimal otherwise.
type growth struct {
	small smallValue
	big   decimal.Decimal
}

// decimal returns the growth as a decimal.
func (g growth) decimal() decimal.Decimal {
	if g.small.ok {
		return decimal.New(g.small.coef, g.small.exp)
	}
	return g.big
}

// addGrowth adds g to the sum.
func (s *valueSum) addGrowth(g growth) {
	if g.small.ok && s.addSmall(g.small) {
		return
	}
	s.addWide(g.decimal())
}

// addToTotal adds v (whose smallOf is sv) to the running total of (goal, variant, site)
// and returns how much the square of that total grew.
func (h *History) addToTotal(goal, variant int, site int64, v decimal.Decimal, sv smallValue) growth {
	i, isNew := h.totalKeys.add(valueKey{goal: uint32(goal), variant: uint32(variant), site: site})
	if isNew {
		h.totals = append(h.totals, valueSum{})
	}
	x := &h.totals[i]
	g := squareGrowth(x, v, sv)
	x.add(v, sv)
	return g
}

// squareGrowth returns v·(2x + v) exactly, x being the total before v is added.
func squareGrowth(x *valueSum, v decimal.Decimal, sv smallValue) growth {
	if !x.wide() && sv.ok {
		if p, exp, ok := smallGrowth(x.coef, x.exp, sv.coef, sv.exp); ok {
			return growth{small: smallValue{coef: p, exp: exp, ok: true}}
		}
	}
	xd := x.decimal()
	var d decimal.Decimal
	if xd.Sign() == 0 {
		d = v.Mul(v)
	} else {
		d = v.Mul(xd.Add(xd).Add(v))
	}
	return growth{big: d}
}

// smallGrowth computes v·(2x + v) for x = xc·10^xe and v = vc·10^ve in int64 arithmetic,
// at the exponent 2·min(xe, ve) (ve alone when x is zero); ok is false when an
// intermediate does not fit.
func smallGrowth(xc int64, xe int32, vc int64, ve int32) (coef int64, exp int32, ok bool) {
	e, x, v := ve, xc, vc
	if xc != 0 {
		switch {
		case xe > ve:
			if x, ok = scale(xc, xe-ve); !ok {
				return 0, 0, false
			}
		case ve > xe:
			if v, ok = scale(vc, ve-xe); !ok {
				return 0, 0, false
			}
			e = xe
		}
	}
	if e < math.MinInt32/2 || e > math.MaxInt32/2 {
		return 0, 0, false
	}
	t, ok := add64(x, x)
	if ok {
		t, ok = add64(t, v)
	}
	if ok {
		coef, ok = mul64(v, t)
	}
	return coef, 2 * e, ok
}

// add64 returns a + b and whether it fits in an int64.
func add64(a, b int64) (int64, bool) {
	s := a + b
	return s, (a < 0) != (b < 0) || (s < 0) == (a < 0)
}

// mul64 returns a·b and whether it fits in an int64.
func mul64(a, b int64) (int64, bool) {
	if a == math.MinInt64 || b == math.MinInt64 {
		return 0, false
	}
	neg := (a < 0) != (b < 0)
	hi, lo := mathbits.Mul64(uint64(abs64(a)), uint64(abs64(b)))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(lo), true
	}
	return int64(lo), true
}

func abs64(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

// sumOf returns d as a valueSum, as if it had been added to an empty one.
func sumOf(d decimal.Decimal) valueSum {
	var s valueSum
	if d.Sign() != 0 {
		s.add(d, smallOf(d))
	}
	return s
}
