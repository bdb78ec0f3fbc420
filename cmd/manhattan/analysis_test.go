package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/query"
)

func TestQueryAnalysis(t *testing.T) {
	db := clickstreamDB(t)
	args := []string{"query", "analysis", "--test", "red checkout form", "--goals", "checkout validation failed,completed checkout"}
	code, out, stderr := cli(t, append(append(args, "--json"), db...)...)
	require.Equal(t, 0, code, stderr)
	var a query.AnalysisAnswer
	require.NoError(t, json.Unmarshal([]byte(out), &a))
	require.Len(t, a.Segments, 1)
	res := a.Segments[0].Analysis
	require.NotNil(t, res, a.Segments[0].Error)
	assert.Equal(t, "False", res.Control)
	require.Len(t, res.Goals, 2)

	// The table has a row per goal and population, with the JSON's figures.
	code, out, stderr = cli(t, append(args, db...)...)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 3+2*2, out)
	assert.Contains(t, lines[0], `control False (named like a control ("false"))`)
	assert.Equal(t, "all time", lines[1])
	assert.Equal(t, []string{"GOAL", "ROLE", "POPULATION", "EXPOSED", "CONVERTED", "MEAN", "DIFF (95% CI)", "LIFT (95% CI)", "P",
		"ADJUSTED P", "CHANCE TO WIN", "RISK", "VERDICT"}, columns(lines[2]))
	for i, g := range res.Goals {
		for j, p := range g.Populations {
			cells := columns(lines[3+2*i+j])
			assert.Equal(t, []string{g.Goal, "other", p.Population}, cells[:3])
			assert.Equal(t, num(p.Mean), cells[5])
		}
	}

	// A breakdown has one segment per bucket; the unknown is named with what exists.
	code, out, stderr = cli(t, append([]string{"query", "analysis", "--test", "red checkout form", "--breakdown", "browser", "--json"}, db...)...)
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &a))
	assert.True(t, a.Breakdown)
	assert.Greater(t, len(a.Segments), 1)
	code, _, stderr = cli(t, append([]string{"query", "analysis", "--test", "red checkout form", "--breakdown", "colour"}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `test "red checkout form" has no counts in rollup "colour"`)
	code, _, stderr = cli(t, append([]string{"query", "analysis", "--test", "red checkout form", "--goals", "compelted checkout"}, db...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no goal named "compelted checkout" (goals: "abandoned after payment failure", `)
	code, _, stderr = cli(t, append([]string{"query", "count", "--goal", "viewed page", "--rollup", "pst_day", "--bucket", "1"}, db...)...)
	assert.Equal(t, 1, code)
	assert.Regexp(t, `rollup "pst_day" has no bucket "1" \(buckets: -?\d+`, stderr)
}
