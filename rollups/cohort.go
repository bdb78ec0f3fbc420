package rollups

import "time"

// PerVisitor is implemented by rollups that put every counted record of a visitor on a
// site into one bucket, whatever the record's time: the all-time rollup and the cohort
// rollups. For their counters, a visitor's running total of a goal's values is the same
// in every record's bucket, so the counters can keep the sum of the squares of those
// totals over visitors (docs/semantics.md, "Value squares").
type PerVisitor interface {
	Rollup
	// PerVisitor marks the rollup; it does nothing.
	PerVisitor()
}

// Cohort is a rollup by the local day or week of the visitor's first record processed on
// the human path (its first human timestamp), in one time zone: every count of a
// visitor lands in the bucket of the day (week, from Sunday) the visitor arrived. Its
// buckets are those of the Calendar rollup of the same period and zone. A visitor whose
// first human timestamp is unknown (a history kept from before the timestamp was
// recorded) falls into the bucket "".
type Cohort struct {
	key string
	cal *Calendar
}

// NewCohort returns a cohort rollup by period p (Day or Week) in loc.
func NewCohort(key string, p Period, loc *time.Location) *Cohort {
	return &Cohort{key: key, cal: NewCalendar(key, p, loc)}
}

// Key returns the rollup's key.
func (c *Cohort) Key() string { return c.key }

// Period returns the rollup's period.
func (c *Cohort) Period() Period { return c.cal.period }

// Location returns the rollup's time zone.
func (c *Cohort) Location() *time.Location { return c.cal.loc }

// Bucket returns the start (Unix seconds) of the period that holds the visitor's first
// human timestamp; ts is not used.
func (c *Cohort) Bucket(_ int64, v Visitor) string {
	if v == nil {
		return ""
	}
	first, ok := v.FirstHuman()
	if !ok {
		return ""
	}
	return c.cal.Bucket(first, nil)
}

// PerVisitor marks a cohort rollup as putting a visitor's records into one bucket.
func (c *Cohort) PerVisitor() {}

// PerVisitor marks the all-time rollup as putting every record into one bucket.
func (r allRollup) PerVisitor() {}
