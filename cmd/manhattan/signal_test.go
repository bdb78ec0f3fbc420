package main

import (
	"bytes"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A second signal ends the process even when the command does not return.
func TestSecondSignalExitsWhenTheCommandHangs(t *testing.T) {
	signals := make(chan os.Signal, 4)
	done := make(chan struct{}) // the command never returns
	exited := make(chan int, 1)
	var errOut bytes.Buffer
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		exitOnSecondSignal(signals, done, &errOut, 10*time.Millisecond, func(code int) { exited <- code })
	}()
	signals <- syscall.SIGTERM
	select {
	case <-exited:
		t.Fatal("one signal must only ask for a graceful stop")
	case <-time.After(50 * time.Millisecond):
	}
	signals <- syscall.SIGINT
	select {
	case code := <-exited:
		assert.Equal(t, 130, code)
	case <-time.After(10 * time.Second):
		t.Fatal("a second signal did not end the process")
	}
	<-finished
	assert.Contains(t, errOut.String(), "after a second signal; exiting now")
}

// A command that returns after the second signal ends the process by itself.
func TestSecondSignalLetsAReturningCommandFinish(t *testing.T) {
	signals := make(chan os.Signal, 4)
	done := make(chan struct{})
	exited := make(chan int, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		exitOnSecondSignal(signals, done, &bytes.Buffer{}, time.Hour, func(code int) { exited <- code })
	}()
	signals <- syscall.SIGTERM
	signals <- syscall.SIGTERM
	close(done)
	<-finished
	assert.Empty(t, exited)
}
