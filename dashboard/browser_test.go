package dashboard_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Environment variables of the browser tests.
const (
	envSkipBrowser   = "MANHATTAN_SKIP_BROWSER"   // "1" skips them
	envChromium      = "MANHATTAN_CHROMIUM"       // the browser binary, when not on PATH as chromium
	envScreenshotDir = "MANHATTAN_SCREENSHOT_DIR" // keep the screenshots there
)

// stepTimeout bounds one step of a browser test (a page load, a click and what it
// causes): a browser that hangs fails the test instead of stalling it.
const stepTimeout = 45 * time.Second

// chromium returns the headless browser to test with, failing t with what to install
// when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	if os.Getenv(envSkipBrowser) == "1" {
		t.Skipf("%s=1: skipping the headless browser test", envSkipBrowser)
	}
	if bin := os.Getenv(envChromium); bin != "" {
		return bin
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if bin, err := exec.LookPath(name); err == nil {
			return bin
		}
	}
	t.Fatalf("the browser test needs Chromium: install Debian's chromium package (apt-get install -y chromium), "+
		"set %s to the browser binary, or set %s=1 to skip this test", envChromium, envSkipBrowser)
	return ""
}

// browser is one tab of a headless Chromium, driven over the DevTools protocol: it
// loads pages, types, clicks and presses keys as a user does, and reads the page.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu          sync.Mutex
	console     []string // errors and uncaught exceptions of the pages
	navigations int      // navigations the pages asked for (links, forms, reloads)
}

// newBrowser starts a headless Chromium for t, closed when t ends.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	bin := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("hide-scrollbars", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.Env("HOME="+t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx}
	require.NoError(t, chromedp.Do(ctx), "start Chromium (%s)", bin)
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventFrameRequestedNavigation); ok {
			b.mu.Lock()
			b.navigations++
			b.mu.Unlock()
		}
	}))
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// The page has no icon: the browser's own request of /favicon.ico is not the page's.
			if (m.Type == chromedp.ConsoleError || m.IsException()) && !strings.HasSuffix(m.URL, "/favicon.ico") {
				b.mu.Lock()
				b.console = append(b.console, m.String()+" ("+m.URL+")")
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// consoleErrors returns the errors the pages wrote to the console since the last
// call.
func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.console
	b.console = nil
	return c
}

// requestedNavigations returns how many navigations the pages asked for so far, after
// letting the page run the tasks its last input queued.
func (b *browser) requestedNavigations() int {
	b.t.Helper()
	run(b, chromedp.Evaluate[bool](`new Promise(r => setTimeout(() => requestAnimationFrame(() => setTimeout(() => r(true), 0)), 0))`, chromedp.EvalAwaitPromise))
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.navigations
}

// do runs steps in the tab, failing the test on an error.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, steps...))
}

// run runs one step that returns a value.
func run[T any](b *browser, step chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, step)
	require.NoError(b.t, err)
	return v
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	return run(b, chromedp.Evaluate[T](js))
}

// load opens url in a window width pixels wide and waits for the page to load; it
// returns the HTTP status of the answer.
func (b *browser) load(url string, width int64) int64 {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(width, 900))
	resp := run(b, chromedp.NavigateResponse(url))
	b.do(chromedp.WaitReady(chromedp.CSS("body")))
	return resp.Status
}

// andWaitForLoad runs step, which makes the tab load a page (a link followed, a form
// submitted, a reload), and waits until that page has loaded.
func (b *browser) andWaitForLoad(step chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	run(b, chromedp.WaitEvent(page.LoadEventFired, nil, step))
	b.do(chromedp.WaitReady(chromedp.CSS("body")))
}

// waitUntil waits until the JavaScript predicate js is true in the page.
func (b *browser) waitUntil(js string) {
	b.t.Helper()
	run(b, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(stepTimeout)))
}

// text returns the text of the first element of the CSS selector sel, "" when none.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel))
}

// screenshot takes a screenshot of the whole page, keeps it in the screenshot folder
// when one is set (as dashboard-NAME-WIDTH.png), and returns its image.
func (b *browser) screenshot(name string, width int64) image.Image {
	b.t.Helper()
	data := run(b, chromedp.FullScreenshot(100))
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(b.t, err, "the screenshot is a PNG")
	if dir := os.Getenv(envScreenshotDir); dir != "" {
		file := filepath.Join(dir, fmt.Sprintf("dashboard-%s-%d.png", strings.NewReplacer("/", "-", " ", "-", "?", "-", "=", "-", "&", "-").Replace(name), width))
		require.NoError(b.t, os.WriteFile(file, data, 0o644))
	}
	return img
}

// countColours counts the distinct colours of a sample of img's pixels.
func countColours(img image.Image) int {
	bd := img.Bounds()
	colours := map[uint32]bool{}
	for y := bd.Min.Y; y < bd.Max.Y; y += 4 {
		for x := bd.Min.X; x < bd.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	return len(colours)
}
