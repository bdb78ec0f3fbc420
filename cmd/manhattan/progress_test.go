package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manhattan-analytics/manhattan/logsource"
)

func TestProgressLineShowsTheLagOfEachPartition(t *testing.T) {
	files := func(n int64) []logsource.Lag { return []logsource.Lag{{Behind: n, Unit: logsource.UnitBytes}} }
	msgs := func(behind ...int64) []logsource.Lag {
		var out []logsource.Lag
		for p, b := range behind {
			out = append(out, logsource.Lag{Partition: p, Behind: b, Unit: logsource.UnitMessages})
		}
		return out
	}
	for _, c := range []struct {
		lags []logsource.Lag
		want string
	}{
		{nil, "0.0 MB behind"},
		{files(2_500_000), "2.5 MB behind"},
		{msgs(0, 0, 0), "0 messages behind in 3 partitions"},
		{msgs(0, 7, 0), "7 messages behind in 1 of 3 partitions (p1 7)"},
		{msgs(5, 800, 0, 300, 5, 100), "1210 messages behind in 5 of 6 partitions (p1 800, p3 300, p5 100, …)"},
		{msgs(5, 0, 5), "10 messages behind in 2 of 3 partitions (p0 5, p2 5)"},
	} {
		assert.Equal(t, c.want, formatLag(c.lags))
	}
}
