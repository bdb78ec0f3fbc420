// Package integration holds Manhattan's end-to-end tests: recorded and generated event
// logs are replayed through the real pipeline into a real PostgreSQL (a private server
// started from the installed binaries unless MANHATTAN_TEST_DATABASE_URL is set), and the
// committed results are compared with the reference answers and with the counting rules
// applied sequentially in memory. The tests cover resuming from the stored pointer, shard
// failures, SIGKILL of the command, PostgreSQL restarts and malformed input.
package integration
