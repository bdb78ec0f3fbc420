package dashboard_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// overflow is what the browser measures of a page's width.
type overflow struct {
	ScrollWidth     int      `json:"scrollWidth"`     // of the document
	BodyScrollWidth int      `json:"bodyScrollWidth"` // of the body
	ClientWidth     int      `json:"clientWidth"`     // of the window's layout viewport
	Offenders       []string `json:"offenders"`       // elements that stick out of the window, or cut their content off
	Scrollers       []string `json:"scrollers"`       // boxes that scroll sideways (wide tables), within the window
	Checked         int      `json:"checked"`
}

// overflowJS measures the page: the document's and the body's scroll width against
// the window, every element outside a sideways-scrolling box whose box passes the
// window's edges, every box that clips its content (overflow hidden) sideways, and
// the boxes that scroll sideways.
const overflowJS = `(() => {
  const vw = document.documentElement.clientWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const out = {scrollWidth: document.documentElement.scrollWidth, bodyScrollWidth: document.body.scrollWidth, clientWidth: vw, offenders: [], scrollers: [], checked: 0};
  for (const el of document.body.querySelectorAll("*")) {
    let inside = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX;
      if (ox !== "visible" || p instanceof SVGElement) { inside = true; break; }
    }
    if (inside) continue;
    const cs = getComputedStyle(el);
    if (cs.display === "none" || cs.visibility === "hidden") continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    out.checked++;
    if (r.right > vw + 0.5 || r.left < -0.5) out.offenders.push(name(el) + " spans " + Math.round(r.left) + ".." + Math.round(r.right) + " px");
    if (!(el instanceof SVGElement) && !el.matches("input, textarea, select") && el.scrollWidth > el.clientWidth + 1) {
      if (cs.overflowX === "auto" || cs.overflowX === "scroll") out.scrollers.push(name(el) + " " + el.scrollWidth + " in " + el.clientWidth + " px");
      else if (cs.overflowX === "hidden" || cs.overflowX === "clip") out.offenders.push(name(el) + " cuts off its content: " + el.scrollWidth + " in " + el.clientWidth + " px");
    }
  }
  return out;
})()`

// checkNoOverflow checks that the page in the browser is no wider than the window:
// the document does not scroll sideways, no element sticks out, none cuts its
// content off, and the full-page screenshot is exactly the window's width.
func checkNoOverflow(t *testing.T, b *browser, name string, width int64) {
	t.Helper()
	o := eval[overflow](b, overflowJS)
	assert.EqualValues(t, width, o.ClientWidth, "%s: the window is %d px", name, width)
	assert.LessOrEqual(t, o.ScrollWidth, o.ClientWidth, "%s at %d px: the page scrolls sideways", name, width)
	assert.LessOrEqual(t, o.BodyScrollWidth, o.ClientWidth, "%s at %d px: the body is wider than the window", name, width)
	assert.Empty(t, o.Offenders, "%s at %d px: elements past the window's edge", name, width)
	assert.Greater(t, o.Checked, 5, "%s: the page has content", name)
	for _, s := range o.Scrollers {
		t.Logf("%s at %d px scrolls inside its box: %s", name, width, s)
	}
	img := b.screenshot(name, width)
	assert.EqualValues(t, width, img.Bounds().Dx(), "%s at %d px: the screenshot is as wide as the window", name, width)
	assert.Greater(t, countColours(img), 20, "%s: the screenshot shows a rendered page", name)
}

// TestBrowserLayout loads every kind of page of the demo at 1400 and 400 pixels and
// checks that none is wider than the window: the index, each test's page, the
// Bayesian view, a date range, every breakdown the page offers (each rollup, and
// whatever else its breakdown control lists), and an error page.
func TestBrowserLayout(t *testing.T) {
	srv, _ := demoServer(t, 20000)
	b := newBrowser(t)
	require.EqualValues(t, 200, b.load(srv.URL+testPath("red checkout form", ""), 1400))
	breakdowns := eval[[]string](b, `[...document.querySelectorAll("form.controls select[name=breakdown] option")].map(o => o.value).filter(v => v)`)
	require.Contains(t, breakdowns, "browser")
	require.Contains(t, breakdowns, "site", "the breakdown by site")
	pages := map[string]string{
		"index":            "/",
		"red checkout":     testPath("red checkout form", ""),
		"homepage hero":    testPath("homepage hero", ""),
		"free shipping":    testPath("free shipping threshold", ""),
		"bayesian":         testPath("red checkout form", "stats=bayesian"),
		"date range":       testPath("red checkout form", "from=2024-03-04&to=2024-03-06"),
		"three variants":   testPath("homepage hero", "breakdown=browser&stats=bayesian"),
		"error":            testPath("red checkout form", "stats=maybe"),
		"not found":        "/tests/nothing",
		"breakdown+site 1": testPath("red checkout form", "breakdown=browser&site=1"),
		"sites+range":      testPath("homepage hero", "breakdown=site&from=2024-03-05&stats=bayesian"),
	}
	for _, bd := range breakdowns {
		pages["breakdown "+bd] = testPath("red checkout form", "breakdown="+url.QueryEscape(bd))
	}
	for _, width := range []int64{1400, 400} {
		for name, path := range pages {
			status := b.load(srv.URL+path, width)
			switch name {
			case "error":
				require.EqualValues(t, 400, status, name)
			case "not found":
				require.EqualValues(t, 404, status, name)
			default:
				require.EqualValues(t, 200, status, name)
			}
			checkNoOverflow(t, b, name, width)
			if errs := b.consoleErrors(); status == 200 {
				assert.Empty(t, errs, name)
			}
		}
	}
}
