package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
)

// runCmd runs the program with args and returns its exit code, standard output and error.
func runCmd(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func sortedLines(t *testing.T, base string) []string {
	t.Helper()
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	var lines []string
	for _, h := range hours {
		b, err := os.ReadFile(eventlog.Path(base, h))
		require.NoError(t, err)
		lines = append(lines, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	}
	slices.Sort(lines)
	return lines
}

func TestStreamCreateShipAndDump(t *testing.T) {
	srv := natstest.Start(t)
	nats := []string{"--nats", srv.URL(), "--stream", "LOG"}
	code, out, errOut := runCmd(append([]string{"stream", "create", "--partitions", "4", "--max-age", "1h"}, nats...)...)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "partitions        4 (subjects manhattan.log.0 … manhattan.log.3)")

	base := fixtures.CopyLog(t, fixtures.Clickstream)
	code, out, errOut = runCmd(append([]string{"ship", "--once", "--log", base, "--progress=false"}, nats...)...)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "shipped ")

	// A shipper configured for another partition count is refused.
	code, _, errOut = runCmd(append([]string{"ship", "--once", "--log", base, "--partitions", "8"}, nats...)...)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "stream LOG has 4 partitions, this process is configured for 8")

	dump := filepath.Join(t.TempDir(), "dump.log")
	code, out, errOut = runCmd(append([]string{"stream", "dump", "--out", dump}, nats...)...)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "wrote 90 lines")
	require.Equal(t, sortedLines(t, base), sortedLines(t, dump))

	code, out, errOut = runCmd(append([]string{"stream", "info"}, nats...)...)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "stream            LOG")
}
