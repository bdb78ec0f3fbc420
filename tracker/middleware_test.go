package tracker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/gif"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/messages"
)

func TestNewChecksOptions(t *testing.T) {
	w := &memWriter{}
	for name, opts := range map[string]Options{
		"no secret":        {Writer: w},
		"short secret":     {Secret: []byte("fifteen bytes!!"), Writer: w},
		"no log":           {Secret: testSecret},
		"writer and base":  {Secret: testSecret, Writer: w, LogBase: "x/log"},
		"relative pixel":   {Secret: testSecret, Writer: w, PixelPath: "pixel.gif"},
		"pixel with query": {Secret: testSecret, Writer: w, PixelPath: "/p.gif?x=1"},
		"bad cookie name":  {Secret: testSecret, Writer: w, CookieName: "a b"},
		"bad proxy":        {Secret: testSecret, Writer: w, TrustedProxies: []string{"10.0.0.0/33"}},
		"host on 2 sites":  {Secret: testSecret, Writer: w, Sites: map[string]int64{"a.example": 1, "A.example": 2}},
	} {
		_, err := New(opts)
		assert.Error(t, err, name)
	}
	tr, err := New(Options{Secret: []byte("sixteen bytes!!!"), Writer: w})
	require.NoError(t, err)
	assert.Equal(t, DefaultPixelPath, tr.PixelPath())
	assert.Equal(t, `<img src="/manhattan/pixel.gif" width="1" height="1" alt="" style="position:absolute;left:-9999px">`, tr.PixelTag())
}

func TestPageRecord(t *testing.T) {
	f := newFixture(t, nil)
	r := httptest.NewRequest("GET", "http://shop.example:8080/products/7?colour=red&q=%C3%A9", nil)
	r.AddCookie(f.cookie)
	r.RemoteAddr = "203.0.113.9:51234"
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0")
	r.Header.Set("Referer", "https://search.example/?q=shop\tcheese")
	rec := f.do(htmlHandler("<p>hi</p>"), r)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Nil(t, visitorCookie(rec), "a known visitor gets no new cookie")

	recs := f.w.records(t)
	require.Len(t, recs, 1)
	assert.Equal(t, messages.Record{
		Kind: messages.KindPage, Timestamp: testNow.Unix(), TimeFraction: "1234",
		VID: f.vid, Site: 7,
		IP: "203.0.113.9", Method: "GET", URL: "http://shop.example:8080/products/7?colour=red&q=%C3%A9",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0",
		Referer:   "https://search.example/?q=shop\tcheese",
	}, recs[0])
	assert.Equal(t, []time.Time{testNow}, f.w.times)
	assert.Empty(t, f.errs.all())
}

func TestPageLineIsVersion1(t *testing.T) {
	f := newFixture(t, nil)
	r := httptest.NewRequest("POST", "http://blog.example/cart", strings.NewReader("x=1"))
	r.AddCookie(f.cookie)
	r.RemoteAddr = "192.0.2.1:1"
	r.Header.Set("User-Agent", "bot")
	f.do(htmlHandler(""), r)
	require.Equal(t, 1, f.w.calls())
	assert.Equal(t, "1\tpage\t"+fmt.Sprint(testNow.Unix())+".1234\t"+f.vid+"\t9\t192.0.2.1\tPOST\thttp://blog.example/cart\tbot\t\n",
		string(f.w.appends[0]))
}

func TestCountedRequests(t *testing.T) {
	cases := []struct {
		method string
		header map[string]string
		want   bool
	}{
		{"GET", nil, true},
		{"POST", nil, true},
		{"HEAD", nil, false},
		{"OPTIONS", nil, false},
		{"PUT", nil, false},
		{"DELETE", nil, false},
		{"GET", map[string]string{"X-Purpose": "preview"}, false},
		{"GET", map[string]string{"X-Purpose": "Preview"}, false},
		{"GET", map[string]string{"Purpose": "prefetch"}, false},
		{"GET", map[string]string{"Sec-Purpose": "prefetch"}, false},
		{"GET", map[string]string{"Sec-Purpose": "prefetch;prerender"}, false},
		{"GET", map[string]string{"X-Moz": "prefetch"}, false},
		{"GET", map[string]string{"X-Purpose": "something else"}, true},
		{"GET", map[string]string{"Sec-Fetch-Mode": "navigate"}, true},
	}
	for _, c := range cases {
		f := newFixture(t, nil)
		r := httptest.NewRequest(c.method, "http://shop.example/", nil)
		for k, v := range c.header {
			r.Header.Set(k, v)
		}
		r.AddCookie(f.cookie)
		f.do(htmlHandler("<html><body>x</body></html>"), r)
		recs := f.w.records(t)
		if c.want {
			require.Len(t, recs, 1, "%s %v", c.method, c.header)
			assert.Equal(t, messages.KindPage, recs[0].Kind)
			assert.Equal(t, c.method, recs[0].Method)
		} else {
			assert.Empty(t, recs, "%s %v", c.method, c.header)
		}
	}
}

