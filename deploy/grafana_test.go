package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/metrics"
	"github.com/manhattan-analytics/manhattan/ship"
)

// dashboardExprs returns the PromQL expressions of every panel of the Grafana dashboard.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("grafana", "manhattan.json"))
	require.NoError(t, err)
	var d struct {
		Title  string
		Panels []struct {
			Title   string
			Type    string
			Targets []struct{ Expr string }
		}
	}
	require.NoError(t, json.Unmarshal(b, &d), "the dashboard is valid JSON")
	assert.Equal(t, "Manhattan", d.Title)
	var exprs []string
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		require.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	return exprs
}

// exported returns every metric family Manhattan exports: the server's (metrics.New) and
// the shipper's (ship.RegisterMetrics).
func exported(t *testing.T) []string {
	t.Helper()
	names := metrics.New().Names()
	reg := prometheus.NewRegistry()
	require.NoError(t, ship.RegisterMetrics(reg, &ship.Stats{}))
	fams, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		names = append(names, f.GetName())
	}
	return names
}

var metricRE = regexp.MustCompile(`\b(manhattan|process|go)_[a-z0-9_]+`)

// TestDashboardReferencesOnlyExportedMetrics keeps the Grafana dashboard in step with the
// code: every metric a panel queries is one that Manhattan exports.
func TestDashboardReferencesOnlyExportedMetrics(t *testing.T) {
	have := exported(t)
	seen := map[string]bool{}
	for _, e := range dashboardExprs(t) {
		for _, name := range metricRE.FindAllString(e, -1) {
			family := name
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				if f, ok := strings.CutSuffix(name, suffix); ok && slices.Contains(have, f) {
					family = f
				}
			}
			seen[family] = true
			assert.Contains(t, have, family, "the dashboard queries %s (in %q), which nothing exports", name, e)
		}
	}
	for _, must := range []string{"manhattan_ingest_partition_lag_bytes", "manhattan_ingest_caught_up",
		"manhattan_ingest_commit_duration_seconds", "manhattan_ingest_dead_letters_total", "manhattan_ingest_restarts_total",
		"manhattan_query_duration_seconds", "manhattan_ship_lag_bytes"} {
		assert.True(t, seen[must], "the dashboard shows %s", must)
	}
}
