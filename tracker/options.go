package tracker

import (
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/netip"
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
	// browsers keep a cookie.
	CookieMaxAge = 400 * 24 * time.Hour
)

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
