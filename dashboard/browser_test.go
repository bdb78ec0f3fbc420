package dashboard_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/dashboard"
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

// TestBrowserRendersTheDashboard loads the test page of the clickstream fixture in
// headless Chromium, checks the numbers and the chart in the DOM it rendered, and takes
// a screenshot.
func TestBrowserRendersTheDashboard(t *testing.T) {
	bin := chromium(t)
	srv := clickstreamServer(t, dashboard.Options{}) // listens on 127.0.0.1
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	url := srv.URL + testPath(redCheckout, "chart=completed+checkout")

	// One browser run (its start-up dominates) prints the DOM and writes the screenshot.
	shot := filepath.Join(t.TempDir(), "dashboard.png")
	dom := runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,1600", "--dump-dom", url)
	require.Contains(t, dom, "<h1>red checkout form</h1>", "the page loaded")
	checkFixtureNumbers(t, dom, expectedAnswers(t), fixtureVisitors(t, redCheckout))

	svg := chartSVG(dom)
	require.NotEmpty(t, svg, "the chart #daily-chart is in the DOM")
	assert.Equal(t, 2, strings.Count(svg, `<g class="series `), "one series per population")
	assert.Equal(t, 2, strings.Count(svg, "<circle"), "one day of data per population")
	assert.Regexp(t, `<path d="M[0-9.]+ [0-9.]+">`, svg)
	assert.Contains(t, svg, "False, Wed 1969-12-31: 100.00% (2 of 2)")

	f, err := os.Open(shot)
	require.NoError(t, err, "the screenshot was written")
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, "the screenshot is a PNG")
	b := img.Bounds()
	assert.GreaterOrEqual(t, b.Dx(), 1000)
	assert.GreaterOrEqual(t, b.Dy(), 1000)
	// A rendered page has many colours; a blank or failed one has one or two.
	colours := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	assert.Greater(t, len(colours), 20, "the screenshot shows a rendered page")

	if dir := os.Getenv(envScreenshotDir); dir != "" {
		data, err := os.ReadFile(shot)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "dashboard.png"), data, 0o644))
	}
}
