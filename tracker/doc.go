// Package tracker is the front end of Manhattan for Go web applications: a net/http
// middleware that gives every browser a visitor id in a signed cookie, records page
// views, tracking-pixel hits, goal conversions and split-test impressions as version-1
// event-log lines, and injects the tracking pixel into HTML pages.
//
//	t, err := tracker.New(tracker.Options{Secret: secret, LogBase: "log/manhattan.log"})
//	...
//	http.ListenAndServe(addr, t.Middleware(mux))
//
//	// in a handler:
//	v := tracker.FromContext(r.Context())
//	if v.Split("red checkout button") == tracker.SplitTrue { ... }
//	v.Goal("purchase", tracker.WithValue(total, tracker.Sum, tracker.Currency))
//
// # Visitor cookie
//
// The cookie (default name "manhattan") holds "<vid>.<sig>": vid is 32 lowercase hex
// digits (128 random bits from crypto/rand) and sig is the unpadded base64url encoding of
// HMAC-SHA256(secret, vid). A cookie is accepted only when its signature matches, compared
// in constant time (hmac.Equal). A missing, mangled or forged cookie is never an error:
// the request gets a fresh vid and a new cookie (Path=/, HttpOnly, SameSite=Lax, Secure
// when the request came over TLS or a trusted proxy says X-Forwarded-Proto: https,
// Max-Age 400 days, the longest browsers keep). The cookie
// is set when a new vid is issued and again on every pixel request of a known visitor, so
// that a browser that keeps coming back keeps its id. Changing the secret invalidates every
// cookie, so every returning browser becomes a new visitor.
//
// # Consent and ignored paths
//
// Options.Consent (and Options.RespectDoNotTrack, for "DNT: 1" and "Sec-GPC: 1") decide per
// request whether it may be tracked at all: without consent nothing is recorded, no cookie
// is set, no pixel injected, and the handler's Visitor is the no-op one. Options.IgnorePaths
// (default DefaultIgnorePaths: /favicon.ico, /robots.txt, …) names paths that are no page
// views: they record no page and get no pixel, while goals recorded through their Visitor
// are still written.
//
// # What is recorded
//
//   - page: every GET or POST that is not a preview or prefetch (X-Purpose: preview,
//     Purpose: prefetch, Sec-Purpose: prefetch..., X-Moz: prefetch), not an ignored path
//     and not the pixel itself, with the client IP, method, full URL, user agent and
//     referer.
//   - pixel: a GET of the pixel path by a browser that sent a valid cookie. A pixel
//     request without a valid cookie is answered with the image and a new cookie but
//     records nothing: the pixel is the proof that a visitor who was already given an id
//     loads images and keeps cookies, which robots do not. A pixel for a vid that has no
//     page would mark nobody human anyway.
//   - goal and split: through the Visitor in the request context.
//
// The site id comes from the request's Host (port removed, case ignored) through
// Options.Sites; unknown hosts are site 0. The client IP is the peer address, or, when
// the peer is one of Options.TrustedProxies, the right-most X-Forwarded-For entry that is
// not itself a trusted proxy. Timestamps are decimal seconds with four fractional digits.
// Fields longer than the log's field limit (messages.MaxFieldLength characters) are cut
// to it and NUL characters dropped, so that every line the tracker writes is one the
// backend accepts. Goal, test and population names that are empty, too long or hold a
// NUL are refused (reported to Options.ErrorLog, nothing written).
//
// Records are buffered per request and written together, in one Append, when the handler
// returns (Options.Immediate writes each record at once instead). A record made through a
// Visitor after its request ended is written at once. A write that fails is reported to
// Options.ErrorLog; the request never fails because the log cannot be written.
//
// # Split tests
//
// The population a visitor gets in a test depends only on the visitor id, the test name
// and the populations, never on the secret, the process, the machine or the version:
//
//	h := SHA-256("manhattan-split" + "\x00" + test + "\x00" + vid)
//	u := the first 8 bytes of h as a big-endian uint64
//
// Split(test, p1, ..., pn) returns p[i] with i = floor(u * n / 2^64) (the high word of
// the 128-bit product), which is uniform over the list in the order given. With no
// populations it is Split(test, SplitTrue, SplitFalse), a 50/50 "True"/"False" test (the
// names the original Manhattan wrote). SplitWeighted(test, weights) takes the keys with a
// positive finite weight in byte-wise sorted order, x = (u >> 11) / 2^53 (uniform in
// [0, 1)) and returns the first key whose cumulative weight exceeds x times the total.
// Adding a population therefore reassigns visitors; keep the list fixed while a test runs.
// Each test is recorded once per request, however often it is asked for. Assign and
// AssignWeighted compute the same assignments without a request, for other programs and
// offline analysis.
//
// # Pixel injection
//
// In a text/html response (neither compressed, partial nor to a HEAD request) the tag
//
//	<img src="PIXEL" width="1" height="1" alt="" style="position:absolute;left:-9999px">
//
// is inserted once, before the last "</body>" (any case). The body is streamed: only the
// bytes from the latest "</body>" seen so far, or a tail of at most six bytes that may
// begin one, are held back until more arrives or the handler returns; Flush passes
// through. When more than 64 KiB follow a "</body>", the tag goes before that one and the
// rest streams unchanged. A handler's Content-Length is removed from responses that may be
// modified; other responses pass through untouched. A page without "</body>" gets no tag.
// Put compressing middleware outside this one: a body with a Content-Encoding is never
// modified.
package tracker
