package query

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// The JSON documents of the API. `manhattan query --json` prints the same documents, so
// scripts can switch between the two freely. Decimal values are strings holding the
// exact decimal.

// Selection echoes the counters a count, value or series answer is about.
type Selection struct {
	Goal       string `json:"goal,omitempty"`
	Test       string `json:"test,omitempty"`
	Population string `json:"population,omitempty"`
	Rollup     string `json:"rollup"`
	Bucket     string `json:"bucket,omitempty"` // absent in a series (it has every bucket)
	Site       *int64 `json:"site"`             // null: summed over all sites
}

// newSelection returns the selection of q with the defaults filled in.
func newSelection(q persistence.Query) Selection {
	if q.Rollup == "" {
		q.Rollup = persistence.DefaultRollup
	}
	if q.Bucket == "" {
		q.Bucket = persistence.DefaultBucket
	}
	return Selection{Goal: q.Goal, Test: q.Test, Population: q.Population, Rollup: q.Rollup, Bucket: q.Bucket, Site: q.Site}
}

// CountAnswer is the answer of /api/v1/count.
type CountAnswer struct {
	Selection
	Count int64 `json:"count"`
}

// ValueAnswer is the answer of /api/v1/value.
type ValueAnswer struct {
	Selection
	Value string `json:"value"`
}

// Test is one split test.
type Test struct {
	Name        string    `json:"name"`
	First       int64     `json:"first"` // first impression, Unix seconds
	Last        int64     `json:"last"`  // last impression, Unix seconds
	FirstTime   time.Time `json:"first_time"`
	LastTime    time.Time `json:"last_time"`
	Populations []string  `json:"populations"`
}

// TestsAnswer is the answer of /api/v1/tests: newest last impression first.
type TestsAnswer struct {
	Tests []Test `json:"tests"`
}

// newTestsAnswer converts the store's tests.
func newTestsAnswer(tests []persistence.TestInfo) TestsAnswer {
	out := TestsAnswer{Tests: make([]Test, 0, len(tests))}
	for _, t := range tests {
		pops := t.Populations
		if pops == nil {
			pops = []string{}
		}
		out.Tests = append(out.Tests, Test{
			Name: t.Name, First: t.First, Last: t.Last,
			FirstTime: time.Unix(t.First, 0).UTC(), LastTime: time.Unix(t.Last, 0).UTC(),
			Populations: pops,
		})
	}
	return out
}

// Goal is one goal with its value type ("", S, A, I, R) and format ("", N, C, P).
// A complex goal has neither, and no counts within test variants.
type Goal struct {
	Name        string `json:"name"`
	ValueType   string `json:"value_type"`
	ValueFormat string `json:"value_format"`
	Complex     bool   `json:"complex"`
}

// GoalsAnswer is the answer of /api/v1/goals, by name.
type GoalsAnswer struct {
	Goals []Goal `json:"goals"`
}

// newGoalsAnswer converts the store's goals.
func newGoalsAnswer(goals []persistence.GoalInfo) GoalsAnswer {
	out := GoalsAnswer{Goals: make([]Goal, 0, len(goals))}
	for _, g := range goals {
		out.Goals = append(out.Goals, Goal(g))
	}
	return out
}

// ResultsAnswer is the answer of /api/v1/results: for each population of the test, the
// value of each goal (in Goals' order) for that variant, in the "all" rollup.
type ResultsAnswer struct {
	Test        string              `json:"test"`
	Goals       []string            `json:"goals"`
	Site        *int64              `json:"site"`
	Populations []string            `json:"populations"` // sorted by name
	Results     map[string][]string `json:"results"`     // population → values
	// Control is the population the others are compared with (see the test's config).
	Control string `json:"control"`
	// Analysis holds the statistics of the goals (package analysis, rollup "all");
	// absent when AnalysisError says why they cannot be computed.
	Analysis      *analysis.Result `json:"analysis,omitempty"`
	AnalysisError string           `json:"analysis_error,omitempty"`
}

// newResultsAnswer converts the store's results.
func newResultsAnswer(test string, goals []string, site *int64, results map[string][]decimal.Decimal) ResultsAnswer {
	out := ResultsAnswer{Test: test, Goals: goals, Site: site, Populations: []string{}, Results: map[string][]string{}}
	for pop, values := range results {
		out.Populations = append(out.Populations, pop)
		row := make([]string, len(values))
		for i, v := range values {
			row[i] = v.String()
		}
		out.Results[pop] = row
	}
	slices.Sort(out.Populations)
	return out
}

// Point is one bucket of a series.
type Point struct {
	Bucket string `json:"bucket"`
	Count  int64  `json:"count"`
	Value  string `json:"value"`
}

// SeriesAnswer is the answer of /api/v1/series: every bucket of the rollup, integer
// buckets (days, weeks) in numeric order first.
type SeriesAnswer struct {
	Selection
	Points []Point `json:"points"`
}

// newSeriesAnswer converts the store's series.
func newSeriesAnswer(q persistence.Query, points []persistence.Point) SeriesAnswer {
	sel := newSelection(q)
	sel.Bucket = ""
	out := SeriesAnswer{Selection: sel, Points: make([]Point, 0, len(points))}
	for _, p := range points {
		out.Points = append(out.Points, Point{Bucket: p.Bucket, Count: p.Count, Value: p.Value.String()})
	}
	return out
}

