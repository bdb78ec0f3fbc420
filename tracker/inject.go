package tracker

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"unsafe"
)

// closeBody is what starts the tag the pixel goes before; a match also needs the byte
// after it to end the tag name ('>', '/' or white space).
const closeBody = "</body"

// sniffLen is how much of a body without a Content-Type is held to detect its type, as
// net/http does.
const sniffLen = 512

// maxHold bounds the bytes held back after a "</body" while waiting for a later one.
const maxHold = 64 << 10

// injector is the ResponseWriter the wrapped handler writes to. It passes the response
// through, inserting tag before the last "</body" of an HTML body. Until the header is
// committed (first Write, Flush or the end of the handler) the status is only noted, so
// that the body's type can be sniffed as net/http would.
type injector struct {
	w    http.ResponseWriter
	tag  []byte
	head bool // a HEAD request: no body

	status    int  // status set by WriteHeader, 0 if none
	committed bool // the header has been passed on
	inject    bool // the body is HTML that may be modified
	done      bool // the tag was written, or can no longer be: pass through
	hijacked  bool

	held   []byte // body bytes not yet passed on
	atBody bool   // held begins with the latest "</body" seen
}

func newInjector(w http.ResponseWriter, r *http.Request, tag []byte) *injector {
	return &injector{w: w, tag: tag, head: r.Method == http.MethodHead}
}

// Header returns the header map of the response.
func (w *injector) Header() http.Header { return w.w.Header() }

// Unwrap returns the underlying ResponseWriter, for http.ResponseController.
func (w *injector) Unwrap() http.ResponseWriter { return w.w }

// WriteHeader notes the status; informational (1xx) headers go out at once.
func (w *injector) WriteHeader(code int) {
	switch {
	case w.committed || w.hijacked:
		w.w.WriteHeader(code) // net/http reports the superfluous call
	case code >= 100 && code < 200 && code != http.StatusSwitchingProtocols:
		w.w.WriteHeader(code)
	case w.status == 0:
		w.status = code
	}
}

