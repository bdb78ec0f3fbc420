package dashboard

import (
	"math"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/messages"
)

// minus is the typographic minus sign used in displayed numbers.
const minus = "\u2212"

// formatCount shows an integer with thousands separators.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return minus + group(s[1:])
	}
	return group(s)
}

// group inserts thousands separators into a string of digits.
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// formatPercent shows a fraction as a percentage with the given decimals.
func formatPercent(f float64, decimals int) string {
	return formatFloat(f*100, decimals) + "%"
}

// formatSignedPercent shows a fraction as a percentage with an explicit sign.
func formatSignedPercent(f float64, decimals int) string {
	s := formatPercent(f, decimals)
	if !strings.HasPrefix(s, minus) && strings.Trim(s, "0.%") != "" {
		s = "+" + s
	}
	return s
}

// formatFloat rounds f to the given decimals, with thousands separators and a
// typographic minus sign. Non-finite values show as "—".
func formatFloat(f float64, decimals int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return groupNumber(strconv.FormatFloat(f, 'f', decimals, 64), false)
}

// groupNumber writes a plain decimal number ("-1234.50") with thousands separators and a
// typographic minus (none for a number that shows as zero); with trim, trailing zeros of
// the fraction are dropped.
func groupNumber(s string, trim bool) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	if trim {
		frac = strings.TrimRight(frac, "0")
	}
	s = group(intPart)
	if frac != "" {
		s += "." + frac
	}
	if neg && strings.Trim(s, "0.,") != "" {
		s = minus + s
	}
	return s
}

// formatPValue shows a p-value with three decimals, or as "< 0.001".
func formatPValue(p float64) string {
	if p < 0.001 {
		return "< 0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}

// formatPEquals shows a p-value as a statement: "p = 0.124" or "p < 0.001".
func formatPEquals(p float64) string {
	s := formatPValue(p)
	if strings.HasPrefix(s, "<") {
		return "p " + s
	}
	return "p = " + s
}

// formatDecimal shows an exact decimal rounded to places, with thousands separators.
// With trim, trailing zeros of the fraction are dropped.
func formatDecimal(d decimal.Decimal, places int32, trim bool) string {
	return groupNumber(d.StringFixed(places), trim)
}

// formatValue shows a goal value by the goal's value format: currency with two
// decimals, a percentage (the value is already in percent), or a number with up to
// two decimals.
func formatValue(d decimal.Decimal, format string) string {
	switch format {
	case messages.FormatCurrency:
		return formatDecimal(d, 2, false)
	case messages.FormatPercentage:
		return formatDecimal(d, 2, false) + "%"
	default:
		return formatDecimal(d, 2, true)
	}
}

// valueTypeLabel says what a goal's value is, by its value type; "" for a goal
// without values.
func valueTypeLabel(valueType string) string {
	switch valueType {
	case messages.ValueNone:
		return ""
	case messages.ValueSum:
		return "sum"
	case messages.ValueAverage:
		return "average per converting visitor"
	default: // I, R and any other type are divided by page-viewing visitors
		return "per visitor"
	}
}
