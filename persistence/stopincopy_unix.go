//go:build unix

package persistence

import "syscall"

func stopProcess() { _ = syscall.Kill(syscall.Getpid(), syscall.SIGSTOP) }