func TestSites(t *testing.T) {
	for host, want := range map[string]int64{
		"shop.example":      7,
		"SHOP.example:8443": 7,
		"blog.example":      9,
		"other.example":     0,
		"127.0.0.1:8080":    0,
		"[::1]:8080":        0,
	} {
		f := newFixture(t, nil)
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = host
		f.do(htmlHandler(""), r)
		recs := f.w.records(t)
		require.Len(t, recs, 1)
		assert.Equal(t, want, recs[0].Site, host)
	}
	assert.Equal(t, "::1", hostName("[::1]:8080"))
	assert.Equal(t, "::1", hostName("[::1]"))
	assert.Equal(t, "shop.example", hostName("Shop.Example:80"))
}

func TestClientIP(t *testing.T) {
	cases := []struct {
		name    string
		trusted []string
		remote  string
		xff     []string
		proto   string
		wantIP  string
		wantURL string
	}{
		{"no proxies configured", nil, "198.51.100.7:1234", []string{"1.2.3.4"}, "https", "198.51.100.7", "http://shop.example/"},
		{"untrusted peer", []string{"10.0.0.0/8"}, "198.51.100.7:1234", []string{"1.2.3.4"}, "https", "198.51.100.7", "http://shop.example/"},
		{"trusted peer", []string{"10.0.0.0/8"}, "10.1.2.3:1234", []string{"1.2.3.4"}, "https", "1.2.3.4", "https://shop.example/"},
		{"spoofed left entries", []string{"10.0.0.0/8"}, "10.1.2.3:1234", []string{"6.6.6.6, 1.2.3.4"}, "", "1.2.3.4", "http://shop.example/"},
		{"chain of proxies", []string{"10.0.0.0/8", "192.0.2.5"}, "10.1.2.3:1234", []string{"6.6.6.6", "1.2.3.4, 192.0.2.5", "10.9.9.9"}, "", "1.2.3.4", "http://shop.example/"},
		{"all trusted", []string{"10.0.0.0/8"}, "10.1.2.3:1234", []string{"10.0.0.1, 10.0.0.2"}, "", "10.0.0.1", "http://shop.example/"},
		{"garbage entry", []string{"10.0.0.0/8"}, "10.1.2.3:1234", []string{"1.2.3.4, nonsense, 10.0.0.9"}, "", "10.0.0.9", "http://shop.example/"},
		{"no header", []string{"10.0.0.0/8"}, "10.1.2.3:1234", nil, "", "10.1.2.3", "http://shop.example/"},
		{"ipv6 with port", []string{"::1"}, "[::1]:80", []string{"[2001:db8::1]:4711"}, "", "2001:db8::1", "http://shop.example/"},
		{"mapped ipv4 peer", []string{"127.0.0.1"}, "[::ffff:127.0.0.1]:80", []string{"1.2.3.4"}, "", "1.2.3.4", "http://shop.example/"},
	}
	for _, c := range cases {
		f := newFixture(t, func(o *Options) { o.TrustedProxies = c.trusted })
		r := httptest.NewRequest("GET", "http://shop.example/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		f.do(htmlHandler(""), r)
		recs := f.w.records(t)
		require.Len(t, recs, 1, c.name)
		assert.Equal(t, c.wantIP, recs[0].IP, c.name)
		assert.Equal(t, c.wantURL, recs[0].URL, c.name)
	}
}

func TestTLSRequest(t *testing.T) {
	f := newFixture(t, nil)
	r := httptest.NewRequest("GET", "https://shop.example/secure", nil)
	rec := f.do(htmlHandler(""), r)
	c := visitorCookie(rec)
	require.NotNil(t, c)
	assert.True(t, c.Secure)
	recs := f.w.records(t)
	require.Len(t, recs, 1)
	assert.Equal(t, "https://shop.example/secure", recs[0].URL)
}

func TestOverlongFieldsAreClipped(t *testing.T) {
	f := newFixture(t, nil)
	long := strings.Repeat("é", 300)
	r := httptest.NewRequest("GET", "http://shop.example/search?q="+strings.Repeat("a", 400), nil)
	r.Header.Set("User-Agent", long)
	r.Header.Set("Referer", "x\x00y")
	f.do(htmlHandler(""), r)
	recs := f.w.records(t) // every line parses: no field is over the limit
	require.Len(t, recs, 1)
	assert.Equal(t, strings.Repeat("é", messages.MaxFieldLength), recs[0].UserAgent)
	assert.Len(t, recs[0].URL, messages.MaxFieldLength)
	assert.True(t, strings.HasPrefix(recs[0].URL, "http://shop.example/search?q=aaa"))
	assert.Equal(t, "xy", recs[0].Referer)
}

func TestRecordsAreBufferedPerRequest(t *testing.T) {
	f := newFixture(t, nil)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := FromContext(r.Context())
		assert.Equal(t, f.vid, v.ID())
		assert.Equal(t, int64(7), v.Site())
		pop := v.Split("button colour", "red", "green", "blue")
		assert.Equal(t, pop, v.Split("button colour", "red", "green", "blue"), "the same answer twice")
		v.Split("free shipping")
		v.Goal("signed up")
		v.Goal("purchase", WithValue(decimal.RequireFromString("19.90"), Sum, Currency))
		assert.Zero(t, f.w.calls(), "nothing is written before the handler returns")
		_, _ = w.Write([]byte("ok"))
	})
	r := httptest.NewRequest("GET", "http://shop.example/checkout", nil)
	r.AddCookie(f.cookie)
	f.do(h, r)
	require.Equal(t, 1, f.w.calls(), "one Append per request")
	recs := f.w.records(t)
	require.Len(t, recs, 5)
	kinds := []messages.Kind{}
	for _, rec := range recs {
		kinds = append(kinds, rec.Kind)
		assert.Equal(t, f.vid, rec.VID)
		assert.Equal(t, int64(7), rec.Site)
		assert.Equal(t, testNow.Unix(), rec.Timestamp)
	}
	assert.Equal(t, []messages.Kind{messages.KindPage, messages.KindSplit, messages.KindSplit, messages.KindGoal, messages.KindGoal}, kinds)
	assert.Equal(t, "button colour", recs[1].Test)
	assert.Equal(t, Assign(f.vid, "button colour", "red", "green", "blue"), recs[1].Population)
	assert.Equal(t, "free shipping", recs[2].Test)
	assert.Contains(t, []string{SplitTrue, SplitFalse}, recs[2].Population)
	assert.Equal(t, "signed up", recs[3].Goal)
	assert.False(t, recs[3].HasValue)
	assert.Equal(t, "purchase", recs[4].Goal)
	assert.True(t, recs[4].HasValue)
	assert.Equal(t, "19.9", recs[4].Value.String())
	assert.Equal(t, "S", recs[4].ValueType)
	assert.Equal(t, "C", recs[4].ValueFormat)
	assert.Contains(t, string(f.w.appends[0]), "\tpurchase\t19.90\tS\tC\n")
}

