package visitor

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// TestValueSumIsAddValue checks that valueSum builds exactly the decimal (coefficient
// and exponent) that repeated addValue builds, across exponents, signs, sums that come
// back to zero and coefficients too large for an int64.
func TestValueSumIsAddValue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := []string{"1", "-1", "2.5", "-2.50", "0.001", "1e3", "-1e3", "12345678901234567", "-98765432109876543.21",
		"123456789012345678901234567890", "0.1", "-0.1", "7E-5", "9223372036854775807", "-9223372036854775808", "99.99"}
	// Sums that outgrow an int64 by addition alone, upwards and downwards.
	large := []string{"999999999999999999", "999999999999999.999", "500000000000000000"}
	negative := []string{"-999999999999999999", "-999999999999999.999", "-500000000000000000"}
	for round := 0; round < 3000; round++ {
		pick := [][]string{values, large, negative}[round%3]
		var want decimal.Decimal
		var got valueSum
		for range 1 + r.IntN(24) {
			v := decimal.RequireFromString(pick[r.IntN(len(pick))])
			want = addValue(want, v)
			got.add(v, smallOf(v))
			g := got.decimal()
			if want.Sign() == 0 {
				require.Zero(t, g.Sign(), "round %d", round)
				continue
			}
			require.Equal(t, want.Exponent(), g.Exponent(), "round %d: %s vs %s", round, want, g)
			require.Equal(t, want.Coefficient().String(), g.Coefficient().String(), "round %d: %s vs %s", round, want, g)
		}
	}
}
