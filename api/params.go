package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// Request bounds.
const (
	// MaxURLLength is the longest request URI (path and query) accepted; longer ones get
	// 414.
	MaxURLLength = 8192
	// DefaultMaxGoals is the default bound on the goals of one results request.
	DefaultMaxGoals = 100
	// MaxDeadLetters is the most dead letters one request may ask for.
	MaxDeadLetters = 1000
)

// requestError is an error answered with a status and a message for the client.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// values parses the query string of r, allowing only the given parameters, each at most
// once except those listed as repeatable, and each value at most
// messages.MaxFieldLength characters of valid UTF-8 (a repeatable list parameter is
// checked per element by its reader instead).
func values(r *http.Request, allowed []string, repeatable ...string) (url.Values, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("malformed query string: %v", err)
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return nil, badRequest("unknown parameter %q: this endpoint takes no parameters", clip(k))
			}
			return nil, badRequest("unknown parameter %q (this endpoint takes %s)", clip(k), strings.Join(allowed, ", "))
		}
		list := slices.Contains(repeatable, k)
		if len(v[k]) > 1 && !list {
			return nil, badRequest("parameter %q is given %d times; give it once", k, len(v[k]))
		}
		for _, s := range v[k] {
			if !utf8.ValidString(s) {
				return nil, badRequest("parameter %q is not valid UTF-8", k)
			}
			if !list {
				if err := checkLength(k, s); err != nil {
					return nil, err
				}
			}
		}
	}
	return v, nil
}

// checkLength bounds a parameter value like a log field.
func checkLength(name, s string) error {
	if len(s) > messages.MaxFieldLength && utf8.RuneCountInString(s) > messages.MaxFieldLength {
		return badRequest("parameter %q is longer than %d characters", name, messages.MaxFieldLength)
	}
	return nil
}

// clip shortens a client-supplied string for an error message.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	for i := n; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}

// ParseSite reads a site parameter: an integer site id, or "" or "all" for every site
// (nil).
func ParseSite(s string) (*int64, error) {
	if s == "" || s == "all" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("site must be an integer site id or \"all\", not %q", clip(s))
	}
	return &n, nil
}

// SplitGoals splits comma-separated goal lists into goal names, trimming spaces and
// dropping empty names; it fails when there are more than max goals or a name is
// longer than messages.MaxFieldLength characters.
func SplitGoals(lists []string, max int) ([]string, error) {
	var goals []string
	for _, l := range lists {
		for g := range strings.SplitSeq(l, ",") {
			g = strings.TrimSpace(g)
			if g == "" {
				continue
			}
			if len(goals) == max {
				return nil, fmt.Errorf("too many goals: at most %d per request", max)
			}
			if utf8.RuneCountInString(g) > messages.MaxFieldLength {
				return nil, fmt.Errorf("goal %q is longer than %d characters", clip(g), messages.MaxFieldLength)
			}
			goals = append(goals, g)
		}
	}
	return goals, nil
}

// selection reads goal, test, population, rollup, bucket and site.
func selection(v url.Values) (persistence.Query, error) {
	q := persistence.Query{
		Goal: v.Get("goal"), Test: v.Get("test"), Population: v.Get("population"),
		Rollup: v.Get("rollup"), Bucket: v.Get("bucket"),
	}
	if (q.Test == "") != (q.Population == "") {
		return q, badRequest("a variant needs both test and population")
	}
	site, err := ParseSite(v.Get("site"))
	if err != nil {
		return q, badRequest("%v", err)
	}
	q.Site = site
	return q, nil
}
