package dashboard

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/messages"
)

func TestMeanFormats(t *testing.T) {
	h := &handler{opts: Options{Currency: "$"}}
	money := h.meanFormatOf(analysis.MeanPerExposed, messages.FormatCurrency)
	assert.Equal(t, "$57.27", money.mean(57.2687))
	assert.Equal(t, "$1,234.50", money.mean(1234.5))
	assert.Equal(t, "−$0.50", money.mean(-0.5), "the minus sign before the symbol")
	assert.Equal(t, "$0.00", money.mean(-0.001))
	assert.Equal(t, "$20", money.tick(20, 20), "ticks take the decimals of their step")
	assert.Equal(t, "$2.5", money.tick(2.5, 2.5))
	assert.Equal(t, "$0.25", money.tick(0.25, 0.05))
	assert.Equal(t, "Value per visitor ($)", money.axisLabel("Value per visitor"))

	euro := (&handler{opts: Options{Currency: "€"}}).meanFormatOf(analysis.MeanPerConverter, messages.FormatCurrency)
	assert.Equal(t, "€3.90", euro.mean(3.896))

	rate := h.meanFormatOf(analysis.ConversionRate, messages.FormatCurrency)
	assert.Equal(t, "31.72%", rate.mean(0.31718), "a conversion rate is a rate whatever the goal's value format")
	assert.Equal(t, "20%", rate.tick(0.2, 0.1))
	assert.Equal(t, "Conversion rate", rate.axisLabel("Conversion rate"))

	plain := h.meanFormatOf(analysis.MeanPerConverter, messages.FormatNumeric)
	assert.Equal(t, "3.9", plain.mean(3.9))
	assert.Equal(t, "1,000", plain.tick(1000, 500))
	pct := h.meanFormatOf(analysis.MeanPerPageVisitor, messages.FormatPercentage)
	assert.Equal(t, "23.47%", pct.mean(23.466666), "a percentage value is already in percent")
	assert.Equal(t, "25%", pct.tick(25, 5))

	assert.Equal(t, "+25%", liftFormat{}.tick(0.25, 0.25))
	assert.Equal(t, "+54.74%", liftFormat{}.mean(0.54741))
}
