package dashboard_test

import (
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envLoad runs TestPageLatency: "1" runs it (it measures, so it is not part of the
// default test run).
const envLoad = "MANHATTAN_DASHBOARD_LOAD"

// TestPageLatency measures the test page of the demo's data under 8 concurrent
// clients on loopback: 8 × 100 requests after a warm-up, and logs the percentiles.
func TestPageLatency(t *testing.T) {
	if os.Getenv(envLoad) != "1" {
		t.Skipf("set %s=1 to measure the page latency", envLoad)
	}
	srv, _ := demoServer(t, 200_000)
	url := srv.URL + testPath("red checkout form", "")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Second}
	fetch := func() time.Duration {
		t0 := time.Now()
		resp, err := client.Get(url)
		if err != nil {
			t.Error(err)
			return 0
		}
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		return time.Since(t0)
	}
	for range 10 {
		fetch()
	}
	const clients, each = 8, 100
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				d := fetch()
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	require.Len(t, lat, clients*each)
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	t.Logf("%d requests, %d clients, %.0f req/s: p50 %v, p90 %v, p99 %v, max %v",
		len(lat), clients, float64(len(lat))/elapsed.Seconds(), q(0.5), q(0.9), q(0.99), lat[len(lat)-1])
}
