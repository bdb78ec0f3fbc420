package tracker

import (
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/manhattan-analytics/manhattan/eventlog"
)

// Writer appends complete log lines, each ending in "\n", to the event log; now is the
// time of writing (it chooses the hourly file). *eventlog.Writer implements it. It must
// be safe for concurrent use.
type Writer interface {
	Append(now time.Time, lines []byte) error
}

// Defaults of Options.
const (
	DefaultPixelPath  = "/manhattan/pixel.gif"
	DefaultCookieName = "manhattan"
	// MinSecretLength is the shortest secret New accepts, in bytes.
	MinSecretLength = 16
	// CookieMaxAge is how long the visitor cookie lives: 400 days, the longest that
	// browsers keep a cookie. Every pixel request of a known visitor sets it again, so a
	// browser that keeps coming back keeps its id.
	CookieMaxAge = 400 * 24 * time.Hour
)

// DefaultIgnorePaths are the paths that Options.IgnorePaths means when it is nil: files
// that browsers and crawlers fetch on their own, which no person asked to see.
var DefaultIgnorePaths = []string{
	"/favicon.ico",
	"/robots.txt",
	"/sitemap.xml",
	"/apple-touch-icon*.png",
	"/browserconfig.xml",
	"/site.webmanifest",
	"/manifest.json",
	"/.well-known/",
}

// Options configure a Tracker.
type Options struct {
	// Secret signs the visitor cookie (HMAC-SHA256). Required, at least MinSecretLength
	// bytes; keep it fixed, since a new secret turns every browser into a new visitor.
	Secret []byte

	// Writer receives the log lines. When nil, the tracker writes to the hourly files of
	// LogBase through an eventlog.Writer of its own (closed by Tracker.Close). Exactly one
	// of Writer and LogBase must be set.
	Writer  Writer
	LogBase string

	// Sites maps a request's host name (without port, any case) to a site id; hosts not
	// in the map are site 0.
	Sites map[string]int64

	// PixelPath is the URL path of the tracking pixel; default DefaultPixelPath.
	PixelPath string
	// CookieName is the visitor cookie's name; default DefaultCookieName.
	CookieName string

	// TrustedProxies lists the proxies (CIDR prefixes such as "10.0.0.0/8" or single
	// addresses) whose X-Forwarded-For and X-Forwarded-Proto headers are believed.
	TrustedProxies []string

	// IgnorePaths lists URL paths that are not page views: static files, health checks.
	// An entry ending in "/" matches every path under it ("/static/"); any other entry is a
	// path.Match pattern matched against the whole path ("/favicon.ico", "/*.css",
	// "/apple-touch-icon*.png"). Nil means DefaultIgnorePaths; an empty non-nil slice
	// ignores nothing. An ignored request still has its Visitor (goals and splits recorded
	// through it are written) but records no page and gets no pixel.
	IgnorePaths []string

	// Consent, when set, is asked for every request; when it returns false the tracker
	// records nothing for the request and sets no cookie: the handler sees the no-op
	// Visitor (FromContext), whose splits return the first population. Use it for a
	// consent banner's answer (e.g. a cookie of your own) or any other rule.
	Consent func(r *http.Request) bool
	// RespectDoNotTrack treats a request carrying "DNT: 1" or "Sec-GPC: 1" (Global Privacy
	// Control) like one without consent. It applies before Consent.
	RespectDoNotTrack bool

	// Immediate writes every record as it is made instead of once per request.
	Immediate bool

	// Now returns the current time; default time.Now. For tests.
	Now func() time.Time
	// ErrorLog receives failures to write the log and refused records; default: logged
	// with slog.Default. It is called from request goroutines and must be safe for that.
	ErrorLog func(error)
}

// Tracker records the events of a web application. It is safe for concurrent use.
type Tracker struct {
	secret     []byte
	macs       sync.Pool // of hash.Hash: HMAC-SHA256 keyed with secret
	writer     Writer
	owned      *eventlog.Writer // the writer New opened, closed by Close
	sites      map[string]int64
	pixelPath  string
	pixelTag   []byte
	cookieName string
	trusted    []netip.Prefix
	ignore     []string
	consent    func(*http.Request) bool
	dnt        bool
	immediate  bool
	now        func() time.Time
	errorLog   func(error)
}

