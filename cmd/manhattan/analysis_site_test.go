package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/query"
)

// TestQueryAnalysisBySite checks --breakdown site: a segment per site, titled by it,
// each the analysis of --site N.
func TestQueryAnalysisBySite(t *testing.T) {
	db := clickstreamDB(t)
	args := []string{"query", "analysis", "--test", "red checkout form", "--goals", "completed checkout"}
	code, out, stderr := cli(t, append(append(args, "--breakdown", "site", "--json"), db...)...)
	require.Equal(t, 0, code, stderr)
	var a query.AnalysisAnswer
	require.NoError(t, json.Unmarshal([]byte(out), &a))
	assert.True(t, a.BySite)
	require.NotEmpty(t, a.Segments)
	for _, seg := range a.Segments {
		code, out, stderr := cli(t, append(append(args, "--site", seg.Bucket, "--json"), db...)...)
		require.Equal(t, 0, code, stderr)
		var one query.AnalysisAnswer
		require.NoError(t, json.Unmarshal([]byte(out), &one))
		require.Len(t, one.Segments, 1)
		assert.Equal(t, one.Segments[0].Analysis, seg.Analysis, "site %s", seg.Bucket)
	}

	code, out, stderr = cli(t, append(append(args, "--breakdown", "site"), db...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, strings.Split(out, "\n"), "site = "+a.Segments[0].Bucket, out)
}