func TestImmediateWritesEachRecord(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Immediate = true })
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, 1, f.w.calls(), "the page is written when the request arrives")
		v := FromContext(r.Context())
		v.Goal("a")
		assert.Equal(t, 2, f.w.calls())
		v.Split("t", "x", "y")
		assert.Equal(t, 3, f.w.calls())
	})
	r := httptest.NewRequest("GET", "http://shop.example/", nil)
	r.AddCookie(f.cookie)
	f.do(h, r)
	assert.Equal(t, 3, f.w.calls())
	assert.Len(t, f.w.records(t), 3)
}

func TestVisitorAfterRequestWritesAtOnce(t *testing.T) {
	f := newFixture(t, nil)
	var kept *Visitor
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { kept = FromContext(r.Context()) })
	r := httptest.NewRequest("GET", "http://shop.example/", nil)
	r.AddCookie(f.cookie)
	f.do(h, r)
	require.Equal(t, 1, f.w.calls())
	kept.Goal("late goal")
	require.Equal(t, 2, f.w.calls())
	recs := f.w.records(t)
	assert.Equal(t, "late goal", recs[1].Goal)
}

func TestSplitRecordedOncePerRequest(t *testing.T) {
	f := newFixture(t, nil)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := FromContext(r.Context())
		for range 5 {
			v.Split("t1", "a", "b")
			v.SplitWeighted("t2", map[string]float64{"a": 1, "b": 3})
		}
	})
	for range 2 {
		r := httptest.NewRequest("GET", "http://shop.example/", nil)
		r.AddCookie(f.cookie)
		f.do(h, r)
	}
	var splits []string
	for _, rec := range f.w.records(t) {
		if rec.Kind == messages.KindSplit {
			splits = append(splits, rec.Test)
		}
	}
	assert.Equal(t, []string{"t1", "t2", "t1", "t2"}, splits, "once per test and request")
}

