package tracker

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// benchPage is a typical HTML page of about 8 KB.
var benchPage = "<!DOCTYPE html>\n<html><head><title>Cheese shop</title></head>\n<body>\n" +
	strings.Repeat("<div class=\"product\"><h2>Stilton</h2><p>A blue cheese from England, crumbly and strong.</p></div>\n", 80) +
	"</body>\n</html>\n"

// discardWriter is a ResponseWriter that drops the body, so that the benchmark measures
// the handler and the middleware, not a recorder.
type discardWriter struct {
	h http.Header
	n int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func (d *discardWriter) WriteString(s string) (int, error) { d.n += len(s); return len(s), nil }

// benchHandler is a shop page that runs a split test and converts a goal.
var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	v := FromContext(r.Context())
	colour := v.Split("checkout button", "green", "orange")
	v.Goal("viewed product", WithValue(decimal.NewFromInt(12), Sum, Currency))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, benchPage)
	_ = colour
})

// benchRequest is a browser's GET of a product page with a valid visitor cookie.
func benchRequest(b *testing.B, tr *Tracker) *http.Request {
	r, err := http.NewRequest("GET", "http://shop.example/cheese/stilton?ref=home", nil)
	require.NoError(b, err)
	r.RemoteAddr = "203.0.113.9:51234"
	r.Header.Set("User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36")
	r.Header.Set("Referer", "http://shop.example/")
	r.Header.Set("Accept", "text/html,application/xhtml+xml")
	if tr != nil {
		r.AddCookie(&http.Cookie{Name: DefaultCookieName, Value: tr.sign("00112233445566778899aabbccddeeff")})
	}
	return r
}

func benchTracker(b *testing.B) *Tracker {
	tr, err := New(Options{
		Secret:   testSecret,
		LogBase:  filepath.Join(b.TempDir(), "manhattan.log"),
		Sites:    map[string]int64{"shop.example": 1},
		ErrorLog: func(err error) { b.Error(err) },
	})
	require.NoError(b, err)
	b.Cleanup(func() { _ = tr.Close() })
	return tr
}

// BenchmarkMiddleware is the whole in-band cost of a tracked request: cookie check, page
// record, split, goal, pixel injection into an 8 KB page, and one append of three lines
// to the hourly log in a temporary folder (a real file, flock and write).
func BenchmarkMiddleware(b *testing.B) {
	tr := benchTracker(b)
	h := tr.Middleware(benchHandler)
	r := benchRequest(b, tr)
	b.SetBytes(int64(len(benchPage)))
	serveLoop(b, h, r)
}

// BenchmarkMiddlewareNoLog is BenchmarkMiddleware with a Writer that drops the lines:
// the middleware's own cost, without the log's system calls.
func BenchmarkMiddlewareNoLog(b *testing.B) {
	tr, err := New(Options{Secret: testSecret, Writer: discardLog{}, Sites: map[string]int64{"shop.example": 1}})
	require.NoError(b, err)
	h := tr.Middleware(benchHandler)
	r := benchRequest(b, tr)
	serveLoop(b, h, r)
}

type discardLog struct{}

func (discardLog) Append(time.Time, []byte) error { return nil }

// BenchmarkMiddlewareParallel is BenchmarkMiddleware from GOMAXPROCS goroutines sharing
// one Tracker and one log.
func BenchmarkMiddlewareParallel(b *testing.B) {
	tr := benchTracker(b)
	h := tr.Middleware(benchHandler)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.RunParallel(func(pb *testing.PB) {
		r := benchRequest(b, tr)
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, r)
		}
	})
	reportCPU(b, cpu0)
}

// BenchmarkMiddlewareNewVisitor is a first visit: no cookie, so a new id and a signed
// cookie are made.
func BenchmarkMiddlewareNewVisitor(b *testing.B) {
	tr := benchTracker(b)
	h := tr.Middleware(benchHandler)
	r := benchRequest(b, nil)
	serveLoop(b, h, r)
}

// BenchmarkBareHandler is the same handler without the middleware (its visitor is the
// no-op one): the baseline that BenchmarkMiddleware adds to.
func BenchmarkBareHandler(b *testing.B) {
	r := benchRequest(b, nil)
	serveLoop(b, benchHandler, r)
}

// serveLoop is the body of a benchmark of h: it serves r once per iteration to a writer
// that discards the response, and reports allocations and CPU time per request.
func serveLoop(b *testing.B, h http.Handler, r *http.Request) {
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
	reportCPU(b, cpu0)
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time (user + system, garbage collection included) per
// operation since cpu0, which a busy machine disturbs less than the wall clock.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}
