package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// settingsSubmit is the settings form's button.
const settingsSubmit = `#settings-form button[type=submit]`

// typeInto empties the form field sel and types text into it.
func typeInto(sel, text string) chromedp.Action[chromedp.Void] {
	clear := chromedp.Evaluate[bool](fmt.Sprintf(`(e => { e.value = ""; return true; })(document.querySelector(%q))`, sel))
	steps := []chromedp.Action[chromedp.Void]{chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := clear(ctx, t)
		return err
	})}
	if text != "" {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(sel), text))
	}
	return chromedp.Steps(steps...)
}

// choose picks the option value of the select sel.
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), value)
}

// fieldValues reads the settings form's fields as the browser has them.
func fieldValues(b *browser) map[string]string {
	b.t.Helper()
	return eval[map[string]string](b, `Object.fromEntries([...document.getElementById("settings-form").elements].filter(e => e.name).map(e => [e.name, e.type === "checkbox" ? String(e.checked) : e.value]))`)
}

// TestBrowserEditsSettings fills in the demo page's settings form in headless
// Chromium, clicks its button, and checks that the page that reloads shows the new
// settings applied: the control, the verdict on the new primary goal, the guardrail
// checked, the correction, the sequential intervals, the status and the notes, and
// the form holding the saved values. A value the API refuses is shown next to the
// button, and nothing changes.
func TestBrowserEditsSettings(t *testing.T) {
	srv, svc := demoServer(t, 20000)
	const test = "red checkout form"
	b := newBrowser(t)
	require.EqualValues(t, 200, b.load(srv.URL+testPath(test, ""), 1400))
	require.Equal(t, "running", b.text("#status"))
	before := fieldValues(b)
	require.Equal(t, "false", before["control"])
	require.Equal(t, "completed checkout", before["primary_goal"])
	require.Equal(t, "false", before["sequential"])

	b.do(
		choose(`#settings-form select[name=control]`, "true"),
		choose(`#settings-form select[name=primary_goal]`, "began checkout"),
		typeInto(`#settings-form input[name=secondary_goals]`, ""),
		typeInto(`#settings-form input[name=guardrail_goals]`, "payment failed:lower-is-better"),
		choose(`#settings-form select[name=correction]`, "bh"),
		choose(`#settings-form select[name=status]`, "shipped"),
		chromedp.Click(chromedp.CSS(`#settings-form input[name=sequential]`)),
		typeInto(`#settings-form textarea[name=notes]`, "Shipped on Monday & <b>kept</b>."),
	)
	b.andWaitForLoad(chromedp.Click(chromedp.CSS(settingsSubmit)))

	assert.Equal(t, "shipped", b.text("#status"))
	assert.Equal(t, "badge status-shipped", eval[string](b, `document.getElementById("status").className`))
	assert.Contains(t, b.text("p.meta"), "Control true (configured)")
	assert.Regexp(t, `^[^:]* on began checkout`, b.text("#verdict-headline"), "the verdict is on the new primary goal")
	assert.Regexp(t, `^(No guardrail worse \(1 checked\)|Guardrail broken: payment failed)`, b.text("#verdict-guardrails"))
	assert.Equal(t, "Shipped on Monday & <b>kept</b>.", b.text("p.notes"), "the notes, as text")
	assert.Equal(t, 0, eval[int](b, `document.querySelectorAll("p.notes b").length`), "no markup from the notes")
	assert.Contains(t, eval[[]string](b, `[...document.querySelectorAll("#results th")].map(th => th.textContent)`), "corrected p")
	assert.Contains(t, b.text("#results-h ~ p.note, .results-card p.note"), "always-valid, sequential")
	assert.Equal(t, "primary", eval[string](b, `document.querySelector('#results tr[data-goal="began checkout"][data-population="true"]').dataset.role`))
	assert.Equal(t, "control", eval[string](b, `document.querySelector('#results tr[data-goal="began checkout"][data-population="true"]').dataset.judged`), "true is the control now")
	after := fieldValues(b)
	for k, v := range map[string]string{"control": "true", "primary_goal": "began checkout", "secondary_goals": "",
		"guardrail_goals": "payment failed:lower-is-better", "correction": "bh", "status": "shipped", "sequential": "true",
		"notes": "Shipped on Monday & <b>kept</b>."} {
		assert.Equal(t, v, after[k], "the form shows the saved %s", k)
	}
	cfg, err := svc.TestConfig(t.Context(), test)
	require.NoError(t, err)
	assert.Equal(t, "shipped", cfg.Status, "stored")

	// A weight the API refuses: the message shows next to the button; nothing is saved.
	b.do(typeInto(`#settings-form input[name=weights]`, "true=-1"), choose(`#settings-form select[name=status]`, "stopped"))
	b.do(chromedp.Click(chromedp.CSS(settingsSubmit)))
	b.waitUntil(`document.getElementById("settings-status").textContent.startsWith("Not saved")`)
	msg := b.text("#settings-status")
	assert.Contains(t, msg, "Not saved (400)")
	assert.Contains(t, msg, "weight", "the API's reason: %s", msg)
	assert.True(t, eval[bool](b, `(() => { const r = document.getElementById("settings-status").getBoundingClientRect(); return r.width > 0 && r.height > 0; })()`), "the message is shown")
	cfg, err = svc.TestConfig(t.Context(), test)
	require.NoError(t, err)
	assert.Equal(t, "shipped", cfg.Status, "nothing was saved")
	for _, e := range b.consoleErrors() {
		assert.Contains(t, e, "status of 400", "the only error is the refused save")
	}
}

