package messages

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCounterAddKeepsSquaresWhereEitherHas(t *testing.T) {
	sq := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(decimal.RequireFromString(s)) }
	a := Counter{Count: 1, Value: decimal.RequireFromString("2.5"), Squares: sq("6.25")}
	b := Counter{Count: 2, Value: decimal.RequireFromString("-1"), Squares: sq("-3.25")}
	sum := a.Add(b)
	assert.Equal(t, int64(3), sum.Count)
	assert.Equal(t, "1.5", sum.Value.String())
	assert.True(t, sum.Squares.Valid)
	assert.Equal(t, "3", sum.Squares.Decimal.String())

	// The zero Counter keeps no squares and adds nothing: a counter of a rollup that keeps
	// none stays without them, one that keeps them keeps them.
	assert.False(t, Counter{}.Add(Counter{Count: 1}).Squares.Valid)
	assert.Equal(t, a, Counter{}.Add(a).Add(Counter{}))
	assert.True(t, Counter{Squares: sq("0")}.IsZero())
	assert.False(t, Counter{Squares: sq("1")}.IsZero())
}

// TestMergeIsCommutative merges random deltas with value squares in every order and
// grouping: the results are equal by value.
func TestMergeIsCommutative(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	parts := make([]*Deltas, 6)
	for i := range parts {
		d := NewDeltas()
		for range 40 {
			k := ConversionKey{Goal: fmt.Sprintf("g%d", rng.IntN(4)), Rollup: []string{"all", "pst_day"}[rng.IntN(2)], Bucket: "0", Site: 1}
			c := Counter{Count: rng.Int64N(3), Value: decimal.New(rng.Int64N(2001)-1000, -2)}
			if k.Rollup == "all" {
				c.Squares = decimal.NewNullDecimal(decimal.New(rng.Int64N(100000), -4))
			}
			d.AddConversion(k, c)
			vk := VariantConversionKey{Goal: k.Goal, Test: "t", Population: "A", Rollup: k.Rollup, Bucket: k.Bucket, Site: k.Site}
			d.AddVariantConversion(vk, c)
		}
		parts[i] = d
	}
	render := func(d *Deltas) string {
		var lines []string
		for k, c := range d.Conversions {
			lines = append(lines, fmt.Sprintf("%v %d %s %v %s", k, c.Count, c.Value, c.Squares.Valid, c.Squares.Decimal))
		}
		for k, c := range d.VariantConversions {
			lines = append(lines, fmt.Sprintf("%v %d %s %v %s", k, c.Count, c.Value, c.Squares.Valid, c.Squares.Decimal))
		}
		slices.Sort(lines)
		return fmt.Sprint(lines)
	}
	forward := NewDeltas()
	for _, p := range parts {
		forward.Merge(p)
	}
	want := render(forward)
	for range 10 {
		order := rng.Perm(len(parts))
		left, right := NewDeltas(), NewDeltas()
		for i, j := range order {
			if i%2 == 0 {
				left.Merge(parts[j])
			} else {
				right.Merge(parts[j])
			}
		}
		right.Merge(left)
		require.Equal(t, want, render(right))
	}
}
