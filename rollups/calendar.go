package rollups

import (
	"strconv"
	"sync/atomic"
	"time"
)

// Period is the length of a calendar rollup's buckets.
type Period uint8

// The calendar periods.
const (
	Day   Period = iota + 1 // a local day, from local midnight
	Week                    // a local week, from the local midnight that starts Sunday
	Month                   // a local month, from the local midnight of the 1st
)

// String returns the period's name as it is spelled in a rollup spec.
func (p Period) String() string {
	switch p {
	case Day:
		return "day"
	case Week:
		return "week"
	case Month:
		return "month"
	}
	return "period(" + strconv.Itoa(int(p)) + ")"
}

// cacheSlots is the number of remembered periods per calendar rollup. A slot is chosen
// by the UTC day of the timestamp, so the periods of the last few weeks stay cached
// even when concurrent callers work on different days.
const cacheSlots = 64

// interval is one period [start, end) and its bucket; immutable once published.
type interval struct {
	start, end int64
	bucket     string
}

// Calendar is a day, week or month rollup in one time zone.
type Calendar struct {
	key    string
	period Period
	loc    *time.Location
	cache  [cacheSlots]atomic.Pointer[interval]
}

// NewCalendar returns a calendar rollup of the given period in loc. Its buckets are the
// Unix seconds (in decimal) of the local midnight that starts each period.
func NewCalendar(key string, p Period, loc *time.Location) *Calendar {
	return &Calendar{key: key, period: p, loc: loc}
}

// NewDay returns a rollup by local day in loc.
func NewDay(key string, loc *time.Location) *Calendar { return NewCalendar(key, Day, loc) }

// NewWeek returns a rollup by local week in loc; weeks start on Sunday.
func NewWeek(key string, loc *time.Location) *Calendar { return NewCalendar(key, Week, loc) }

// NewMonth returns a rollup by local month in loc.
func NewMonth(key string, loc *time.Location) *Calendar { return NewCalendar(key, Month, loc) }

// Key returns the rollup's key.
func (c *Calendar) Key() string { return c.key }

// Period returns the rollup's period.
func (c *Calendar) Period() Period { return c.period }

// Location returns the rollup's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Bucket returns the Unix seconds of the start of the period that contains ts.
func (c *Calendar) Bucket(ts int64, _ Visitor) string {
	slot := &c.cache[uint64(floorDiv(ts, 86400))%cacheSlots]
	if iv := slot.Load(); iv != nil && ts >= iv.start && ts < iv.end {
		return iv.bucket
	}
	iv := c.interval(ts)
	slot.Store(iv)
	return iv.bucket
}

// Interval returns the period [start, end) that contains ts, in Unix seconds.
func (c *Calendar) Interval(ts int64) (start, end int64) {
	iv := c.interval(ts)
	return iv.start, iv.end
}

// interval computes the period that contains ts. The local date of ts names a candidate
// period; where daylight saving makes local dates run backwards (a fall-back across
// midnight), the candidate is corrected so that periods tile the time line.
func (c *Calendar) interval(ts int64) *interval {
	y, m, d := time.Unix(ts, 0).In(c.loc).Date()
	switch c.period {
	case Week:
		d -= int(time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday())
	case Month:
		d = 1
	}
	start, end := c.bounds(y, m, d)
	for i := 0; i < 4 && ts < start; i++ {
		y, m, d = c.step(y, m, d, -1)
		start, end = c.bounds(y, m, d)
	}
	for i := 0; i < 4 && ts >= end; i++ {
		y, m, d = c.step(y, m, d, 1)
		start, end = c.bounds(y, m, d)
	}
	return &interval{start: start, end: end, bucket: strconv.FormatInt(start, 10)}
}

// bounds returns the start of the period beginning on the local date (y, m, d) and the
// start of the next one.
func (c *Calendar) bounds(y int, m time.Month, d int) (start, end int64) {
	ny, nm, nd := c.step(y, m, d, 1)
	return midnight(y, m, d, c.loc), midnight(ny, nm, nd, c.loc)
}

// step moves the period start (y, m, d) by n periods.
func (c *Calendar) step(y int, m time.Month, d, n int) (int, time.Month, int) {
	var t time.Time
	switch c.period {
	case Week:
		t = time.Date(y, m, d+7*n, 12, 0, 0, 0, time.UTC)
	case Month:
		t = time.Date(y, m+time.Month(n), 1, 12, 0, 0, 0, time.UTC)
	default:
		t = time.Date(y, m, d+n, 12, 0, 0, 0, time.UTC)
	}
	return t.Date()
}

// midnight returns the first instant (Unix seconds) of the local date (y, m, d) in loc.
// When midnight falls into a daylight-saving gap, the day starts at the transition.
func midnight(y int, m time.Month, d int, loc *time.Location) int64 {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	wy, wm, wd := time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Date()
	if ty, tm, td := t.Date(); ty != wy || tm != wm || td != wd {
		// Midnight does not exist and t landed before it, on the previous day: the
		// day begins where that day's zone offset ends.
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end
		}
	} else if zs, _ := t.ZoneBounds(); !zs.IsZero() && zs.Before(t) {
		// t is in the day but not at 00:00 (a gap mapped forward): if the transition
		// is on the same day, the day begins there.
		if zy, zm, zd := zs.Date(); zy == wy && zm == wm && zd == wd && (t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0) {
			t = zs
		}
	}
	return t.Unix()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
