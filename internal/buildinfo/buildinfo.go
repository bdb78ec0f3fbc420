// Package buildinfo tells which build of Manhattan is running: the module version and the
// version-control revision that the Go toolchain stamped into the binary. It reads them once
// from runtime/debug.ReadBuildInfo; a binary built without them (e.g. `go test`, or a build
// outside a repository) reports "(devel)" and an empty revision rather than failing.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
)

// Info describes one build.
type Info struct {
	Version   string // module version, e.g. "v1.2.3" or "(devel)"
	Revision  string // VCS revision (commit id), empty when unknown
	Time      string // VCS commit time (RFC 3339), empty when unknown
	Modified  bool   // the work tree had uncommitted changes at build time
	GoVersion string // the toolchain that built the binary
}

var (
	once sync.Once
	info Info
)

// Get returns the running binary's build information.
func Get() Info {
	once.Do(func() { info = read(debug.ReadBuildInfo()) })
	return info
}

func read(bi *debug.BuildInfo, ok bool) Info {
	in := Info{Version: "(devel)", GoVersion: runtime.Version()}
	if !ok || bi == nil {
		return in
	}
	if v := bi.Main.Version; v != "" {
		in.Version = v
	}
	if bi.GoVersion != "" {
		in.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String formats the build as one line, e.g.
// "manhattan v1.2.3 (revision 0123abcd4567, 2026-12-01T08:00:00Z) go1.26.8".
func (in Info) String() string {
	s := "manhattan " + in.Version
	if in.Revision != "" {
		rev := in.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if in.Modified {
			rev += "+modified"
		}
		if in.Time != "" {
			s += fmt.Sprintf(" (revision %s, %s)", rev, in.Time)
		} else {
			s += fmt.Sprintf(" (revision %s)", rev)
		}
	}
	return s + " " + in.GoVersion
}
