package rollups

import "strings"

// Browser families, the buckets of a browser rollup.
const (
	BrowserChrome  = "Chrome"
	BrowserSafari  = "Safari"
	BrowserFirefox = "Firefox"
	BrowserIE      = "IE"
	BrowserUnknown = "Unknown"
)

// BrowserOf classifies a user agent by substring, tested in this order: "Chrome",
// "Safari", "Firefox", then "MSIE" or "Trident" for Internet Explorer; anything else is
// "Unknown". The order matters: a Chrome agent also says Safari. (The original backend
// tested only "MSIE"; "Trident" adds Internet Explorer 11, whose agent lacks it.)
func BrowserOf(ua string) string {
	switch {
	case strings.Contains(ua, "Chrome"):
		return BrowserChrome
	case strings.Contains(ua, "Safari"):
		return BrowserSafari
	case strings.Contains(ua, "Firefox"):
		return BrowserFirefox
	case strings.Contains(ua, "MSIE"), strings.Contains(ua, "Trident"):
		return BrowserIE
	}
	return BrowserUnknown
}

type browserRollup struct{ key string }

// NewBrowser returns a rollup whose bucket is the browser family (BrowserOf) of the
// visitor's first user agent, or "" when the visitor has none yet.
func NewBrowser(key string) Rollup { return browserRollup{key: key} }

func (r browserRollup) Key() string { return r.key }

func (r browserRollup) Bucket(_ int64, v Visitor) string {
	if v == nil {
		return ""
	}
	ua, ok := v.FirstUserAgent()
	if !ok {
		return ""
	}
	return BrowserOf(ua)
}
