//go:build !linux

package localpg

import "os/exec"

// tieToProcess does nothing on this platform: the server stops with Stop only.
func tieToProcess(*exec.Cmd) {}