// New checks opts and returns a Tracker.
func New(opts Options) (*Tracker, error) {
	if len(opts.Secret) < MinSecretLength {
		return nil, fmt.Errorf("tracker: the secret has %d bytes, it needs at least %d", len(opts.Secret), MinSecretLength)
	}
	t := &Tracker{
		secret:     append([]byte(nil), opts.Secret...),
		sites:      make(map[string]int64, len(opts.Sites)),
		pixelPath:  opts.PixelPath,
		cookieName: opts.CookieName,
		immediate:  opts.Immediate,
		consent:    opts.Consent,
		dnt:        opts.RespectDoNotTrack,
		now:        opts.Now,
		errorLog:   opts.ErrorLog,
	}
	switch {
	case opts.Writer != nil && opts.LogBase != "":
		return nil, errors.New("tracker: set either Writer or LogBase, not both")
	case opts.Writer != nil:
		t.writer = opts.Writer
	case opts.LogBase != "":
		t.owned = eventlog.NewWriter(opts.LogBase)
		t.writer = t.owned
	default:
		return nil, errors.New("tracker: no log: set LogBase (or Writer)")
	}
	for host, id := range opts.Sites {
		h := strings.ToLower(host)
		if other, dup := t.sites[h]; dup && other != id {
			return nil, fmt.Errorf("tracker: host %q is mapped to sites %d and %d", h, other, id)
		}
		t.sites[h] = id
	}
	if t.pixelPath == "" {
		t.pixelPath = DefaultPixelPath
	}
	if !strings.HasPrefix(t.pixelPath, "/") || strings.ContainsAny(t.pixelPath, "?#\"<> \t\r\n") {
		return nil, fmt.Errorf("tracker: pixel path %q must be a plain absolute URL path", t.pixelPath)
	}
	t.pixelTag = []byte(`<img src="` + html.EscapeString(t.pixelPath) + `" width="1" height="1" alt="" style="position:absolute;left:-9999px">`)
	if t.cookieName == "" {
		t.cookieName = DefaultCookieName
	}
	if err := (&http.Cookie{Name: t.cookieName, Value: "x"}).Valid(); err != nil {
		return nil, fmt.Errorf("tracker: cookie name %q: %w", t.cookieName, err)
	}
	for _, s := range opts.TrustedProxies {
		p, err := parsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("tracker: trusted proxy %q: %w", s, err)
		}
		t.trusted = append(t.trusted, p)
	}
	ignore := opts.IgnorePaths
	if ignore == nil {
		ignore = DefaultIgnorePaths
	}
	for _, p := range ignore {
		if !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("tracker: ignored path %q must start with /", p)
		}
		if _, err := path.Match(p, "/"); err != nil {
			return nil, fmt.Errorf("tracker: ignored path %q: %w", p, err)
		}
		if p == t.pixelPath {
			return nil, fmt.Errorf("tracker: ignored path %q is the pixel path", p)
		}
	}
	t.ignore = slices.Clone(ignore)
	if t.now == nil {
		t.now = time.Now
	}
	if t.errorLog == nil {
		t.errorLog = func(err error) { slog.Default().Error("manhattan tracker", slog.Any("err", err)) }
	}
	return t, nil
}

// parsePrefix parses a CIDR prefix or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() {
			if p.Bits() < 96 {
				return netip.Prefix{}, errors.New("an IPv4-mapped prefix shorter than /96")
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// PixelPath returns the URL path the tracker serves the pixel at.
func (t *Tracker) PixelPath() string { return t.pixelPath }

// PixelTag returns the HTML tag the tracker injects into pages, for templates that are
// not served through the middleware.
func (t *Tracker) PixelTag() string { return string(t.pixelTag) }

// Close closes the log writer the tracker opened for Options.LogBase. A Writer given in
// Options is left to its owner. Records made after Close open the log again.
func (t *Tracker) Close() error {
	if t.owned == nil {
		return nil
	}
	return t.owned.Close()
}
