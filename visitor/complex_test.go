package visitor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseComplex(t *testing.T) {
	g, err := ParseComplex("abandoned cart|add to cart|began checkout")
	require.NoError(t, err)
	assert.Equal(t, ComplexGoal{Name: "abandoned cart", Include: []string{"add to cart"}, Exclude: []string{"began checkout"}}, g)

	g, err = ParseComplex("abandoned after payment failure|began checkout, payment failed |completed checkout")
	require.NoError(t, err)
	assert.Equal(t, []string{"began checkout", "payment failed"}, g.Include)
	assert.Equal(t, []string{"completed checkout"}, g.Exclude)

	g, err = ParseComplex("engaged|viewed page,newsletter signup|")
	require.NoError(t, err)
	assert.Equal(t, []string{"viewed page", "newsletter signup"}, g.Include)
	assert.Empty(t, g.Exclude)

	g, err = ParseComplex("engaged|newsletter signup")
	require.NoError(t, err)
	assert.Empty(t, g.Exclude)
	assert.Equal(t, "engaged|newsletter signup|", g.String())

	for _, bad := range []string{"", "name only", "|a|b", "x||b", "x| , |b", "a|b|c|d"} {
		_, err := ParseComplex(bad)
		assert.Error(t, err, bad)
	}
}

func TestComplexStringRoundTrip(t *testing.T) {
	in := "abandoned after validation failure|began checkout,checkout validation failed|completed checkout"
	g, err := ParseComplex(in)
	require.NoError(t, err)
	assert.Equal(t, in, g.String())
}
