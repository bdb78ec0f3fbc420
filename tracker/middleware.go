package tracker

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
)

// Middleware returns next wrapped by the tracker: it identifies the visitor (setting the
// cookie when new), serves the pixel at the pixel path, records the page, puts the
// Visitor into the request context, injects the pixel into HTML responses, and writes the
// request's records when next returns.
func (t *Tracker) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.serve(w, r, next)
	})
}

func (t *Tracker) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if !t.consents(r) {
		if r.URL.Path == t.pixelPath {
			t.writePixel(w, r)
			return
		}
		next.ServeHTTP(w, r)
		return
	}
	now := t.now()
	scheme := t.scheme(r)
	vid, known := t.visitorID(r)
	if !known {
		vid = newVID()
		http.SetCookie(w, t.cookie(vid, scheme == "https"))
	}
	v := &Visitor{t: t, id: vid, site: t.site(r)}
	if r.URL.Path == t.pixelPath {
		t.servePixel(w, r, v, known, now)
		return
	}
	ignored := t.ignored(r.URL.Path)
	if !ignored && counted(r) {
		rec := messages.Record{
			Kind:      messages.KindPage,
			IP:        clip(t.clientIP(r)),
			Method:    r.Method,
			URL:       clip(fullURL(r, scheme)),
			UserAgent: clip(r.Header.Get("User-Agent")),
			Referer:   clip(r.Header.Get("Referer")),
		}
		v.add(&rec, now)
	}
	defer v.end() // what the handler recorded is written, even if it panicked
	ctx := r.WithContext(context.WithValue(r.Context(), ctxKey{}, v))
	if ignored {
		next.ServeHTTP(w, ctx)
		return
	}
	iw := newInjector(w, r, t.pixelTag)
	next.ServeHTTP(iw, ctx)
	// A handler that panicked leaves its response as it is (net/http aborts it).
	iw.finish()
}

// write appends lines to the log, reporting a failure to the error log.
func (t *Tracker) write(now time.Time, lines []byte) {
	if err := t.writer.Append(now, lines); err != nil {
		t.errorLog(fmt.Errorf("tracker: write %d log lines: %w", bytes.Count(lines, []byte{'\n'}), err))
	}
}

// pixelGIF is a 1×1 transparent GIF.
var pixelGIF = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// servePixel answers a request for the pixel, recording a pixel for a known visitor.
func (t *Tracker) servePixel(w http.ResponseWriter, r *http.Request, v *Visitor, known bool, now time.Time) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if known && r.Method == http.MethodGet && !speculative(r.Header) {
		rec := messages.Record{Kind: messages.KindPixel}
		v.add(&rec, now)
		v.end()
		// Every page a returning visitor loads renews the cookie's lifetime.
		http.SetCookie(w, t.cookie(v.id, t.scheme(r) == "https"))
	}
	t.writePixel(w, r)
}

// writePixel answers with the pixel image, never cached.
func (t *Tracker) writePixel(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "image/gif")
	h.Set("Content-Length", strconv.Itoa(len(pixelGIF)))
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate, max-age=0")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(pixelGIF)
	}
}
