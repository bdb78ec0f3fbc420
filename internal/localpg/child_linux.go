package localpg

import (
	"os/exec"
	"syscall"
)

// tieToProcess makes the kernel send cmd's process SIGQUIT (PostgreSQL's immediate
// shutdown) when this process exits, whatever the reason.
func tieToProcess(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	cmd.SysProcAttr.Setpgid = true // a terminal's Ctrl-C reaches it only through us
}
