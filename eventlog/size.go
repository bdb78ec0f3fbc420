package eventlog

import (
	"os"

	"github.com/manhattan-analytics/manhattan/messages"
)

// BytesAfter returns how many bytes of log base lie after ptr: the rest of ptr's file and
// every newer file. It is meant for progress and lag reports; files that cannot be listed
// or stat'ed count as empty.
func BytesAfter(base string, ptr messages.Pointer) int64 {
	hours, err := Files(base)
	if err != nil {
		return 0
	}
	var n int64
	for _, h := range hours {
		if h < ptr.File {
			continue
		}
		fi, err := os.Stat(Path(base, h))
		if err != nil {
			continue
		}
		n += fi.Size()
		if h == ptr.File {
			n -= ptr.Offset
		}
	}
	return max(n, 0)
}
