package ownership

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// GoneFromThisHost reports whether owner names a process of this host (DefaultOwner's
// "host:pid") that is no longer running: a process that died without releasing its lease,
// e.g. after kill -9 or a crash, whose partitions a restart on the same host may take over
// at once instead of waiting for the lease to end. It is false for this process, for other
// hosts, for a pid that runs (even if it is another program now: the safe side), and for
// owners not of the form host:pid.
func GoneFromThisHost(owner string) bool {
	host, pidText, ok := strings.Cut(owner, ":")
	if !ok || strings.Contains(pidText, ":") {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	if me, err := os.Hostname(); err != nil || me != host {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
