package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/query"
)

func TestTestSetAndShow(t *testing.T) {
	db := clickstreamDB(t)
	show := func() query.ConfigAnswer {
		t.Helper()
		code, out, stderr := cli(t, append([]string{"test", "show", "red checkout form", "--json"}, db...)...)
		require.Equal(t, 0, code, stderr)
		var a query.ConfigAnswer
		require.NoError(t, json.Unmarshal([]byte(out), &a))
		return a
	}
	a := show()
	assert.False(t, a.Configured)
	assert.Equal(t, "False", a.Control)
	assert.Equal(t, `named like a control ("false")`, a.ControlRule)

	code, out, stderr := cli(t, append([]string{"test", "set", "red checkout form",
		"--control", "True", "--primary", "completed checkout", "--secondary", "add to cart, began checkout",
		"--guardrail", "abandoned cart:lower-is-better", "--guardrail", "viewed page",
		"--weights", "False=1,True=1", "--correction", "bh", "--sequential", "--status", "stopped", "--note", "red is bold"}, db...)...)
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `(?m)^control\s+True \(configured\)$`, out)
	assert.Regexp(t, `(?m)^guardrail goals\s+abandoned cart \(lower is better\), viewed page \(higher is better\)$`, out)
	a = show()
	assert.Equal(t, query.ConfigAnswer{
		Test: "red checkout form", Configured: true, Control: "True", ControlRule: "configured",
		Primary: "completed checkout", Secondary: []string{"add to cart", "began checkout"},
		Guardrails: []query.Guardrail{{Goal: "abandoned cart", LowerIsBetter: true}, {Goal: "viewed page"}},
		Weights:    map[string]float64{"False": 1, "True": 1}, Correction: "bh", Sequential: true,
		Status: "stopped", Notes: "red is bold", UpdatedAt: a.UpdatedAt,
	}, a)

	// set changes only what it is given; empty values clear.
	code, _, stderr = cli(t, append([]string{"test", "set", "red checkout form", "--sequential=false", "--weights", "", "--control", ""}, db...)...)
	require.Equal(t, 0, code, stderr)
	a = show()
	assert.False(t, a.Sequential)
	assert.Empty(t, a.Weights)
	assert.Equal(t, "False", a.Control)
	assert.Equal(t, "bh", a.Correction)
	assert.Equal(t, "red is bold", a.Notes)

	// Unknown names fail with exit 1 and say what exists.
	code, _, stderr = cli(t, append([]string{"test", "show", "no such test"}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no test named "no such test" (tests: `)
	code, _, stderr = cli(t, append([]string{"test", "set", "red checkout form", "--primary", "nope"}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no goal named "nope" (goals: `)
	code, _, stderr = cli(t, append([]string{"test", "set", "red checkout form", "--status", "paused"}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "status must be one of running, stopped, shipped")
}

func TestTestBadArguments(t *testing.T) {
	nowhere := []string{"--db", "postgres://127.0.0.1:1/nowhere?connect_timeout=1"}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{}, "which one: set or show?"},
		{[]string{"drop", "x"}, `unknown action "drop"`},
		{[]string{"show"}, "show needs the test's name"},
		{[]string{"set", "--status", "x"}, "set needs the test's name"},
		{[]string{"set", "t"}, "give at least one field"},
		{[]string{"show", "t", "--status", "stopped"}, "show takes no fields"},
		{[]string{"set", "t", "--weights", "a:1"}, "--weights: weight \"a:1\": write POPULATION=SHARE"},
		{[]string{"set", "t", "--weights", "a=x"}, `is not a number`},
		{[]string{"show", "two", "words"}, `unexpected argument "words"`},
	} {
		code, _, stderr := cli(t, append(append([]string{"test"}, tc.args...), nowhere...)...)
		assert.Equal(t, 2, code, "%q: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.msg, "%q", tc.args)
	}
}
