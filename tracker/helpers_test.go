package tracker

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
)

var testSecret = []byte("0123456789abcdef-test-secret")

// testNow is the fixed clock of most tests: 2024-05-06 07:08:09.123456789 UTC.
var testNow = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// memWriter is a Writer that keeps every Append in memory.
type memWriter struct {
	mu      sync.Mutex
	appends [][]byte
	times   []time.Time
	fail    error
}

func (m *memWriter) Append(now time.Time, lines []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if len(lines) == 0 || lines[len(lines)-1] != '\n' {
		return errors.New("memWriter: incomplete line")
	}
	m.appends = append(m.appends, bytes.Clone(lines))
	m.times = append(m.times, now)
	return nil
}

// calls returns the number of Append calls so far.
func (m *memWriter) calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.appends)
}

// records parses every line written so far.
func (m *memWriter) records(t testing.TB) []messages.Record {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var all []byte
	for _, a := range m.appends {
		all = append(all, a...)
	}
	return parseLines(t, all)
}

// reset forgets what was written.
func (m *memWriter) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.appends, m.times = nil, nil
}

// parseLines parses newline-terminated log lines, failing t on any bad line.
func parseLines(t testing.TB, data []byte) []messages.Record {
	t.Helper()
	var recs []messages.Record
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		require.GreaterOrEqual(t, i, 0, "unterminated line %q", data)
		rec, err := messages.ParseLine(data[:i])
		require.NoError(t, err, "line %q", data[:i])
		recs = append(recs, rec)
		data = data[i+1:]
	}
	return recs
}

// readLog returns the records of every file of log base, in file order.
func readLog(t testing.TB, base string) []messages.Record {
	t.Helper()
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	var all []byte
	for _, h := range hours {
		b, err := os.ReadFile(eventlog.Path(base, h))
		require.NoError(t, err)
		all = append(all, b...)
	}
	return parseLines(t, all)
}

// errorSink collects what a tracker reports to its ErrorLog.
type errorSink struct {
	mu   sync.Mutex
	errs []error
}

func (e *errorSink) log(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errs = append(e.errs, err)
}

func (e *errorSink) all() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.errs...)
}

// fixture is a tracker writing to memory with a fixed clock.
type fixture struct {
	t      *Tracker
	w      *memWriter
	errs   *errorSink
	cookie *http.Cookie // the cookie of a known visitor
	vid    string
}

func newFixture(t testing.TB, adjust func(*Options)) *fixture {
	t.Helper()
	f := &fixture{w: &memWriter{}, errs: &errorSink{}}
	opts := Options{
		Secret:   testSecret,
		Writer:   f.w,
		Sites:    map[string]int64{"shop.example": 7, "Blog.Example": 9},
		Now:      func() time.Time { return testNow },
		ErrorLog: f.errs.log,
	}
	if adjust != nil {
		adjust(&opts)
	}
	tr, err := New(opts)
	require.NoError(t, err)
	f.t = tr
	f.vid = "00112233445566778899aabbccddeeff"
	f.cookie = &http.Cookie{Name: DefaultCookieName, Value: tr.sign(f.vid)}
	return f
}

// do serves one request through the middleware around h and returns the response.
func (f *fixture) do(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.t.Middleware(h).ServeHTTP(rec, r)
	return rec
}

// visitorCookie returns the visitor cookie a response sets, or nil.
func visitorCookie(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == DefaultCookieName {
			return c
		}
	}
	return nil
}

// htmlHandler serves body as text/html in one write.
func htmlHandler(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(body))
	})
}