// DeadLetter is a log line that could not be processed.
type DeadLetter struct {
	Pointer   string `json:"pointer"`             // file:offset, or partition/seq:offset
	Partition int    `json:"partition,omitempty"` // the log's partition (0: the hourly files)
	File      int64  `json:"file"`                // the hour suffix of the log file, or the stream sequence
	Offset    int64  `json:"offset"`
	Raw       string `json:"raw"`
	Reason    string `json:"reason"`
}

// DeadLettersAnswer is the answer of /api/v1/dead-letters, newest first.
type DeadLettersAnswer struct {
	DeadLetters []DeadLetter `json:"dead_letters"`
}

// newDeadLettersAnswer converts the store's dead letters.
func newDeadLettersAnswer(dls []messages.DeadLetter) DeadLettersAnswer {
	out := DeadLettersAnswer{DeadLetters: make([]DeadLetter, 0, len(dls))}
	for _, d := range dls {
		out.DeadLetters = append(out.DeadLetters, DeadLetter{
			Pointer: d.Ptr.String(), Partition: d.Ptr.Partition, File: d.Ptr.File, Offset: d.Ptr.Offset, Raw: d.Raw, Reason: d.Reason,
		})
	}
	return out
}

// PointerStatus is the committed position of one partition of a log source and its owner.
type PointerStatus struct {
	Source     string     `json:"source"`
	Partition  int        `json:"partition"`
	Pointer    string     `json:"pointer"`
	File       int64      `json:"file"`
	Offset     int64      `json:"offset"`
	Epoch      int64      `json:"epoch"`
	Records    int64      `json:"records"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Owner      string     `json:"owner,omitempty"`       // the process that owns the partition
	LeaseUntil *time.Time `json:"lease_until,omitempty"` // the end of its lease
	Token      int64      `json:"token"`                 // the fencing token of the current (or last) grant
	// Lag is how much of the partition lies after the committed pointer. Only a process
	// that reads the source's log (manhattan run) can measure it; it is absent otherwise.
	Lag *PartitionLag `json:"lag,omitempty"`
}

// PartitionLag is how far a committed pointer stands behind the end of its partition, as
// the log stood when the status was answered.
type PartitionLag struct {
	Behind int64 `json:"behind"`
	// Unit is what Behind counts: "bytes" of the log files, or "messages" of a stream
	// (stream sequences up to the partition's last message).
	Unit string `json:"unit"`
}

// IngestStatus is the live state of the pipeline running in the server's process.
type IngestStatus struct {
	Read              int64   `json:"read"`
	Committed         int64   `json:"committed"`
	DeadLetters       int64   `json:"dead_letters"`
	Epochs            int64   `json:"epochs"`
	Restarts          int64   `json:"restarts"`
	Pointer           string  `json:"pointer"` // the committed pointers, one per partition, space-separated
	CaughtUp          bool    `json:"caught_up"`
	LastCommitSeconds float64 `json:"last_commit_seconds"`
	UptimeSeconds     float64 `json:"uptime_seconds"`
	Unread            Unread  `json:"unread"`              // log data passed over without being read
	Source            string  `json:"source"`              // the pointer rows it commits (their lag is in pointers)
	Log               string  `json:"log"`                 // the log it reads
	LagError          string  `json:"lag_error,omitempty"` // why the lag could not be measured
}

// Unread sums up the log data the pipeline passed over (late data, skipped files).
type Unread struct {
	Count  int64       `json:"count"`
	Bytes  int64       `json:"bytes"`
	Recent []UnreadGap `json:"recent"` // the last few, oldest first
}

// UnreadGap is one piece of log data passed over: reason late_append, late_file or skipped.
type UnreadGap struct {
	Reason string    `json:"reason"`
	File   string    `json:"file"`
	Bytes  int64     `json:"bytes"`
	Detail string    `json:"detail"`
	At     time.Time `json:"at"`
}

// StatusAnswer is the answer of /api/v1/status.
type StatusAnswer struct {
	Schema        string           `json:"schema"`
	Version       int              `json:"version"`
	LatestVersion int              `json:"latest_version"`
	Pointers      []PointerStatus  `json:"pointers"`
	Rows          map[string]int64 `json:"rows"`
	DeadLetters   int64            `json:"dead_letters"`
	Ingest        *IngestStatus    `json:"ingest,omitempty"` // only when the server runs with an ingest
}

// newStatusAnswer converts the store's status; ingest is the live pipeline, nil without
// one.
func newStatusAnswer(st persistence.Status, ingest *IngestStatus) StatusAnswer {
	out := StatusAnswer{
		Schema: st.Schema, Version: st.Version, LatestVersion: st.LatestVersion,
		Pointers: make([]PointerStatus, 0, len(st.Pointers)), Rows: st.Rows, DeadLetters: st.DeadLetters,
		Ingest: ingest,
	}
	if out.Rows == nil {
		out.Rows = map[string]int64{}
	}
	for _, p := range st.Pointers {
		ps := PointerStatus{
			Source: p.Source, Partition: p.Pointer.Partition, Pointer: p.Pointer.String(), File: p.Pointer.File, Offset: p.Pointer.Offset,
			Epoch: p.Epoch, Records: p.Records, UpdatedAt: p.UpdatedAt.UTC(), Owner: p.Owner, Token: p.Token,
		}
		if p.Owner != "" {
			until := p.LeaseEnds.UTC()
			ps.LeaseUntil = &until
		}
		out.Pointers = append(out.Pointers, ps)
	}
	return out
}

// ErrorAnswer is the body of every error of the API.
type ErrorAnswer struct {
	Error string `json:"error"`
}
