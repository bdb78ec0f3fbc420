package query_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/query/querytest"
)

func TestDefaultControl(t *testing.T) {
	for _, tc := range []struct {
		pops         []string
		control, why string
	}{
		{[]string{"B", "Control"}, "Control", `named like a control ("control")`},
		{[]string{"True", "False"}, "False", `named like a control ("false")`},
		{[]string{"b", "A", "off"}, "A", `named like a control ("a")`},
		{[]string{"on", "OFF"}, "OFF", `named like a control ("off")`},
		{[]string{"red", "blue", "green"}, "blue", "first population by name (none is named control, false, a or off)"},
	} {
		d := messages.NewDeltas()
		pops := map[string]struct{}{}
		for _, p := range tc.pops {
			pops[p] = struct{}{}
		}
		d.SeeTest("t", messages.TestMeta{First: 1, Last: 2, Populations: pops})
		a, err := query.New(querytest.New(d)).TestConfig(t.Context(), "t")
		require.NoError(t, err)
		assert.Equal(t, tc.control, a.Control, "%q", tc.pops)
		assert.Equal(t, tc.why, a.ControlRule, "%q", tc.pops)
	}
}

func TestParseGuardrailAndWeights(t *testing.T) {
	assert.Equal(t, query.Guardrail{Goal: "refund", LowerIsBetter: true}, query.ParseGuardrail("refund:lower-is-better"))
	assert.Equal(t, query.Guardrail{Goal: "a:b"}, query.ParseGuardrail("a:b:higher-is-better"))
	assert.Equal(t, query.Guardrail{Goal: "ratio 1:2"}, query.ParseGuardrail("ratio 1:2"))
	w, err := query.ParseWeights(" a = 1, b=2.5 ,")
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"a": 1, "b": 2.5}, w)
	w, err = query.ParseWeights("")
	require.NoError(t, err)
	assert.Empty(t, w)
	_, err = query.ParseWeights("a")
	assert.ErrorIs(t, err, query.ErrInvalid)
}
