package persistence

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// StopInCopyEnv names the environment variable that makes a process stop itself in the
// middle of an epoch commit: with the value N, the (N+1)th commit of the process, once
// the server is receiving its first COPY (the pointer rows locked, the backend busy, not
// idle in a transaction), sends the process SIGSTOP. It exists to test that a process
// frozen at that moment cannot keep its successor from taking its source over.
const StopInCopyEnv = "MANHATTAN_STOP_IN_COPY"

// stopInCopyAfter is the number of commits to let through before stopping, or -1.
var stopInCopyAfter = func() int64 {
	n, err := strconv.ParseInt(os.Getenv(StopInCopyEnv), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}()

var commitsStarted atomic.Int64

// stopInCopy returns, for the commit that is to stop, the function that the COPY's row
// source calls before its first row; nil otherwise.
func (s *Store) stopInCopy(ctx context.Context, backend uint32) func() {
	if stopInCopyAfter < 0 || commitsStarted.Add(1) != stopInCopyAfter+1 {
		return nil
	}
	return func() {
		// The COPY statement goes out while its rows are being encoded: wait until the
		// server runs it, then freeze.
		for ctx.Err() == nil {
			var copying bool
			err := s.pool.QueryRow(ctx, "SELECT state = 'active' AND query ILIKE 'copy %' FROM pg_stat_activity WHERE pid = $1", int32(backend)).Scan(&copying)
			if err == nil && copying {
				stopProcess()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
}