// Write passes p on, or holds part of it back while looking for "</body".
func (w *injector) Write(p []byte) (int, error) {
	if w.hijacked {
		return w.w.Write(p)
	}
	if !w.committed {
		if _, typed := w.w.Header()["Content-Type"]; !typed && bodyAllowed(w.status) {
			// Sniff the type from the first sniffLen bytes, as net/http would.
			w.held = append(w.held, p...)
			if len(w.held) < sniffLen {
				return len(p), nil
			}
			return len(p), w.commit()
		}
		if err := w.commit(); err != nil {
			return 0, err
		}
	}
	if !w.inject || w.done {
		return w.w.Write(p)
	}
	if err := w.scan(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteString is Write for a string, without copying it: the bytes are only read.
func (w *injector) WriteString(s string) (int, error) {
	if w.committed && (!w.inject || w.done) {
		return io.WriteString(w.w, s)
	}
	return w.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// commit decides whether the body is to be modified, passes the header on and then the
// bytes held for sniffing.
func (w *injector) commit() error {
	w.committed = true
	if w.status == 0 {
		w.status = http.StatusOK
	}
	h := w.w.Header()
	if _, typed := h["Content-Type"]; !typed && len(w.held) > 0 && bodyAllowed(w.status) {
		h.Set("Content-Type", http.DetectContentType(w.held))
	}
	w.inject = !w.head && bodyAllowed(w.status) && w.status != http.StatusPartialContent &&
		isHTML(h.Get("Content-Type")) && h.Get("Content-Range") == "" &&
		(h.Get("Content-Encoding") == "" || strings.EqualFold(h.Get("Content-Encoding"), "identity"))
	if w.inject {
		h.Del("Content-Length")
	}
	w.w.WriteHeader(w.status)
	pending := w.held
	w.held = nil
	if len(pending) == 0 {
		return nil
	}
	if !w.inject {
		return w.out(pending)
	}
	return w.scan(pending)
}

// scan passes on the bytes of the body up to the latest "</body" seen (or up to a tail
// that may begin one) and holds the rest.
func (w *injector) scan(p []byte) error {
	data, from, inHeld := p, 0, false
	if len(w.held) > 0 {
		// Matches were looked for in held already, except those it ends too early to
		// complete, and except the one it begins with.
		from = max(0, len(w.held)-len(closeBody))
		if w.atBody {
			from = max(1, from)
		}
		w.held = append(w.held, p...)
		data, inHeld = w.held, true
	}
	keepFrom := 0 // after a "</body" already seen, everything from it is held
	if i := lastCloseBody(data, from); i >= 0 {
		keepFrom, w.atBody = i, true
	} else if !w.atBody {
		keepFrom = len(data) - partialTail(data)
	}
	if err := w.out(data[:keepFrom]); err != nil {
		return err
	}
	if inHeld {
		w.held = w.held[:copy(w.held, data[keepFrom:])]
	} else {
		w.held = append(w.held[:0], data[keepFrom:]...)
	}
	if w.atBody && len(w.held) > maxHold {
		return w.release()
	}
	return nil
}

// release ends the injection: the tag goes before the held "</body", if there is one,
// and everything held is passed on.
func (w *injector) release() error {
	w.done = true
	held := w.held
	w.held = nil
	if w.atBody {
		if err := w.out(w.tag); err != nil {
			return err
		}
	}
	return w.out(held)
}

// out writes b to the underlying writer.
func (w *injector) out(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	_, err := w.w.Write(b)
	return err
}

// finish completes the response when the handler has returned.
func (w *injector) finish() {
	if w.hijacked {
		return
	}
	if !w.committed {
		if err := w.commit(); err != nil {
			return
		}
	}
	if w.inject && !w.done {
		_ = w.release()
	}
}

// Flush sends what has been written so far, except the bytes held back.
func (w *injector) Flush() { _ = w.FlushError() }

// FlushError is Flush reporting the underlying writer's error (for
// http.ResponseController).
func (w *injector) FlushError() error {
	if !w.committed && !w.hijacked {
		if err := w.commit(); err != nil {
			return err
		}
	}
	return http.NewResponseController(w.w).Flush()
}

// Hijack lets the handler take over the connection (for WebSocket upgrades).
func (w *injector) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.w).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return c, rw, err
}

// bodyAllowed reports whether a response with status may have a body (0 means 200).
func bodyAllowed(status int) bool {
	return !(status >= 100 && status < 200) && status != http.StatusNoContent && status != http.StatusNotModified
}

// isHTML reports whether a Content-Type is text/html.
func isHTML(ct string) bool {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.EqualFold(strings.TrimSpace(ct), "text/html")
}

// lastCloseBody returns the index of the last complete "</body" match in b that starts
// at or after from, or -1. It searches backwards: in a page the match is near the end.
func lastCloseBody(b []byte, from int) int {
	for end := len(b); end > from; {
		i := bytes.LastIndexByte(b[from:end], '<')
		if i < 0 {
			break
		}
		i += from
		if i+len(closeBody) < len(b) && equalFold(b[i:i+len(closeBody)], closeBody) && endsTagName(b[i+len(closeBody)]) {
			return i
		}
		end = i
	}
	return -1
}

// partialTail returns the length of the longest suffix of b that is the start of a
// "</body" match not yet complete (at most len(closeBody) bytes).
func partialTail(b []byte) int {
	for k := min(len(closeBody), len(b)); k > 0; k-- {
		if equalFold(b[len(b)-k:], closeBody[:k]) {
			return k
		}
	}
	return 0
}

func endsTagName(c byte) bool {
	switch c {
	case '>', '/', ' ', '\t', '\n', '\r', '\f':
		return true
	}
	return false
}

// equalFold reports whether b equals the lower-case ASCII s, ignoring ASCII case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
