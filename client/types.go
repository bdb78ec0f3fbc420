package client

import (
	"time"

	"github.com/manhattan-analytics/manhattan/analysis"
)

// The JSON documents of the API. They are copies of their counterparts in package query,
// on purpose: package client does not import query, which builds on the store and pgx.
// TestDocumentsHaveTheServersFields (shape_test.go) checks that each copy has exactly the
// JSON fields of its counterpart. Decimal values are strings holding the exact decimal.

// Selection echoes the counters a count, value or series answer is about.
type Selection struct {
	Goal       string `json:"goal,omitempty"`
	Test       string `json:"test,omitempty"`
	Population string `json:"population,omitempty"`
	Rollup     string `json:"rollup"`
	Bucket     string `json:"bucket,omitempty"` // absent in a series (it has every bucket)
	Site       *int64 `json:"site"`             // nil: summed over all sites
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

// Goal is one goal with its value type ("", S, A, I, R) and format ("", N, C, P).
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

// ResultsAnswer is the answer of /api/v1/results: for each population of the test, the
// value of each goal (in Goals' order) in the "all" rollup.
type ResultsAnswer struct {
	Test          string              `json:"test"`
	Goals         []string            `json:"goals"`
	Site          *int64              `json:"site"`
	Populations   []string            `json:"populations"` // sorted by name
	Results       map[string][]string `json:"results"`     // population → values
	Control       string              `json:"control"`
	Analysis      *analysis.Result    `json:"analysis,omitempty"` // nil when AnalysisError says why
	AnalysisError string              `json:"analysis_error,omitempty"`
}

// AnalysisGoal is a goal of an analysis with its role (primary, secondary, guardrail,
// other).
type AnalysisGoal struct {
	Name          string `json:"name"`
	Role          string `json:"role"`
	ValueType     string `json:"value_type"`
	LowerIsBetter bool   `json:"lower_is_better"`
}

// Segment is the analysis of one bucket of a breakdown, of a cohort range, or of all
// time.
type Segment struct {
	Bucket   string           `json:"bucket"` // "" for a cohort range
	Analysis *analysis.Result `json:"analysis,omitempty"`
	Error    string           `json:"error,omitempty"` // why Analysis is nil
}

// AnalysisAnswer is the answer of /api/v1/analysis.
type AnalysisAnswer struct {
	Test      string         `json:"test"`
	Site      *int64         `json:"site"`
	Rollup    string         `json:"rollup"`
	Breakdown bool           `json:"breakdown"`
	BySite    bool           `json:"by_site"` // Segments are the sites (Bucket: the site id)
	Cohort    bool           `json:"cohort"`
	From      *int64         `json:"from"`
	To        *int64         `json:"to"`
	Config    Config         `json:"config"`
	Goals     []AnalysisGoal `json:"goals"`
	Segments  []Segment      `json:"segments"`
}

// Point is one bucket of a series.
type Point struct {
	Bucket string `json:"bucket"`
	Count  int64  `json:"count"`
	Value  string `json:"value"`
}

// SeriesAnswer is the answer of /api/v1/series.
type SeriesAnswer struct {
	Selection
	Points []Point `json:"points"`
}

// DeadLetter is a log line that could not be processed.
type DeadLetter struct {
	Pointer   string `json:"pointer"`
	Partition int    `json:"partition,omitempty"`
	File      int64  `json:"file"`
	Offset    int64  `json:"offset"`
	Raw       string `json:"raw"`
	Reason    string `json:"reason"`
}

// DeadLettersAnswer is the answer of /api/v1/dead-letters, newest first.
type DeadLettersAnswer struct {
	DeadLetters []DeadLetter `json:"dead_letters"`
}

// PointerStatus is the committed position of one partition of a log source.
type PointerStatus struct {
	Source     string     `json:"source"`
	Partition  int        `json:"partition"`
	Pointer    string     `json:"pointer"`
	File       int64      `json:"file"`
	Offset     int64      `json:"offset"`
	Epoch      int64      `json:"epoch"`
	Records    int64      `json:"records"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Owner      string     `json:"owner,omitempty"`
	LeaseUntil *time.Time `json:"lease_until,omitempty"`
	Token      int64      `json:"token"`
	// Lag is absent unless the server reads the source's log itself (manhattan run).
	Lag *PartitionLag `json:"lag,omitempty"`
}

// PartitionLag is how far a committed pointer stands behind the end of its partition.
type PartitionLag struct {
	Behind int64  `json:"behind"`
	Unit   string `json:"unit"` // "bytes" (log files) or "messages" (stream sequences)
}

// IngestStatus is the live state of the pipeline running in the server's process.
type IngestStatus struct {
	Read              int64   `json:"read"`
	Committed         int64   `json:"committed"`
	DeadLetters       int64   `json:"dead_letters"`
	Epochs            int64   `json:"epochs"`
	Restarts          int64   `json:"restarts"`
	Pointer           string  `json:"pointer"`
	CaughtUp          bool    `json:"caught_up"`
	LastCommitSeconds float64 `json:"last_commit_seconds"`
	UptimeSeconds     float64 `json:"uptime_seconds"`
	Unread            Unread  `json:"unread"`
	Source            string  `json:"source"`
	Log               string  `json:"log"`
	LagError          string  `json:"lag_error,omitempty"`
}

// Unread sums up the log data the pipeline passed over.
type Unread struct {
	Count  int64       `json:"count"`
	Bytes  int64       `json:"bytes"`
	Recent []UnreadGap `json:"recent"`
}

// UnreadGap is one piece of log data passed over.
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
	Ingest        *IngestStatus    `json:"ingest,omitempty"` // nil without an ingest in the server
}

// Guardrail is a goal that must not get worse, with the direction that is good.
type Guardrail struct {
	Goal          string `json:"goal"`
	LowerIsBetter bool   `json:"lower_is_better"`
}

// Config is a test's analysis configuration, with the defaults filled in (GET, PUT and
// PATCH of /api/v1/tests/{name}/config).
type Config struct {
	Test        string             `json:"test"`
	Configured  bool               `json:"configured"` // false: every field is a default
	Control     string             `json:"control"`
	ControlRule string             `json:"control_rule"`
	Primary     string             `json:"primary_goal"`
	Secondary   []string           `json:"secondary_goals"`
	Guardrails  []Guardrail        `json:"guardrail_goals"`
	Weights     map[string]float64 `json:"weights"`
	Correction  string             `json:"correction"` // none, holm or bh
	Sequential  bool               `json:"sequential"`
	Status      string             `json:"status"` // running, stopped or shipped
	Notes       string             `json:"notes"`
	UpdatedAt   *time.Time         `json:"updated_at"` // nil when not configured
}

// ConfigChange is a change of a test's configuration. A nil field is left as it is by
// PatchTestConfig and set to its default by ReplaceTestConfig.
type ConfigChange struct {
	Control    *string             `json:"control"`
	Primary    *string             `json:"primary_goal"`
	Secondary  *[]string           `json:"secondary_goals"`
	Guardrails *[]Guardrail        `json:"guardrail_goals"`
	Weights    *map[string]float64 `json:"weights"`
	Correction *string             `json:"correction"`
	Sequential *bool               `json:"sequential"`
	Status     *string             `json:"status"`
	Notes      *string             `json:"notes"`
}

// Health is the answer of /healthz.
type Health struct {
	Status string `json:"status"` // "ok" or "unavailable"
	Error  string `json:"error,omitempty"`
	// Set while the ingest of the server's process waits for its database.
	Ingest             string `json:"ingest,omitempty"`
	IngestWaitingSince string `json:"ingest_waiting_since,omitempty"`
	IngestGivesUpAt    string `json:"ingest_gives_up_at,omitempty"`
}
