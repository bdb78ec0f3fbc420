package dashboard_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// focused is the element that has the keyboard focus, as the browser shows it.
type focused struct {
	Tag          string  `json:"tag"`
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Text         string  `json:"text"`
	Href         string  `json:"href"`
	FocusVisible bool    `json:"focusVisible"` // :focus-visible matches
	Outline      string  `json:"outline"`      // its computed outline style
	OutlineWidth float64 `json:"outlineWidth"` // in px
	InView       bool    `json:"inView"`       // within the window
	ClippedBy    string  `json:"clippedBy"`    // an ancestor that cuts its focus ring off
}

func (f focused) String() string {
	return fmt.Sprintf("<%s id=%q name=%q href=%q> %q", f.Tag, f.ID, f.Name, f.Href, f.Text)
}

// focusedJS describes document.activeElement: what it is, whether its focus ring is
// drawn (the :focus-visible outline), within the window, and not cut off by an
// ancestor that hides its overflow.
const focusedJS = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return {tag: "body"};
  const cs = getComputedStyle(e), r = e.getBoundingClientRect();
  const w = parseFloat(cs.outlineWidth) || 0, off = parseFloat(cs.outlineOffset) || 0, ext = cs.outlineStyle === "none" ? 0 : w + off;
  let clippedBy = "";
  for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
    const ps = getComputedStyle(p);
    if (ps.overflowX === "visible" && ps.overflowY === "visible") continue;
    const pr = p.getBoundingClientRect();
    if (r.left - ext < pr.left - 0.5 || r.right + ext > pr.right + 0.5 || r.top - ext < pr.top - 0.5 || r.bottom + ext > pr.bottom + 0.5) {
      clippedBy = p.tagName.toLowerCase() + (p.className ? "." + String(p.className).trim().split(/\s+/).join(".") : "");
      break;
    }
  }
  return {tag: e.tagName.toLowerCase(), id: e.id, name: e.name || "", text: (e.textContent || "").trim().slice(0, 60),
    href: e.getAttribute("href") || "", focusVisible: e.matches(":focus-visible"), outline: cs.outlineStyle, outlineWidth: w,
    inView: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth, clippedBy};
})()`

// tabTo presses Tab until the focused element satisfies want, checking on the way
// that every element the keyboard reaches shows that it has the focus. It fails the
// test after max presses.
func tabTo(t *testing.T, b *browser, what string, max int, want func(focused) bool) focused {
	t.Helper()
	for range max {
		b.do(chromedp.KeyEvent(kb.Tab))
		f := eval[focused](b, focusedJS)
		if f.Tag == "body" {
			continue
		}
		assert.True(t, f.Outline != "none" && f.OutlineWidth >= 2, "%s: a focus ring is drawn (outline %s %.0f px)", f, f.Outline, f.OutlineWidth)
		assert.True(t, f.InView, "%s: the focused element is scrolled into the window", f)
		assert.Empty(t, f.ClippedBy, "%s: its focus ring is not cut off", f)
		if want(f) {
			return f
		}
	}
	t.Fatalf("%s is not reached with %d presses of Tab", what, max)
	return focused{}
}

// TestBrowserKeyboard uses the dashboard with the keyboard alone, in headless
// Chromium: from the index to a test's page by its link, the frequentist / Bayesian
// switch, a breakdown chosen in the page's controls, and the settings form filled in
// and saved, every focused element showing its focus ring.
func TestBrowserKeyboard(t *testing.T) {
	srv, svc := demoServer(t, 20000)
	const test = "red checkout form"
	b := newBrowser(t)

	// The index: Tab to the test's link, Enter follows it.
	require.EqualValues(t, 200, b.load(srv.URL+"/", 1400))
	tabTo(t, b, "the test's link", 20, func(f focused) bool { return f.Tag == "a" && f.Text == test })
	b.andWaitForLoad(chromedp.KeyEvent(kb.Enter))
	require.Equal(t, srv.URL+testPath(test, ""), run(b, chromedp.Location()))
	assert.True(t, strings.HasPrefix(b.text("h1"), test), b.text("h1"))

	// The view switch: Enter on Bayesian, then on Frequentist.
	tabTo(t, b, "the Bayesian view", 30, func(f focused) bool { return f.ID == "view-bayesian" })
	b.andWaitForLoad(chromedp.KeyEvent(kb.Enter))
	assert.Contains(t, run(b, chromedp.Location()), "stats=bayesian")
	assert.Contains(t, eval[[]string](b, `[...document.querySelectorAll("#results th")].map(th => th.textContent)`), "Chance to win")
	tabTo(t, b, "the frequentist view", 30, func(f focused) bool { return f.ID == "view-frequentist" })
	b.andWaitForLoad(chromedp.KeyEvent(kb.Enter))
	assert.NotContains(t, run(b, chromedp.Location()), "stats=")
	assert.Contains(t, eval[[]string](b, `[...document.querySelectorAll("#results th")].map(th => th.textContent)`), "p-value")

	// A breakdown: the arrow keys choose in the control without leaving the page,
	// Enter applies the choice.
	tabTo(t, b, "the breakdown control", 30, func(f focused) bool { return f.Tag == "select" && f.Name == "breakdown" })
	options := eval[[]string](b, `[...document.activeElement.options].map(o => o.value)`)
	require.Greater(t, len(options), 2, "none and at least two breakdowns")
	navigations := b.requestedNavigations()
	b.do(chromedp.KeyEvent(kb.ArrowDown + kb.ArrowDown))
	chosen := eval[string](b, `document.activeElement.value`)
	assert.Equal(t, options[2], chosen, "the arrows step through the breakdowns")
	assert.Equal(t, navigations, b.requestedNavigations(), "choosing with the arrows does not leave the page")
	assert.Equal(t, "breakdown", eval[string](b, `document.activeElement.name`), "the focus stays on the control")
	b.andWaitForLoad(chromedp.KeyEvent(kb.Enter))
	assert.Contains(t, run(b, chromedp.Location()), "breakdown="+chosen)
	assert.Equal(t, "Breakdown by "+chosen, b.text("#break-h"))

	// The settings form: a status chosen with the arrows, the sequential box ticked
	// with Space, notes typed, and the button pressed with Space.
	require.EqualValues(t, 200, b.load(srv.URL+testPath(test, ""), 1400))
	tabTo(t, b, "the status field", 60, func(f focused) bool { return f.Tag == "select" && f.Name == "status" })
	require.Equal(t, "running", eval[string](b, `document.activeElement.value`))
	b.do(chromedp.KeyEvent(kb.ArrowDown))
	require.Equal(t, "stopped", eval[string](b, `document.activeElement.value`))
	tabTo(t, b, "the sequential box", 3, func(f focused) bool { return f.Name == "sequential" })
	b.do(chromedp.KeyEvent(" "))
	require.True(t, eval[bool](b, `document.activeElement.checked`), "Space ticks the box")
	tabTo(t, b, "the notes", 3, func(f focused) bool { return f.Name == "notes" })
	b.do(chromedp.KeyEvent("typed with the keyboard"))
	tabTo(t, b, "the save button", 3, func(f focused) bool { return f.Tag == "button" && f.Text == "Save settings" })
	b.andWaitForLoad(chromedp.KeyEvent(" "))
	assert.Equal(t, "stopped", b.text("#status"))
	assert.Equal(t, "typed with the keyboard", b.text("p.notes"))
	assert.Contains(t, b.text(".results-card p.note"), "always-valid, sequential")
	cfg, err := svc.TestConfig(t.Context(), test)
	require.NoError(t, err)
	assert.Equal(t, "stopped", cfg.Status)
	assert.True(t, cfg.Sequential)
	assert.Empty(t, b.consoleErrors())
}
