//go:build !unix

package persistence

func stopProcess() {}
