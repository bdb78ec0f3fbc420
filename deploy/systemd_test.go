package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var units = []string{"manhattan-run.service", "manhattan-ship.service"}

// buildManhattan builds the command into a temporary folder and returns its path.
func buildManhattan(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "manhattan")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/manhattan").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// TestUnitsVerify runs systemd-analyze verify on each unit, with ExecStart pointing at a
// freshly built binary (verify checks that the command exists and is executable).
func TestUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	bin := buildManhattan(t)
	dir := t.TempDir()
	for _, u := range units {
		b, err := os.ReadFile(filepath.Join("systemd", u))
		require.NoError(t, err)
		text := strings.ReplaceAll(string(b), "/usr/local/bin/manhattan", bin)
		path := filepath.Join(dir, u)
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
		out, err := exec.Command(analyze, "verify", path).CombinedOutput()
		// verify also reports problems of unrelated units on the machine; keep ours.
		var ours []string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, u) {
				ours = append(ours, line)
			}
		}
		assert.Empty(t, ours, "systemd-analyze verify %s", u)
		if err != nil && len(ours) > 0 {
			t.Errorf("systemd-analyze verify %s: %v", u, err)
		}
	}
}

// TestUnitsRunExistingCommands checks that each unit's ExecStart names a command of the
// program (its --help succeeds).
func TestUnitsRunExistingCommands(t *testing.T) {
	bin := buildManhattan(t)
	re := regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/manhattan (\S+)`)
	for _, u := range units {
		b, err := os.ReadFile(filepath.Join("systemd", u))
		require.NoError(t, err)
		m := re.FindStringSubmatch(string(b))
		require.NotNil(t, m, "%s has no ExecStart of manhattan", u)
		out, err := exec.Command(bin, m[1], "--help").CombinedOutput()
		assert.NoError(t, err, "%s: manhattan %s --help: %s", u, m[1], out)
	}
}

// TestEnvironmentFileNamesKnownSettings checks that every variable of the environment file
// is read by `manhattan run` or `manhattan ship` (their --help lists "(env NAME)").
func TestEnvironmentFileNamesKnownSettings(t *testing.T) {
	bin := buildManhattan(t)
	var help strings.Builder
	for _, c := range []string{"run", "ship"} {
		out, _ := exec.Command(bin, c, "--help").CombinedOutput()
		help.Write(out)
	}
	f, err := os.Open(filepath.Join("systemd", "manhattan.env"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, ok := strings.Cut(line, "=")
		require.True(t, ok, "not NAME=value: %q", line)
		n++
		assert.Contains(t, help.String(), "env "+name, "%s is not a setting of manhattan run or ship", name)
	}
	require.NoError(t, sc.Err())
	assert.Positive(t, n)
}
