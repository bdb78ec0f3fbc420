//go:build !unix

package localpg

import (
	"os"
	"os/exec"
)

// account is the operating-system user the server's processes run as: on this platform
// always the caller.
type account struct {
	name     string
	switched bool // never: there is no switching user here
}

func serverAccount() (*account, error) { return &account{name: "current user"}, nil }

func (a *account) apply(*exec.Cmd) {}

func (a *account) own(string) error { return nil }

func (a *account) canTraverse(os.FileInfo) bool { return true }

func processAlive(pid int) bool { return pid > 0 }
