package tracker

import (
	"net"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/manhattan-analytics/manhattan/messages"
)

// counted reports whether r is a page view: a GET or POST that is not a preview or a
// prefetch.
func counted(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return false
	}
	return !speculative(r.Header)
}

// speculative reports whether the request says it is a preview or prefetch, which the
// user may never see.
func speculative(h http.Header) bool {
	if v := h.Get("X-Purpose"); v != "" && (strings.EqualFold(v, "preview") || hasPrefixFold(v, "prefetch")) {
		return true
	}
	if v := h.Get("Purpose"); v != "" && (hasPrefixFold(v, "prefetch") || hasPrefixFold(v, "preview")) {
		return true
	}
	if v := h.Get("Sec-Purpose"); v != "" && hasPrefixFold(v, "prefetch") {
		return true
	}
	if v := h.Get("X-Moz"); v != "" && strings.EqualFold(v, "prefetch") {
		return true
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// hostName returns the host of a Host header without port or IPv6 brackets, in lower
// case.
func hostName(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i > 0 {
			host = host[1:i]
		}
	} else if i := strings.IndexByte(host, ':'); i >= 0 && strings.Count(host, ":") == 1 {
		host = host[:i]
	}
	return strings.ToLower(host)
}

// site returns the site id of r's host.
func (t *Tracker) site(r *http.Request) int64 {
	if len(t.sites) == 0 {
		return 0
	}
	return t.sites[hostName(r.Host)]
}

// isTrusted reports whether a is one of the trusted proxies.
func (t *Tracker) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peer returns the address of r's peer and whether it is a trusted proxy.
func (t *Tracker) peer(r *http.Request) (string, bool) {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if len(t.trusted) == 0 {
		return host, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host, false
	}
	return a.Unmap().WithZone("").String(), t.isTrusted(a)
}

// clientIP returns the IP of the client that made r: the peer address or, when the peer
// is a trusted proxy, the right-most X-Forwarded-For entry that is not a trusted proxy.
// An entry that is not an address ends the walk: the nearest trusted hop is returned.
func (t *Tracker) clientIP(r *http.Request) string {
	ip, fromProxy := t.peer(r)
	if !fromProxy {
		return ip
	}
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		rest := values[i]
		for rest != "" {
			var entry string
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				entry, rest = rest, ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			a, ok := parseForwarded(entry)
			if !ok {
				return ip
			}
			ip = a.String()
			if !t.isTrusted(a) {
				return ip
			}
		}
	}
	return ip
}

// parseForwarded parses an X-Forwarded-For entry: an address, optionally with a port
// ("1.2.3.4:5", "[::1]:5") or in brackets.
func parseForwarded(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap().WithZone(""), true
		}
	}
	return netip.Addr{}, false
}

// scheme returns the scheme r was made with: https for TLS requests, or what
// X-Forwarded-Proto says when the peer is a trusted proxy.
func (t *Tracker) scheme(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if len(t.trusted) > 0 {
		if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
			if _, trusted := t.peer(r); trusted {
				if strings.EqualFold(p, "https") {
					scheme = "https"
				} else if strings.EqualFold(p, "http") {
					scheme = "http"
				}
			}
		}
	}
	return scheme
}

// fullURL returns the URL r was made for: scheme, host, path and query.
func fullURL(r *http.Request, scheme string) string {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host + r.URL.RequestURI()
}

// clip makes s fit a log field: NUL characters are dropped and the string is cut to
// messages.MaxFieldLength characters.
func clip(s string) string {
	if len(s) <= messages.MaxFieldLength && strings.IndexByte(s, 0) < 0 {
		return s
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	n := 0
	for i := range s {
		if n == messages.MaxFieldLength {
			return s[:i]
		}
		n++
	}
	return s
}

// checkName checks a goal, test or population name.
func checkName(s string) string {
	switch {
	case s == "":
		return "empty"
	case strings.IndexByte(s, 0) >= 0:
		return "holds a NUL character"
	case len(s) > messages.MaxFieldLength && utf8.RuneCountInString(s) > messages.MaxFieldLength:
		return "longer than the log's field limit"
	}
	return ""
}

// ignored reports whether p matches one of the ignored paths (Options.IgnorePaths).
func (t *Tracker) ignored(p string) bool {
	for _, pat := range t.ignore {
		if strings.HasSuffix(pat, "/") {
			if strings.HasPrefix(p, pat) {
				return true
			}
			continue
		}
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
	}
	return false
}

// consents reports whether the request may be tracked: neither Do-Not-Track (when
// respected) nor the Consent hook says no.
func (t *Tracker) consents(r *http.Request) bool {
	if t.dnt && (r.Header.Get("DNT") == "1" || r.Header.Get("Sec-GPC") == "1") {
		return false
	}
	return t.consent == nil || t.consent(r)
}
