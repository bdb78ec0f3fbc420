package dashboard

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func TestDefaultChartSkipsPageViews(t *testing.T) {
	test := persistence.TestInfo{Name: "t", Populations: []string{"a", "b"}}
	known := []persistence.GoalInfo{{Name: messages.ViewedPage}, {Name: "add to cart"}, {Name: "checkout"}}
	v, err := parseView(url.Values{}, test, known, nil)
	require.NoError(t, err)
	require.NotNil(t, v.Chart)
	assert.Equal(t, "add to cart", v.Chart.Name)

	v, err = parseView(url.Values{"chart": {messages.ViewedPage}}, test, known, nil)
	require.NoError(t, err)
	assert.Equal(t, messages.ViewedPage, v.Chart.Name, "an explicit choice stands")

	v, err = parseView(url.Values{}, test, known[:1], nil)
	require.NoError(t, err)
	assert.Equal(t, messages.ViewedPage, v.Chart.Name, "the only goal")
}
