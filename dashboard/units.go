package dashboard

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/messages"
)

// defaultCurrency is the symbol shown before currency values (value format C) when
// Options.Currency is empty.
const defaultCurrency = "$"

// meanFormat shows the means of one goal, in the table, the tooltips and on the chart's
// axis: a conversion rate as a percentage, a value mean by the goal's value format
// (currency with its symbol and two decimals, a percentage, or a plain number).
type meanFormat struct {
	rate     bool   // the mean is a conversion rate
	value    string // the goal's value format (messages.Format…), for value means
	currency string // the symbol of currency values
}

// meanFormatOf is the format of the means of metric for a goal of value format.
func (h *handler) meanFormatOf(m analysis.Metric, valueFormat string) meanFormat {
	return meanFormat{rate: m == analysis.ConversionRate, value: valueFormat, currency: h.opts.Currency}
}

// mean shows a mean as the table does: a rate with two decimals of a percent, a value
// by formatValue's rules with the currency symbol for currency values.
func (f meanFormat) mean(v float64) string {
	if f.rate {
		return formatPercent(v, 2)
	}
	return f.unit(formatValue(decimal.NewFromFloat(v), f.value))
}

// tick shows a tick of an axis whose ticks are step apart, with the decimals the step
// needs.
func (f meanFormat) tick(v, step float64) string {
	if f.rate {
		return formatPercent(v, percentDecimals(step))
	}
	s := formatFloat(v, percentDecimals(step/100))
	if f.value == messages.FormatPercentage {
		return s + "%"
	}
	return f.unit(s)
}

// unit puts the currency symbol before a formatted currency value, after its minus
// sign: −$1.50.
func (f meanFormat) unit(s string) string {
	if f.rate || f.value != messages.FormatCurrency {
		return s
	}
	if rest, ok := strings.CutPrefix(s, minus); ok {
		return minus + f.currency + rest
	}
	return f.currency + s
}

// axisLabel names the unit of a value mean's axis: "value per visitor ($)".
func (f meanFormat) axisLabel(what string) string {
	if !f.rate && f.value == messages.FormatCurrency {
		return what + " (" + f.currency + ")"
	}
	return what
}
