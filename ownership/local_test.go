package ownership

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGoneFromThisHost(t *testing.T) {
	host, err := os.Hostname()
	require.NoError(t, err)

	// A child that has exited (and been reaped) is gone.
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	dead := cmd.Process.Pid
	assert.True(t, GoneFromThisHost(fmt.Sprintf("%s:%d", host, dead)))

	assert.False(t, GoneFromThisHost(DefaultOwner()), "this process")
	assert.False(t, GoneFromThisHost(fmt.Sprintf("%s:%d", host, os.Getppid())), "a running process")
	assert.False(t, GoneFromThisHost(fmt.Sprintf("other-%s:%d", host, dead)), "another host")
	for _, o := range []string{"", "a", "b", host, host + ":", host + ":x", host + ":-3", host + ":1:2"} {
		assert.False(t, GoneFromThisHost(o), "%q", o)
	}
}
