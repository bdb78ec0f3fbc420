package tracker

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/messages"
)

// TestConcurrentRequests sends many requests at once through two Trackers (as two
// processes would: each with its own log writer) writing to the same real hourly log:
// every record arrives, each request's records stay together, and every line parses.
func TestConcurrentRequests(t *testing.T) {
	const goroutines, requests = 8, 150
	base := filepath.Join(t.TempDir(), "manhattan.log")
	errs := &errorSink{}
	trackers := make([]*Tracker, 2)
	for i := range trackers {
		tr, err := New(Options{Secret: testSecret, LogBase: base, ErrorLog: errs.log})
		require.NoError(t, err)
		trackers[i] = tr
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := FromContext(r.Context())
		// Visitors may be used from goroutines of the handler as well.
		var wg sync.WaitGroup
		wg.Go(func() { v.Split("colour", "red", "green") })
		wg.Go(func() { v.Goal("seen", WithValue(decimal.NewFromInt(1), Sum, Numeric)) })
		wg.Wait()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>", r.URL.Path, "</body></html>")
	})

	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			tr := trackers[g%len(trackers)]
			h := tr.Middleware(app)
			var cookie *http.Cookie
			for i := range requests {
				r := httptest.NewRequest("GET", fmt.Sprintf("http://shop.example/g%d/r%d", g, i), nil)
				if cookie != nil && i%2 == 0 {
					r.AddCookie(cookie)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if c := visitorCookie(rec); c != nil {
					cookie = c
				}
				if !assert.Contains(t, rec.Body.String(), tr.PixelTag()+"</body>") {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, tr := range trackers {
		require.NoError(t, tr.Close())
	}
	require.Empty(t, errs.all())

	recs := readLog(t, base)
	require.Len(t, recs, goroutines*requests*3)
	seen := map[string]bool{}
	for i := 0; i < len(recs); i += 3 {
		page := recs[i]
		require.Equal(t, messages.KindPage, page.Kind, "record %d", i)
		require.False(t, seen[page.URL], "page %s twice", page.URL)
		seen[page.URL] = true
		rest := []messages.Kind{recs[i+1].Kind, recs[i+2].Kind}
		assert.ElementsMatch(t, []messages.Kind{messages.KindSplit, messages.KindGoal}, rest)
		for _, r := range recs[i+1 : i+3] {
			require.Equal(t, page.VID, r.VID, "a request's records stay together")
			if r.Kind == messages.KindSplit {
				require.Equal(t, Assign(page.VID, "colour", "red", "green"), r.Population)
			}
		}
	}
}
