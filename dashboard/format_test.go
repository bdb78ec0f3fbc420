package dashboard

import (
	"math"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

func TestFormatting(t *testing.T) {
	assert.Equal(t, "0", formatCount(0))
	assert.Equal(t, "999", formatCount(999))
	assert.Equal(t, "1,000", formatCount(1000))
	assert.Equal(t, "1,234,567", formatCount(1234567))
	assert.Equal(t, "−12,345", formatCount(-12345))

	assert.Equal(t, "12.35%", formatPercent(0.123456, 2))
	assert.Equal(t, "+25.0%", formatSignedPercent(0.25, 1))
	assert.Equal(t, "−50.0%", formatSignedPercent(-0.5, 1))
	assert.Equal(t, "0.0%", formatSignedPercent(0, 1))
	assert.Equal(t, "0.0%", formatSignedPercent(-0.00001, 1), "no sign on a value that rounds to 0")
	assert.Equal(t, "+12,345.0%", formatSignedPercent(123.45, 1))
	assert.Equal(t, "—", formatFloat(math.NaN(), 2))
	assert.Equal(t, "—", formatFloat(math.Inf(1), 2))

	assert.Equal(t, "< 0.001", formatPValue(0.0004))
	assert.Equal(t, "0.001", formatPValue(0.001))
	assert.Equal(t, "1.000", formatPValue(1))
	assert.Equal(t, "p < 0.001", formatPEquals(1e-9))
	assert.Equal(t, "p = 0.248", formatPEquals(0.24821))

	d := decimal.RequireFromString
	assert.Equal(t, "1,234.50", formatValue(d("1234.5"), "C"))
	assert.Equal(t, "43.20", formatValue(d("43.2"), "C"))
	assert.Equal(t, "3.90", formatValue(d("3.896666666666666666"), "C"))
	assert.Equal(t, "−0.50", formatValue(d("-0.5"), "C"))
	assert.Equal(t, "0.00", formatValue(d("-0.001"), "C"), "no sign on a value that rounds to 0")
	assert.Equal(t, "23.47%", formatValue(d("23.466666"), "P"))
	assert.Equal(t, "3.9", formatValue(d("3.9"), "N"))
	assert.Equal(t, "1,000", formatValue(d("1000.001"), "N"))
	assert.Equal(t, "2.5", formatValue(d("2.5"), ""))

	assert.Equal(t, "sum", valueTypeLabel("S"))
	assert.Equal(t, "average per converting visitor", valueTypeLabel("A"))
	assert.Equal(t, "per visitor", valueTypeLabel("I"))
	assert.Equal(t, "per visitor", valueTypeLabel("R"))
	assert.Equal(t, "", valueTypeLabel(""))

}

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct{ max, step, top float64 }{
		{1, 0.25, 1},
		{0.5, 0.2, 0.6}, // a quarter of 0.5 is 0.125: the next nice step is 0.2
		{0.123, 0.05, 0.15},
		{0.0583, 0.02, 0.06},
		{0, 0.0025, 0.01},
		{1.5, 0.5, 1.5},
		{0.07, 0.02, 0.08},
	} {
		step, bottom, top := niceRange(0, tc.max)
		assert.Zero(t, bottom)
		assert.InDelta(t, tc.step, step, 1e-12, "step for %v", tc.max)
		assert.InDelta(t, tc.top, top, 1e-12, "top for %v", tc.max)
		assert.GreaterOrEqual(t, top, tc.max)
	}
	step, bottom, top := niceRange(-0.13, 0.42) // a lift's interval: 0 in view, bounds on steps
	assert.InDelta(t, 0.2, step, 1e-12)
	assert.InDelta(t, -0.2, bottom, 1e-12)
	assert.InDelta(t, 0.6, top, 1e-12)
	assert.Equal(t, 0, percentDecimals(0.25))
	assert.Equal(t, 2, percentDecimals(0.0025))
	assert.Equal(t, 1, percentDecimals(0.125))
	assert.Equal(t, 0, percentDecimals(0.02))
}

func TestCSVText(t *testing.T) {
	assert.Equal(t, "'=SUM(A1)", csvText("=SUM(A1)"))
	assert.Equal(t, "'+1", csvText("+1"))
	assert.Equal(t, "'-1", csvText("-1"))
	assert.Equal(t, "'@x", csvText("@x"))
	assert.Equal(t, "True", csvText("True"))
	assert.Equal(t, "", csvText(""))
	assert.Equal(t, "red-checkout-form-results.csv", csvFileName("red checkout form"))
	assert.Equal(t, "test-results.csv", csvFileName("/../"))
}
