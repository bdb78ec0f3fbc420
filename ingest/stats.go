package ingest

import (
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
)

// Summary describes a finished run.
type Summary struct {
	Records     int64              // records committed (dead letters not included)
	DeadLetters int64              // lines dead-lettered
	Humans      int64              // visitors that became human
	Held        int64              // records of not-yet-human visitors held back (net of replays)
	Epochs      int64              // epochs committed
	Restarts    int64              // rewinds after failures
	Pointers    []messages.Pointer // the committed pointers at the end, per partition read
	Elapsed     time.Duration
}

// RecordsPerSecond is the run's committed records (and dead letters) per second.
func (s Summary) RecordsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Records+s.DeadLetters) / s.Elapsed.Seconds()
}

// Stats is a live view of a running pipeline.
type Stats struct {
	Read       int64 // lines read by the source in this process (all generations)
	Committed  Summary
	CaughtUp   bool          // the source has reached the end of the log at least once
	LastCommit time.Duration // duration of the last commit
	Gaps       GapStats      // log data passed over without being read
	// StoreDownSince is when the pipeline began waiting for an unreachable store (zero when
	// it is not waiting); StoreGivesUpAt when it will stop waiting (zero: never).
	StoreDownSince, StoreGivesUpAt time.Time
}

// Gap is log data the source passed over and will not read (docs/log-format.md): lines appended to
// a file after the source left it, a file of an older hour that appeared after the source
// passed it, or what a SkipMissing source skipped.
type Gap struct {
	Reason string // logsource.GapLateAppend, GapLateFile or GapSkipped
	Path   string // the file
	Bytes  int64  // how many bytes; 0 when not known
	Detail string // what happened, in words
	At     time.Time
}

// GapStats sums up the gaps of a pipeline's run.
type GapStats struct {
	Count  int64
	Bytes  int64
	Recent []Gap // the last few, oldest first
}

// Events receives notifications from a running pipeline (for metrics). Nil funcs are skipped.
// They are called from the pipeline's actors and must not block.
type Events struct {
	Committed func(epoch int64, records, deadLetters int64, took time.Duration)
	Restarted func(reason error)
	Loaded    func(histories int)
	Gap       func(g Gap)
}
