package localpg

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

// ErrNoBinaries is returned (wrapped) when no PostgreSQL server binaries are installed.
var ErrNoBinaries = errors.New("PostgreSQL server binaries not found (initdb, pg_ctl); install them, e.g. `apt-get install postgresql`")

// versionedRoots is where distributions install the server binaries of each major
// version (Debian and Ubuntu: /usr/lib/postgresql/<major>/bin).
var versionedRoots = []string{"/usr/lib/postgresql"}

// FindBinaries returns the folder that holds initdb, pg_ctl and postgres. It looks on
// PATH first, then under /usr/lib/postgresql/<major>/bin, preferring the highest major
// version. The error names the package to install when nothing is found.
func FindBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if dir := filepath.Dir(p); hasServerBinaries(dir) {
			return dir, nil
		}
	}
	for _, root := range versionedRoots {
		for _, dir := range versionDirs(root) {
			if hasServerBinaries(dir) {
				return dir, nil
			}
		}
	}
	return "", ErrNoBinaries
}

// versionDirs lists root/<major>/bin, highest major version first.
func versionDirs(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	type candidate struct {
		version float64
		dir     string
	}
	var cs []candidate
	for _, e := range entries {
		v, err := strconv.ParseFloat(e.Name(), 64) // "15", "9.6"
		if err != nil {
			continue
		}
		cs = append(cs, candidate{v, filepath.Join(root, e.Name(), "bin")})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].version > cs[j].version })
	dirs := make([]string, len(cs))
	for i, c := range cs {
		dirs[i] = c.dir
	}
	return dirs
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}
