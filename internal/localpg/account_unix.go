//go:build unix

package localpg

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// account is the operating-system user the server's processes run as.
type account struct {
	name     string
	uid, gid uint32
	switched bool // the processes run as this user instead of the caller
}

// serverAccount returns the caller itself unless it is root; as root it returns the
// user "postgres", or "nobody" when there is no such user.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return &account{name: currentUserName(), uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &account{name: name, uid: uint32(uid), gid: uint32(gid), switched: true}, nil
	}
	return nil, fmt.Errorf("running as root, and neither user %q nor %q exists to run PostgreSQL as (initdb refuses root)", "postgres", "nobody")
}

func currentUserName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return strconv.Itoa(os.Geteuid())
}

// apply makes cmd run as the account.
func (a *account) apply(cmd *exec.Cmd) {
	if !a.switched {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: []uint32{}},
	}
}

// own gives path to the account.
func (a *account) own(path string) error {
	if !a.switched {
		return nil
	}
	return os.Chown(path, int(a.uid), int(a.gid))
}

// canTraverse reports whether the account may enter the directory described by fi.
func (a *account) canTraverse(fi os.FileInfo) bool {
	if !a.switched {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == a.uid:
		return perm&0o100 != 0
	case st.Gid == a.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// processAlive reports whether a process with this id exists.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
