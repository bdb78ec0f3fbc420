package tracker

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"strings"
)

// vidBytes is the number of random bytes in a visitor id (written as twice as many hex
// digits).
const vidBytes = 16

// sigLen is the length of an encoded cookie signature.
var sigLen = base64.RawURLEncoding.EncodedLen(sha256.Size)

// newVID returns a fresh random visitor id: 32 lowercase hex digits.
func newVID() string {
	var b [vidBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics if the OS fails it)
	return hex.EncodeToString(b[:])
}

// mac appends HMAC-SHA256(secret, vid) to dst. Keyed hashes are pooled: hmac.New
// hashes the key each time.
func (t *Tracker) mac(vid string, dst []byte) []byte {
	m, _ := t.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, t.secret)
	}
	m.Reset()
	io.WriteString(m, vid)
	dst = m.Sum(dst)
	t.macs.Put(m)
	return dst
}

// sign returns the cookie value of vid: "<vid>.<base64url HMAC-SHA256(secret, vid)>".
func (t *Tracker) sign(vid string) string {
	var sum [sha256.Size]byte
	mac := t.mac(vid, sum[:0])
	b := make([]byte, 0, len(vid)+1+sigLen)
	b = append(b, vid...)
	b = append(b, '.')
	b = base64.RawURLEncoding.AppendEncode(b, mac)
	return string(b)
}

// verify returns the visitor id of a cookie value, and whether its signature is good.
func (t *Tracker) verify(value string) (string, bool) {
	dot := strings.LastIndexByte(value, '.')
	if dot <= 0 || len(value)-dot-1 != sigLen || !isVID(value[:dot]) {
		return "", false
	}
	vid := value[:dot]
	var got [sha256.Size]byte
	n, err := base64.RawURLEncoding.Decode(got[:], []byte(value[dot+1:]))
	if err != nil || n != sha256.Size {
		return "", false
	}
	var want [sha256.Size]byte
	if !hmac.Equal(got[:], t.mac(vid, want[:0])) {
		return "", false
	}
	return vid, true
}

// isVID reports whether s has the form of a visitor id this package issues.
func isVID(s string) bool {
	if len(s) != 2*vidBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// visitorID returns the visitor id of r's first cookie with a good signature.
func (t *Tracker) visitorID(r *http.Request) (string, bool) {
	for _, c := range r.CookiesNamed(t.cookieName) {
		if vid, ok := t.verify(c.Value); ok {
			return vid, true
		}
	}
	return "", false
}

// cookie returns the visitor cookie for vid; secure for a request made over https.
func (t *Tracker) cookie(vid string, secure bool) *http.Cookie {
	return &http.Cookie{
		Name:     t.cookieName,
		Value:    t.sign(vid),
		Path:     "/",
		MaxAge:   int(CookieMaxAge.Seconds()),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
}
