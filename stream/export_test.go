package stream

import "time"

// SetStallAfter sets how long a Reader waits for a pending message before it replaces
// its consumer, until the test ends.
func SetStallAfter(t interface{ Cleanup(func()) }, d time.Duration) {
	old := stallAfter
	stallAfter = d
	t.Cleanup(func() { stallAfter = old })
}
