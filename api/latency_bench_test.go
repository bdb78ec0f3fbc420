package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/query"
)

// latencyClients is the number of concurrent clients of BenchmarkConcurrentQueries.
const latencyClients = 8

// BenchmarkConcurrentQueries measures the latency of API requests from 8 concurrent
// clients over loopback HTTP against PostgreSQL holding the 20k log, with the answer
// cache and without it. The cache trusts its commit mark until PostgreSQL announces a
// commit ("cached", the default), or reads the mark for every request ("markEach") or at
// most every 100ms ("mark100ms"). b.N requests are shared by the clients, each on its own
// connection; it reports the median and the 99th percentile of their latencies.
func BenchmarkConcurrentQueries(b *testing.B) {
	pg := pgtest.NewStore(b)
	fixtures.Ingest(b, pg, fixtures.Generated20k, nil)
	listening := make(chan struct{})
	var once sync.Once
	defer pg.WatchCommits(func(l bool) {
		if l {
			once.Do(func() { close(listening) })
		}
	})()
	<-listening // so that "cached" measures a listening store
	for _, path := range []string{
		"/api/v1/count?goal=viewed+page",
		"/api/v1/results?test=homepage+hero",
		"/api/v1/analysis?test=homepage+hero",
		"/api/v1/analysis?test=homepage+hero&breakdown=browser",
	} {
		for _, mode := range []struct {
			name string
			opts api.Options
		}{
			{"uncached", api.Options{NoCache: true}},
			{"markEach", api.Options{Cache: query.CacheOptions{NoWatch: true}}},
			{"mark100ms", api.Options{Cache: query.CacheOptions{NoWatch: true, MaxAge: 100 * time.Millisecond}}},
			{"cached", api.Options{}},
		} {
			b.Run(mode.name+" "+path[len("/api/v1/"):], func(b *testing.B) {
				srv := httptest.NewServer(api.New(pg, mode.opts))
				defer srv.Close()
				lat := concurrentLoad(b, srv.URL+path, b.N)
				b.ReportMetric(float64(percentile(lat, 0.50).Microseconds()), "p50-µs")
				b.ReportMetric(float64(percentile(lat, 0.99).Microseconds()), "p99-µs")
			})
		}
	}
}

// concurrentLoad sends n GET requests of url from latencyClients clients at once and
// returns every request's latency.
func concurrentLoad(b *testing.B, url string, n int) []time.Duration {
	tr := &http.Transport{MaxIdleConnsPerHost: latencyClients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	get := func() error {
		resp, err := hc.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			b.Errorf("GET %s: %s", url, resp.Status)
		}
		return err
	}
	for range latencyClients { // warm the connections and the cache
		if err := get(); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([][]time.Duration, latencyClients)
	var wg sync.WaitGroup
	b.ResetTimer()
	for c := range latencyClients {
		wg.Go(func() {
			for i := c; i < n; i += latencyClients {
				start := time.Now()
				if err := get(); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(start))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	return slices.Concat(lat...)
}

// percentile returns the p-quantile of d (nearest rank).
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(p*float64(len(d))+0.5) - 1
	return d[max(0, min(i, len(d)-1))]
}