func TestRefusedRecords(t *testing.T) {
	f := newFixture(t, nil)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := FromContext(r.Context())
		v.Goal("")
		v.Goal(strings.Repeat("g", messages.MaxFieldLength+1))
		v.Goal("nul\x00goal")
		v.Goal("bad type", WithValue(decimal.NewFromInt(1), ValueType("X"), Currency))
		v.Goal("bad format", WithValue(decimal.NewFromInt(1), Sum, ValueFormat("Z")))
		v.Goal("huge", WithValue(decimal.New(1, 400), Sum, Numeric))
		assert.Equal(t, "a", v.Split("", "a"), "the population is still returned")
		v.Split("empty population", "")
		assert.Equal(t, "", v.SplitWeighted("no weights", map[string]float64{"a": 0, "b": -1}))
		v.Goal(strings.Repeat("g", messages.MaxFieldLength)) // at the limit: fine
	})
	r := httptest.NewRequest("GET", "http://shop.example/", nil)
	r.AddCookie(f.cookie)
	rec := f.do(h, r)
	assert.Equal(t, http.StatusOK, rec.Code)
	recs := f.w.records(t)
	require.Len(t, recs, 2, "the page and the goal at the limit")
	assert.Equal(t, strings.Repeat("g", messages.MaxFieldLength), recs[1].Goal)
	assert.Len(t, f.errs.all(), 9)
}

func TestWriteFailureDoesNotFailTheRequest(t *testing.T) {
	f := newFixture(t, nil)
	f.w.fail = errors.New("disk full")
	r := httptest.NewRequest("GET", "http://shop.example/", nil)
	rec := f.do(htmlHandler("<body>x</body>"), r)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.NotNil(t, visitorCookie(rec))
	errs := f.errs.all()
	require.Len(t, errs, 1)
	assert.ErrorContains(t, errs[0], "disk full")
	assert.ErrorContains(t, errs[0], "write 1 log lines")
}

func TestPanickingHandlerStillWritesItsRecords(t *testing.T) {
	f := newFixture(t, nil)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Goal("before the panic")
		panic(http.ErrAbortHandler)
	})
	r := httptest.NewRequest("GET", "http://shop.example/", nil)
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { f.do(h, r) })
	recs := f.w.records(t)
	require.Len(t, recs, 2)
	assert.Equal(t, "before the panic", recs[1].Goal)
}

func TestNoopVisitorOutsideMiddleware(t *testing.T) {
	v := FromContext(context.Background())
	require.NotNil(t, v)
	assert.Equal(t, "", v.ID())
	v.Goal("nothing happens")
	assert.Equal(t, SplitTrue, v.Split("t"))
	assert.Equal(t, "b", v.Split("t", "b", "a"))
	assert.Equal(t, "b", v.SplitWeighted("t", map[string]float64{"c": 5, "b": 1, "a": 0}))
	assert.Equal(t, "", v.SplitWeighted("t", nil))
}

func TestTimestamps(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		frac string
	}{
		{time.Unix(1400000000, 123456789), "1234"},
		{time.Unix(1400000000, 0), "0000"},
		{time.Unix(1400000000, 999999999), "9999"},
		{time.Unix(1400000000, 5_000_000), "0050"},
	} {
		sec, frac := stamp(c.t)
		assert.Equal(t, int64(1400000000), sec)
		assert.Equal(t, c.frac, frac)
	}
}

