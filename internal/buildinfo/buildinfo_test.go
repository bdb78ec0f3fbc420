package buildinfo

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReadTakesVersionAndVCSSettings(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/manhattan-analytics/manhattan", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.time", Value: "2026-12-01T08:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	in := read(bi, true)
	assert.Equal(t, Info{Version: "v1.2.3", Revision: "0123456789abcdef0123", Time: "2026-12-01T08:00:00Z", Modified: true, GoVersion: "go1.26.8"}, in)
	assert.Equal(t, "manhattan v1.2.3 (revision 0123456789ab+modified, 2026-12-01T08:00:00Z) go1.26.8", in.String())
}

func TestReadWithoutBuildInfoSaysDevel(t *testing.T) {
	in := read(nil, false)
	assert.Equal(t, "(devel)", in.Version)
	assert.Empty(t, in.Revision)
	assert.NotEmpty(t, in.GoVersion)
	assert.Equal(t, "manhattan (devel) "+in.GoVersion, in.String())
}

func TestGetIsStable(t *testing.T) {
	assert.Equal(t, Get(), Get())
}
