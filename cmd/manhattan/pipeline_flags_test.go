package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPipelineFlagsAreCheckedByThePipelinesRules(t *testing.T) {
	// The database URL points nowhere: bad flags must be caught before connecting.
	nowhere := []string{"--db", "postgres://127.0.0.1:1/nowhere?connect_timeout=1"}
	code, _, stderr := cli(t, append([]string{"ingest", "--batch-size", "-1", "--flush-interval", "-1s", "--log", ""}, nowhere...)...)
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "--batch-size: -1 is negative")
	assert.Contains(t, stderr, "--flush-interval: -1s is negative")
	assert.Contains(t, stderr, "--log: missing")
}
