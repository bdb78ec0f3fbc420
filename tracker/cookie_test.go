package tracker

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCookieValueFormat(t *testing.T) {
	f := newFixture(t, nil)
	value := f.t.sign(f.vid)
	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte(f.vid))
	assert.Equal(t, f.vid+"."+base64.RawURLEncoding.EncodeToString(m.Sum(nil)), value)
	vid, ok := f.t.verify(value)
	assert.True(t, ok)
	assert.Equal(t, f.vid, vid)
}

func TestNewVisitorGetsCookie(t *testing.T) {
	f := newFixture(t, nil)
	var seen string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = FromContext(r.Context()).ID() })
	rec := f.do(h, httptest.NewRequest("GET", "http://shop.example/", nil))
	c := visitorCookie(rec)
	require.NotNil(t, c)
	assert.True(t, c.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
	assert.False(t, c.Secure, "not a TLS request")
	assert.Equal(t, "/", c.Path)
	assert.Equal(t, int(CookieMaxAge/time.Second), c.MaxAge)
	vid, ok := f.t.verify(c.Value)
	require.True(t, ok)
	assert.Equal(t, seen, vid)
	assert.Regexp(t, "^[0-9a-f]{32}$", vid)
	recs := f.w.records(t)
	require.Len(t, recs, 1)
	assert.Equal(t, vid, recs[0].VID)

	// The cookie brings the visitor back under the same id, with no new cookie.
	r := httptest.NewRequest("GET", "http://shop.example/again", nil)
	r.AddCookie(c)
	rec = f.do(h, r)
	assert.Nil(t, visitorCookie(rec))
	assert.Equal(t, vid, seen)
}

func TestFreshIDsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newVID()
		require.True(t, isVID(id), id)
		require.False(t, seen[id])
		seen[id] = true
	}
}

func TestBadCookiesAreReplaced(t *testing.T) {
	f := newFixture(t, nil)
	good := f.t.sign(f.vid)
	dot := strings.LastIndexByte(good, '.')
	other, err := New(Options{Secret: []byte("another secret of 16+ bytes"), Writer: &memWriter{}})
	require.NoError(t, err)
	flip := []byte(good)
	flip[len(flip)-3] ^= 1 // still base64url, wrong signature
	forgedVID := "ffffffffffffffffffffffffffffffff" + good[dot:]

	for name, value := range map[string]string{
		"empty":               "",
		"no signature":        f.vid,
		"empty signature":     f.vid + ".",
		"truncated":           good[:len(good)-1],
		"extended":            good + "A",
		"flipped bit":         string(flip),
		"not base64":          good[:len(good)-2] + "!!",
		"other vid":           forgedVID,
		"other secret":        other.sign(f.vid),
		"upper-case vid":      strings.ToUpper(f.vid) + good[dot:],
		"just a dot":          ".",
		"garbage":             "%%%;;;",
		"signature only":      good[dot:],
		"vid of wrong length": f.vid[:30] + good[dot:],
	} {
		f.w.reset()
		var seen string
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = FromContext(r.Context()).ID() })
		r := httptest.NewRequest("GET", "http://shop.example/", nil)
		r.Header.Set("Cookie", DefaultCookieName+"="+value)
		rec := f.do(h, r)
		assert.Equal(t, http.StatusOK, rec.Code, name)
		c := visitorCookie(rec)
		require.NotNil(t, c, name)
		vid, ok := f.t.verify(c.Value)
		require.True(t, ok, name)
		assert.Equal(t, seen, vid, name)
		assert.NotEqual(t, f.vid, vid, name)
		assert.NotEqual(t, "ffffffffffffffffffffffffffffffff", vid, name)
		recs := f.w.records(t)
		require.Len(t, recs, 1, name)
		assert.Equal(t, vid, recs[0].VID, name)
	}
}

func TestFirstValidCookieWins(t *testing.T) {
	f := newFixture(t, nil)
	var seen string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = FromContext(r.Context()).ID() })
	r := httptest.NewRequest("GET", "http://shop.example/", nil)
	r.Header.Set("Cookie", DefaultCookieName+"=forged.xxx; other=1; "+DefaultCookieName+"="+f.cookie.Value)
	rec := f.do(h, r)
	assert.Nil(t, visitorCookie(rec))
	assert.Equal(t, f.vid, seen)
}

func TestTrackersWithTheSameSecretShareVisitors(t *testing.T) {
	a := newFixture(t, nil)
	b := newFixture(t, nil)
	rec := a.do(htmlHandler(""), httptest.NewRequest("GET", "http://shop.example/", nil))
	c := visitorCookie(rec)
	require.NotNil(t, c)
	vid, ok := b.t.verify(c.Value)
	assert.True(t, ok, "a restarted process accepts the cookies of the previous one")
	assert.Equal(t, a.w.records(t)[0].VID, vid)
}
