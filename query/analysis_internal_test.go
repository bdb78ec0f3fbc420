package query

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/persistence"
)

// TestSquaresOfASegmentWithoutSquaresAreUnknown: when a counter summed into a segment has
// no squares, the segment's squares are not known (zero for the analysis), never the
// partial sum of the counters that have them.
func TestSquaresOfASegmentWithoutSquaresAreUnknown(t *testing.T) {
	d := decimal.RequireFromString
	tc := persistence.TestCounts{
		Known: true, Populations: []string{"A", "B"},
		Impressions: []persistence.ImpressionCount{{Population: "A", Bucket: "1", Count: 10}, {Population: "B", Bucket: "1", Count: 10}},
		Conversions: []persistence.VariantCount{
			{Goal: "revenue", Population: "A", Bucket: "1", Count: 2, Sum: d("5"), Squares: d("13"), SquaresKnown: true},
			{Goal: "revenue", Population: "A", Bucket: "2", Count: 1, Sum: d("4")}, // written before squares were kept
			{Goal: "revenue", Population: "B", Bucket: "1", Count: 3, Sum: d("6"), Squares: d("14"), SquaresKnown: true},
		},
	}
	in := analysisInput(tc, ConfigAnswer{Control: "A"}, []AnalysisGoal{{Name: "revenue", ValueType: "S"}}, "")
	require.Len(t, in.Goals, 1)
	a, b := in.Goals[0].Counts[0], in.Goals[0].Counts[1]
	assert.Equal(t, int64(3), a.Conversions)
	assert.True(t, a.Sum.Equal(d("9")))
	assert.True(t, a.SumSquares.IsZero(), "A's squares are unknown: %s", a.SumSquares)
	assert.True(t, b.SumSquares.Equal(d("14")), "B's squares are all known")

	in = analysisInput(tc, ConfigAnswer{Control: "A"}, []AnalysisGoal{{Name: "revenue", ValueType: "S"}}, "1")
	assert.True(t, in.Goals[0].Counts[0].SumSquares.Equal(d("13")), "within bucket 1 every counter has squares")
}