func TestPixel(t *testing.T) {
	f := newFixture(t, nil)
	page := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { page++ })

	// A known visitor: a pixel record, and the same cookie again with its full lifetime.
	r := httptest.NewRequest("GET", "http://shop.example"+DefaultPixelPath, nil)
	r.AddCookie(f.cookie)
	rec := f.do(h, r)
	assert.Zero(t, page, "the pixel is not passed to the handler")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "image/gif", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Header().Get("Cache-Control"), "no-store")
	assert.Equal(t, "no-cache", rec.Header().Get("Pragma"))
	assert.Equal(t, fmt.Sprint(len(pixelGIF)), rec.Header().Get("Content-Length"))
	img, err := gif.Decode(bytes.NewReader(rec.Body.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, 1, img.Bounds().Dx())
	assert.Equal(t, 1, img.Bounds().Dy())
	_, _, _, alpha := img.At(0, 0).RGBA()
	assert.Zero(t, alpha, "transparent")
	if c := visitorCookie(rec); assert.NotNil(t, c, "the pixel renews the cookie") {
		assert.Equal(t, f.cookie.Value, c.Value, "same visitor id")
		assert.Equal(t, int(CookieMaxAge.Seconds()), c.MaxAge)
		assert.True(t, c.HttpOnly)
	}
	recs := f.w.records(t)
	require.Len(t, recs, 1)
	assert.Equal(t, messages.Record{Kind: messages.KindPixel, Timestamp: testNow.Unix(), TimeFraction: "1234", VID: f.vid, Site: 7}, recs[0])

	// No cookie: a new cookie, nothing recorded.
	f.w.reset()
	rec = f.do(h, httptest.NewRequest("GET", "http://shop.example"+DefaultPixelPath, nil))
	assert.Equal(t, "image/gif", rec.Header().Get("Content-Type"))
	assert.NotNil(t, visitorCookie(rec))
	assert.Empty(t, f.w.records(t))

	// HEAD, prefetch: the image, nothing recorded. POST: refused.
	r = httptest.NewRequest("HEAD", "http://shop.example"+DefaultPixelPath, nil)
	r.AddCookie(f.cookie)
	rec = f.do(h, r)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Zero(t, rec.Body.Len())
	r = httptest.NewRequest("GET", "http://shop.example"+DefaultPixelPath, nil)
	r.AddCookie(f.cookie)
	r.Header.Set("Sec-Purpose", "prefetch")
	f.do(h, r)
	r = httptest.NewRequest("POST", "http://shop.example"+DefaultPixelPath, nil)
	r.AddCookie(f.cookie)
	rec = f.do(h, r)
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Empty(t, f.w.records(t))
	assert.Zero(t, page)
}

func TestCustomPixelPathAndCookieName(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.PixelPath = "/t/p.gif"; o.CookieName = "vis" })
	rec := f.do(htmlHandler("<body></body>"), httptest.NewRequest("GET", "http://shop.example/", nil))
	assert.Equal(t, `<body><img src="/t/p.gif" width="1" height="1" alt="" style="position:absolute;left:-9999px"></body>`, rec.Body.String())
	var c *http.Cookie
	for _, k := range rec.Result().Cookies() {
		if k.Name == "vis" {
			c = k
		}
	}
	require.NotNil(t, c)
	r := httptest.NewRequest("GET", "http://shop.example/t/p.gif", nil)
	r.AddCookie(c)
	f.w.reset()
	rec = f.do(htmlHandler("x"), r)
	assert.Equal(t, "image/gif", rec.Header().Get("Content-Type"))
	recs := f.w.records(t)
	require.Len(t, recs, 1)
	assert.Equal(t, messages.KindPixel, recs[0].Kind)
}

func TestSecureCookieBehindTrustedProxy(t *testing.T) {
	for _, c := range []struct {
		remote string
		secure bool
	}{{"10.0.0.1:80", true}, {"198.51.100.7:80", false}} {
		f := newFixture(t, func(o *Options) { o.TrustedProxies = []string{"10.0.0.0/8"} })
		r := httptest.NewRequest("GET", "http://shop.example/", nil)
		r.RemoteAddr = c.remote
		r.Header.Set("X-Forwarded-Proto", "https")
		cookie := visitorCookie(f.do(htmlHandler(""), r))
		require.NotNil(t, cookie)
		assert.Equal(t, c.secure, cookie.Secure, c.remote)
	}
}
