package visitor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRulesTakesTheFlagsOfAnIngest(t *testing.T) {
	r, err := ParseRules([]string{"all", "browser"}, []string{"buyer|add to cart,checkout|refund", " "})
	require.NoError(t, err)
	require.Len(t, r.Complex, 1, "a blank flag is skipped")
	assert.Equal(t, ComplexGoal{Name: "buyer", Include: []string{"add to cart", "checkout"}, Exclude: []string{"refund"}}, r.Complex[0])
	assert.Len(t, r.Rollups, 2)

	_, err = ParseRules([]string{"all"}, []string{"no include"})
	assert.ErrorContains(t, err, `complex goal "no include"`)
	_, err = ParseRules([]string{"fortnight"}, nil)
	assert.ErrorContains(t, err, "rollups:")
}
