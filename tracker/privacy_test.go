package tracker

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/messages"
)

func kinds(recs []messages.Record) []string {
	var ks []string
	for _, r := range recs {
		ks = append(ks, r.Kind.String())
	}
	return ks
}

func TestDefaultIgnoredPathsAreNoPageViews(t *testing.T) {
	f := newFixture(t, nil)
	h := htmlHandler("<html><body>x</body></html>")
	for _, p := range []string{"/favicon.ico", "/robots.txt", "/apple-touch-icon-120x120.png", "/.well-known/security.txt"} {
		r := httptest.NewRequest("GET", "http://shop.example"+p, nil)
		r.AddCookie(f.cookie)
		rec := f.do(h, r)
		assert.Equal(t, http.StatusOK, rec.Code, p)
		assert.NotContains(t, rec.Body.String(), "<img", "%s gets no pixel", p)
	}
	assert.Empty(t, f.w.records(t), "no page recorded for files browsers fetch on their own")

	r := httptest.NewRequest("GET", "http://shop.example/favicon.ico.html", nil)
	r.AddCookie(f.cookie)
	f.do(h, r)
	assert.Equal(t, []string{"page"}, kinds(f.w.records(t)), "a pattern matches the whole path only")
}

func TestCustomIgnoredPathsKeepTheVisitor(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.IgnorePaths = []string{"/static/", "/*.css", "/healthz"} })
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Goal("asset served")
	})
	for _, p := range []string{"/static/app.js", "/static/img/logo.png", "/site.css", "/healthz"} {
		r := httptest.NewRequest("GET", "http://shop.example"+p, nil)
		r.AddCookie(f.cookie)
		f.do(h, r)
	}
	recs := f.w.records(t)
	assert.Equal(t, []string{"goal", "goal", "goal", "goal"}, kinds(recs), "goals of an ignored request are still written")
	for _, rec := range recs {
		assert.Equal(t, f.vid, rec.VID)
	}

	f.w.reset()
	r := httptest.NewRequest("GET", "http://shop.example/favicon.ico", nil)
	r.AddCookie(f.cookie)
	f.do(http.NotFoundHandler(), r)
	assert.Equal(t, []string{"page"}, kinds(f.w.records(t)), "custom paths replace the defaults")

	f = newFixture(t, func(o *Options) { o.IgnorePaths = []string{} })
	r = httptest.NewRequest("GET", "http://shop.example/robots.txt", nil)
	r.AddCookie(f.cookie)
	f.do(http.NotFoundHandler(), r)
	assert.Equal(t, []string{"page"}, kinds(f.w.records(t)), "an empty list ignores nothing")
}

func TestBadIgnoredPathsAreRefused(t *testing.T) {
	for _, p := range []string{"static/", "/[a", DefaultPixelPath} {
		_, err := New(Options{Secret: testSecret, Writer: &memWriter{}, IgnorePaths: []string{p}})
		assert.Error(t, err, p)
	}
}

func TestNoConsentRecordsNothingAndSetsNoCookie(t *testing.T) {
	allowed := false
	f := newFixture(t, func(o *Options) { o.Consent = func(*http.Request) bool { return allowed } })
	var seen *Visitor
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = FromContext(r.Context())
		seen.Goal("signup")
		seen.Split("colour", "red", "blue")
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>hi</body></html>"))
	})
	rec := f.do(h, httptest.NewRequest("GET", "http://shop.example/", nil))
	assert.Nil(t, visitorCookie(rec), "no cookie without consent")
	assert.NotContains(t, rec.Body.String(), "<img", "no pixel without consent")
	assert.Same(t, noop, seen, "the handler sees the no-op visitor")
	rec = f.do(h, httptest.NewRequest("GET", "http://shop.example"+DefaultPixelPath, nil))
	assert.Equal(t, "image/gif", rec.Header().Get("Content-Type"), "the pixel is still an image")
	assert.Nil(t, visitorCookie(rec))
	assert.Empty(t, f.w.records(t))

	allowed = true
	rec = f.do(h, httptest.NewRequest("GET", "http://shop.example/", nil))
	assert.NotNil(t, visitorCookie(rec))
	assert.Equal(t, []string{"page", "goal", "split"}, kinds(f.w.records(t)))
}

func TestDoNotTrackAndGlobalPrivacyControl(t *testing.T) {
	for _, respect := range []bool{false, true} {
		f := newFixture(t, func(o *Options) { o.RespectDoNotTrack = respect })
		for _, hdr := range [][2]string{{"DNT", "1"}, {"Sec-GPC", "1"}} {
			r := httptest.NewRequest("GET", "http://shop.example/", nil)
			r.Header.Set(hdr[0], hdr[1])
			r.AddCookie(f.cookie)
			f.do(http.NotFoundHandler(), r)
		}
		r := httptest.NewRequest("GET", "http://shop.example/", nil)
		r.Header.Set("DNT", "0")
		r.AddCookie(f.cookie)
		f.do(http.NotFoundHandler(), r)
		want := []string{"page", "page", "page"}
		if respect {
			want = []string{"page"}
		}
		require.Equal(t, want, kinds(f.w.records(t)), "respect=%v", respect)
	}
}
