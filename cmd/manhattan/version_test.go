package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manhattan-analytics/manhattan/internal/buildinfo"
)

func TestVersionCommandAndFlagPrintTheBuild(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, out, errOut := cli(t, args...)
		assert.Equal(t, 0, code, "%v: %s", args, errOut)
		assert.Equal(t, buildinfo.Get().String()+"\n", out, "%v", args)
		assert.True(t, strings.HasPrefix(out, "manhattan "), out)
	}
}

func TestVersionRejectsArguments(t *testing.T) {
	code, _, errOut := cli(t, "version", "extra")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "unexpected arguments")
}

func TestUsageDocumentsExitCodes(t *testing.T) {
	code, out, _ := cli(t, "help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Exit status: 0 success, 1 failure, 2 usage error")
	assert.Contains(t, out, "version")
}
