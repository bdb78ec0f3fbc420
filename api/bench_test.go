package api_test

import (
	"net/http"
	"testing"

	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/query"
)

// BenchmarkAnalysisRequest measures one /api/v1/analysis request of a test of the 20k
// log (3 populations, every goal: 9 goals, 18 comparisons) end to end over HTTP: the
// batched read of PostgreSQL and the statistics; "memory" reads the in-memory store
// instead, which leaves the statistics and the HTTP round trip.
func BenchmarkAnalysisRequest(b *testing.B) {
	pg := pgtest.NewStore(b)
	fixtures.Ingest(b, pg, fixtures.Generated20k, nil)
	mem := memoryStore(b, fixtures.Generated20k)
	for _, tc := range []struct {
		name  string
		store query.Store
	}{{"postgres", pg}, {"memory", mem}} {
		for _, path := range []string{
			"/api/v1/analysis?test=homepage+hero",
			"/api/v1/results?test=homepage+hero",
			"/api/v1/analysis?test=homepage+hero&breakdown=browser",
		} {
			b.Run(tc.name+" "+path[len("/api/v1/"):], func(b *testing.B) {
				c := newClient(b, api.New(tc.store, api.Options{}))
				for b.Loop() {
					if status, _, body := c.do(http.MethodGet, path, nil); status != http.StatusOK {
						b.Fatalf("%d %s", status, body)
					}
				}
			})
		}
	}
}