// tokenBrowser answers the browser's password prompts (basic authentication) with the
// token it holds, as a user types it in.
type tokenBrowser struct {
	mu    sync.Mutex
	token string
	asked int
}

func (tb *tokenBrowser) prompted() int {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.asked
}

// giveToken makes b answer password prompts with tb's token.
func giveToken(t *testing.T, b *browser, tb *tokenBrowser) {
	t.Helper()
	paused := chromedp.Events(b.ctx, fetch.RequestPaused)
	auth := chromedp.Events(b.ctx, fetch.AuthRequired)
	_, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{HandleAuthRequests: new(true)})
	require.NoError(t, err)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(b.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		}
	}()
	go func() {
		for ev, err := range auth {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.asked++
			resp := &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseProvideCredentials, Username: "analyst", Password: tb.token}
			tb.mu.Unlock()
			_, _ = chromedp.Call(b.ctx, fetch.ContinueWithAuth, fetch.ContinueWithAuthParams{RequestID: ev.RequestID, AuthChallengeResponse: resp})
		}
	}()
}

// TestBrowserSettingsBehindTheToken serves the demo behind a token: the browser is
// asked for it, and the settings form saves with it. Then the server's token changes
// while the page is open: saving is refused, the page says so, and nothing changes.
func TestBrowserSettingsBehindTheToken(t *testing.T) {
	d := newDemo(t, 20000)
	const test = "red checkout form"
	first, second := "first-token-0123456789", "second-token-0123456789"
	var current atomic.Pointer[http.Handler]
	serve := func(token string) {
		h := d.api(t, token)
		current.Store(&h)
	}
	serve(first)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*current.Load()).ServeHTTP(w, r) }))

	code, _, _ := get(t, srv, testPath(test, ""))
	require.Equal(t, http.StatusUnauthorized, code, "the page needs the token")

	b := newBrowser(t)
	tb := &tokenBrowser{token: first}
	giveToken(t, b, tb)
	require.EqualValues(t, 200, b.load(srv.URL+testPath(test, ""), 1400))
	require.Positive(t, tb.prompted(), "the browser was asked for the token")
	require.Equal(t, "running", b.text("#status"))

	b.do(choose(`#settings-form select[name=status]`, "stopped"), typeInto(`#settings-form textarea[name=notes]`, "paused for the sale"))
	b.andWaitForLoad(chromedp.Click(chromedp.CSS(settingsSubmit)))
	assert.Equal(t, "stopped", b.text("#status"), "saved with the token the browser was given")
	assert.Equal(t, "paused for the sale", b.text("p.notes"))
	assert.Empty(t, b.consoleErrors())

	// The server now wants another token; the open page still has the first one.
	serve(second)
	b.do(choose(`#settings-form select[name=status]`, "shipped"))
	b.do(chromedp.Click(chromedp.CSS(settingsSubmit)))
	b.waitUntil(`document.getElementById("settings-status").textContent.startsWith("Not saved")`)
	msg := b.text("#settings-status")
	assert.Contains(t, msg, "Not saved (401)", "the refusal is shown")
	assert.Contains(t, msg, "token", msg)
	assert.True(t, eval[bool](b, `(() => { const r = document.getElementById("settings-status").getBoundingClientRect(); return r.width > 0 && r.height > 0; })()`), "the message is shown")
	cfg, err := d.svc.TestConfig(t.Context(), test)
	require.NoError(t, err)
	assert.Equal(t, "stopped", cfg.Status, "the refused edit changed nothing")
	for _, e := range b.consoleErrors() {
		assert.True(t, strings.Contains(e, "status of 401"), "the only error is the refused save: %s", e)
	}
}
