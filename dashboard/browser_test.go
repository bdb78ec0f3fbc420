package dashboard_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Environment variables of the browser test.
const (
	envSkipBrowser   = "MANHATTAN_SKIP_BROWSER"   // "1" skips it
	envChromium      = "MANHATTAN_CHROMIUM"       // the browser binary, when not on PATH as chromium
	envScreenshotDir = "MANHATTAN_SCREENSHOT_DIR" // keep the screenshot there
)

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

// runChromium runs the headless browser with args and returns its standard output.
func runChromium(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
		"--hide-scrollbars", "--user-data-dir=" + t.TempDir(),
	}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "chromium %s: %s", strings.Join(args, " "), lastLines(stderr.String(), 20))
	return stdout.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// screenshot loads url in the browser at width and returns its DOM and the PNG's image.
func screenshot(t *testing.T, bin, url string, width int) (string, image.Image) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "page.png")
	dom := runChromium(t, bin, "--screenshot="+shot, fmt.Sprintf("--window-size=%d,2400", width), "--dump-dom", url)
	f, err := os.Open(shot)
	require.NoError(t, err, "the screenshot was written")
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, "the screenshot is a PNG")
	if dir := os.Getenv(envScreenshotDir); dir != "" {
		data, err := os.ReadFile(shot)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("dashboard-%d.png", width)), data, 0o644))
	}
	return dom, img
}

// TestBrowserShowsTheVerdict loads the demo's test page in headless Chromium at 1400
// and 400 pixels and checks the verdict, the badges' meaning, the over-time series
// against the table, and that nothing overflows the window.
func TestBrowserShowsTheVerdict(t *testing.T) {
	bin := chromium(t)
	srv, _ := demoServer(t, 60000) // listens on 127.0.0.1
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	url := srv.URL + testPath("red checkout form", "")
	for _, width := range []int{1400, 400} {
		dom, img := screenshot(t, bin, url, width)
		require.Contains(t, dom, `id="verdict-headline"`, "the page loaded")
		text := html.UnescapeString(dom)
		assert.Regexp(t, `(true is ahead on completed checkout: \+[0-9.]+% \[\+[0-9.]+%, \+[0-9.]+%\], [0-9.]+% chance to win|No clear winner on completed checkout yet)`, text)
		assert.Regexp(t, `(No guardrail worse \(2 checked\)|Guardrail broken: )`, text)
		assert.Contains(t, text, "Sample ratio is sane")
		assert.Contains(t, dom, `class="badge status-running" id="status">running<`)
		checkBadges(t, dom)
		checkOverTime(t, dom)
		b := img.Bounds()
		assert.Equal(t, width, b.Dx(), "the page is no wider than the window")
		assert.Greater(t, countColours(img), 20, "the screenshot shows a rendered page")
	}
}

// checkBadges checks that every verdict badge means what the goal's direction says: a
// guardrail where lower is better that went up is red ("worse"), never green.
func checkBadges(t *testing.T, dom string) {
	t.Helper()
	rows := regexp.MustCompile(`<tr data-goal="([^"]+)" data-role="([^"]+)" data-population="([^"]+)" data-judged="([^"]*)">[\s\S]*?<span class="verdict ([a-z]+)"[^>]*>([^<]*)</span>`).FindAllStringSubmatch(dom, -1)
	require.NotEmpty(t, rows)
	for _, r := range rows {
		judged, class, label := r[4], r[5], r[6]
		assert.Equal(t, judged, class, "row %s/%s", r[1], r[3])
		switch class {
		case "better":
			assert.True(t, strings.HasPrefix(label, "better"), label)
		case "worse":
			assert.True(t, strings.HasPrefix(label, "worse"), label)
		}
	}
}

// checkOverTime checks that the last point of the cumulative rate of every population
// is the rate of the results table (primary goal), and never above 100%.
func checkOverTime(t *testing.T, dom string) {
	t.Helper()
	svg := dom[strings.Index(dom, `id="rate-chart"`):]
	svg = svg[:strings.Index(svg, "</svg>")]
	last := regexp.MustCompile(`data-population="([^"]+)" data-last="([^"]+)"`).FindAllStringSubmatch(svg, -1)
	require.Len(t, last, 2, "one series per population")
	for _, m := range last {
		row := regexp.MustCompile(`data-goal="completed checkout" data-role="primary" data-population="` + regexp.QuoteMeta(m[1]) + `"[\s\S]*?<td class="num mean">([^<]+)`).FindStringSubmatch(dom)
		require.NotNil(t, row, m[1])
		assert.Equal(t, row[1], m[2], "the series of %s ends at the table's figure", m[1])
	}
	for _, m := range regexp.MustCompile(`arrived up to [^:]+: ([0-9.]+)%`).FindAllStringSubmatch(svg, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		assert.LessOrEqual(t, v, 100.0)
	}
}

func countColours(img image.Image) int {
	b := img.Bounds()
	colours := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	return len(colours)
}

// TestBrowserBreakdownAndSettings loads a breakdown by browser in headless Chromium,
// then changes the test's settings the way the page's settings form does (a PATCH of
// the API's config endpoint with the form's fields) and checks the page shows them.
func TestBrowserBreakdownAndSettings(t *testing.T) {
	bin := chromium(t)
	srv, _ := demoServer(t, 20000)
	page := srv.URL + testPath("red checkout form", "breakdown=browser")
	dom := html.UnescapeString(runChromium(t, bin, "--window-size=1400,2400", "--dump-dom", page))
	require.Contains(t, dom, "Breakdown by browser")
	slices := regexp.MustCompile(`<section class="slice" data-bucket="([^"]+)">`).FindAllStringSubmatch(dom, -1)
	require.GreaterOrEqual(t, len(slices), 2, "a slice per browser")
	var names []string
	for _, s := range slices {
		names = append(names, s[1])
	}
	assert.Contains(t, names, "Chrome", "the generated log's user agents include Chrome")
	assert.Contains(t, names, "Firefox")
	slice := dom[strings.Index(dom, `data-bucket="`+slices[0][1]+`"`):]
	assert.Contains(t, slice[:strings.Index(slice, "</section>")], `data-role="primary"`, "each slice has the same table")

	// The form's fields: the settings form sends exactly this body.
	form := regexp.MustCompile(`<form id="settings-form" data-api="([^"]+)">`).FindStringSubmatch(dom)
	require.NotNil(t, form, "the settings form names the API endpoint")
	body := `{"control":"true","primary_goal":"began checkout","secondary_goals":[],"guardrail_goals":[{"goal":"payment failed","lower_is_better":true}],` +
		`"weights":{},"correction":"bh","status":"shipped","sequential":true,"notes":"shipped on Monday"}`
	req, err := http.NewRequest(http.MethodPatch, srv.URL+form[1], strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	dom = html.UnescapeString(runChromium(t, bin, "--window-size=1400,2400", "--dump-dom", srv.URL+testPath("red checkout form", "")))
	assert.Contains(t, dom, `class="badge status-shipped" id="status">shipped<`)
	assert.Contains(t, dom, "Control <strong>true</strong> (configured)")
	assert.Regexp(t, `id="verdict-headline">[^<]*on began checkout`, dom)
	assert.Contains(t, dom, "No guardrail worse (1 checked)")
	assert.Contains(t, dom, "shipped on Monday")
	assert.Contains(t, dom, `<th scope="col" class="num">corrected p</th>`)
	assert.Contains(t, dom, "always-valid, sequential")
}
