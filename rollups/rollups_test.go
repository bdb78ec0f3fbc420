package rollups

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fakeVisitor struct {
	ua      string
	ok      bool
	first   int64
	firstOK bool
}

func (v fakeVisitor) FirstUserAgent() (string, bool) { return v.ua, v.ok }
func (v fakeVisitor) FirstHuman() (int64, bool)      { return v.first, v.firstOK }

func utc(y int, m time.Month, d, h, min int) int64 {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC).Unix()
}

func bucketOf(ts int64) string { return strconv.FormatInt(ts, 10) }

func mustLoad(t *testing.T, zone string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	require.NoError(t, err)
	return loc
}

func TestDayAcrossLosAngelesDST(t *testing.T) {
	day := NewDay("pst_day", mustLoad(t, "America/Los_Angeles"))

	// 2013-03-10: clocks jump from 02:00 PST to 03:00 PDT; the day is 23 hours long.
	springStart := utc(2013, 3, 10, 8, 0) // 00:00 PST
	springEnd := utc(2013, 3, 11, 7, 0)   // 00:00 PDT
	start, end := day.Interval(utc(2013, 3, 10, 12, 0))
	assert.Equal(t, springStart, start)
	assert.Equal(t, springEnd, end)
	assert.Equal(t, int64(23*3600), end-start)
	assert.Equal(t, bucketOf(springStart), day.Bucket(springStart, nil))
	assert.Equal(t, bucketOf(springStart), day.Bucket(springEnd-1, nil))
	assert.Equal(t, bucketOf(springEnd), day.Bucket(springEnd, nil))
	assert.Equal(t, bucketOf(utc(2013, 3, 9, 8, 0)), day.Bucket(springStart-1, nil))

	// 2013-11-03: clocks fall back from 02:00 PDT to 01:00 PST; the day is 25 hours long.
	fallStart := utc(2013, 11, 3, 7, 0)                // 00:00 PDT
	fallEnd := utc(2013, 11, 4, 8, 0)                  // 00:00 PST
	start, end = day.Interval(utc(2013, 11, 3, 9, 30)) // 01:30 PST, the second 01:30
	assert.Equal(t, fallStart, start)
	assert.Equal(t, fallEnd, end)
	assert.Equal(t, int64(25*3600), end-start)
	assert.Equal(t, bucketOf(fallStart), day.Bucket(fallEnd-1, nil))
	assert.Equal(t, bucketOf(fallEnd), day.Bucket(fallEnd, nil))
}

func TestWeekStartsOnSunday(t *testing.T) {
	week := NewWeek("pst_week", mustLoad(t, "America/Los_Angeles"))

	// 2013-03-09 is a Saturday: its week began on Sunday 2013-03-03, 00:00 PST.
	sat := utc(2013, 3, 9, 20, 0)
	require.Equal(t, time.Saturday, time.Unix(sat, 0).In(week.Location()).Weekday())
	assert.Equal(t, bucketOf(utc(2013, 3, 3, 8, 0)), week.Bucket(sat, nil))

	// Sunday 2013-03-10 starts a new week at 00:00 PST; it ends on Sunday 2013-03-17,
	// 00:00 PDT, one hour short of seven days.
	sun := utc(2013, 3, 10, 8, 0)
	start, end := week.Interval(sun)
	assert.Equal(t, sun, start)
	assert.Equal(t, utc(2013, 3, 17, 7, 0), end)
	assert.Equal(t, bucketOf(utc(2013, 3, 3, 8, 0)), week.Bucket(sun-1, nil))
	// Saturday evening local time is already Sunday in UTC: still the old week.
	assert.Equal(t, bucketOf(sun), week.Bucket(utc(2013, 3, 17, 6, 59), nil))
	assert.Equal(t, bucketOf(utc(2013, 3, 17, 7, 0)), week.Bucket(utc(2013, 3, 17, 7, 0), nil))
}

func TestDayEastOfUTC(t *testing.T) {
	paris := NewDay("paris_day", mustLoad(t, "Europe/Paris"))
	// 23:30 UTC on 2013-03-09 is 00:30 on 2013-03-10 in Paris (CET, UTC+1).
	assert.Equal(t, bucketOf(utc(2013, 3, 9, 23, 0)), paris.Bucket(utc(2013, 3, 9, 23, 30), nil))
	assert.Equal(t, bucketOf(utc(2013, 3, 8, 23, 0)), paris.Bucket(utc(2013, 3, 9, 22, 59), nil))

	kolkata := NewDay("ist_day", mustLoad(t, "Asia/Kolkata"))
	// UTC+05:30: 18:30 UTC is local midnight.
	assert.Equal(t, bucketOf(utc(2013, 3, 9, 18, 30)), kolkata.Bucket(utc(2013, 3, 9, 20, 0), nil))
	assert.Equal(t, bucketOf(utc(2013, 3, 8, 18, 30)), kolkata.Bucket(utc(2013, 3, 9, 18, 29), nil))
}

func TestMonth(t *testing.T) {
	la := NewMonth("pst_month", mustLoad(t, "America/Los_Angeles"))
	// March 2013 begins at 00:00 PST (UTC-8) and ends at 00:00 PDT (UTC-7) on April 1.
	start, end := la.Interval(utc(2013, 3, 15, 0, 0))
	assert.Equal(t, utc(2013, 3, 1, 8, 0), start)
	assert.Equal(t, utc(2013, 4, 1, 7, 0), end)
	// 05:00 UTC on April 1 is still March 31 in Los Angeles.
	assert.Equal(t, bucketOf(utc(2013, 3, 1, 8, 0)), la.Bucket(utc(2013, 4, 1, 5, 0), nil))

	u := NewMonth("utc_month", time.UTC)
	assert.Equal(t, bucketOf(utc(2012, 2, 1, 0, 0)), u.Bucket(utc(2012, 2, 29, 23, 59), nil))
	assert.Equal(t, bucketOf(utc(2012, 12, 1, 0, 0)), u.Bucket(utc(2012, 12, 31, 23, 59), nil))
	assert.Equal(t, bucketOf(utc(2013, 1, 1, 0, 0)), u.Bucket(utc(2013, 1, 1, 0, 0), nil))
}

func TestMidnightInDSTGap(t *testing.T) {
	// Sao Paulo, 2013-10-20: clocks jumped from 00:00 BRT (UTC-3) to 01:00 BRST (UTC-2).
	// Local midnight did not exist; the day began at the transition.
	day := NewDay("sp_day", mustLoad(t, "America/Sao_Paulo"))
	start, end := day.Interval(utc(2013, 10, 20, 15, 0))
	assert.Equal(t, utc(2013, 10, 20, 3, 0), start)
	assert.Equal(t, utc(2013, 10, 21, 2, 0), end)
	assert.Equal(t, bucketOf(utc(2013, 10, 19, 3, 0)), day.Bucket(utc(2013, 10, 20, 2, 59), nil))

	// Apia skipped 2011-12-30 entirely; the 29th runs straight into the 31st.
	apia := NewDay("apia_day", mustLoad(t, "Pacific/Apia"))
	s29, e29 := apia.Interval(utc(2011, 12, 30, 9, 0)) // 23:00 on the 29th, UTC-10
	s31, _ := apia.Interval(utc(2011, 12, 30, 11, 0))  // 01:00 on the 31st, UTC+14
	assert.Equal(t, e29, s31)
	assert.Less(t, s29, e29)
}

// TestCalendarTiles checks, for many timestamps in zones with unusual transitions, that
// the period containing ts starts at a local midnight (or a transition), tiles the time
// line, and that cached and computed buckets agree.
func TestCalendarTiles(t *testing.T) {
	zones := []string{"UTC", "America/Los_Angeles", "Europe/Paris", "Asia/Kolkata",
		"America/Sao_Paulo", "America/Havana", "Australia/Lord_Howe", "Pacific/Apia",
		"Asia/Tehran", "America/St_Johns", "Pacific/Chatham", "Africa/Casablanca"}
	rng := rand.New(rand.NewPCG(1, 2))
	lo, hi := utc(2005, 1, 1, 0, 0), utc(2025, 1, 1, 0, 0)
	for _, zone := range zones {
		loc := mustLoad(t, zone)
		for _, p := range []Period{Day, Week, Month} {
			c := NewCalendar("k", p, loc)
			for range 400 {
				ts := lo + rng.Int64N(hi-lo)
				start, end := c.Interval(ts)
				require.True(t, start <= ts && ts < end, "%s %s: %d not in [%d,%d)", zone, p, ts, start, end)
				s2, _ := c.Interval(end)
				require.Equal(t, end, s2, "%s %s: period after %d does not start at its end", zone, p, ts)
				_, e0 := c.Interval(start - 1)
				require.Equal(t, start, e0, "%s %s: period before %d does not end at its start", zone, p, ts)
				require.Equal(t, bucketOf(start), c.Bucket(ts, nil))
				require.Equal(t, bucketOf(start), c.Bucket(ts, nil), "cached bucket differs")

				local := time.Unix(start, 0).In(loc)
				if p == Week {
					assert.Equal(t, time.Sunday, local.Weekday(), "%s: week of %d", zone, ts)
				}
				if p == Month {
					assert.Equal(t, 1, local.Day(), "%s: month of %d", zone, ts)
				}
				before := time.Unix(start-1, 0).In(loc)
				assert.NotEqual(t, local.YearDay(), before.YearDay(), "%s %s: %d is not the first second of its local day", zone, p, start)
			}
		}
	}
}

func TestCalendarConcurrent(t *testing.T) {
	day := NewDay("pst_day", mustLoad(t, "America/Los_Angeles"))
	ref := NewDay("ref", day.Location())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range 2000 {
				ts := utc(2013, 1, 1, 0, 0) + rng.Int64N(400*86400)
				start, _ := ref.Interval(ts)
				if got := day.Bucket(ts, nil); got != bucketOf(start) {
					t.Errorf("bucket of %d = %s, want %d", ts, got, start)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestBrowser(t *testing.T) {
	cases := []struct{ ua, want string }{
		{"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.22 (KHTML, like Gecko) Chrome/25.0.1364.152 Safari/537.22", "Chrome"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_8_2) AppleWebKit/536.26.17 (KHTML, like Gecko) Version/6.0.2 Safari/536.26.17", "Safari"},
		{"Mozilla/5.0 (Windows NT 6.1; rv:19.0) Gecko/20100101 Firefox/19.0", "Firefox"},
		{"Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)", "IE"},
		{"Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko", "IE"},
		{"MSIE/9", "IE"},
		{"Chrome/666.0", "Chrome"},
		{"curl/7.22.0", "Unknown"},
		{"", "Unknown"},
	}
	r := NewBrowser("browser")
	for _, c := range cases {
		assert.Equal(t, c.want, BrowserOf(c.ua), c.ua)
		assert.Equal(t, c.want, r.Bucket(0, fakeVisitor{ua: c.ua, ok: true}), c.ua)
	}
	assert.Equal(t, "", r.Bucket(0, fakeVisitor{}))
	assert.Equal(t, "", r.Bucket(0, nil))
}

func TestAll(t *testing.T) {
	r := NewAll("all")
	assert.Equal(t, "all", r.Key())
	assert.Equal(t, "0", r.Bucket(-5, nil))
	assert.Equal(t, "0", r.Bucket(1<<40, fakeVisitor{ua: "Chrome", ok: true}))
}

func TestCohortBucketsByFirstHumanTimestamp(t *testing.T) {
	la := mustLoad(t, "America/Los_Angeles")
	day := NewCohort("cohort", Day, la)
	week := NewCohort("cohort_week", Week, la)
	arrived := fakeVisitor{first: utc(2013, 3, 10, 7, 59), firstOK: true} // 23:59 PST on Saturday 9 March

	// The record's own time does not matter: every record lands in the arrival day.
	for _, ts := range []int64{utc(2013, 3, 10, 7, 59), utc(2013, 3, 12, 0, 0), utc(2014, 1, 1, 0, 0), 0} {
		assert.Equal(t, bucketOf(utc(2013, 3, 9, 8, 0)), day.Bucket(ts, arrived))
		assert.Equal(t, bucketOf(utc(2013, 3, 3, 8, 0)), week.Bucket(ts, arrived), "the week from Sunday 3 March")
	}
	// One minute later it is Sunday 10 March, the 23-hour day on which clocks spring forward,
	// and a new week.
	next := fakeVisitor{first: utc(2013, 3, 10, 8, 0), firstOK: true}
	assert.Equal(t, bucketOf(utc(2013, 3, 10, 8, 0)), day.Bucket(0, next))
	assert.Equal(t, bucketOf(utc(2013, 3, 10, 8, 0)), week.Bucket(0, next))
	// Late on that short day (22:30 PDT) is still the same day; its end is 00:00 PDT.
	late := fakeVisitor{first: utc(2013, 3, 11, 5, 30), firstOK: true}
	assert.Equal(t, bucketOf(utc(2013, 3, 10, 8, 0)), day.Bucket(0, late))
	assert.Equal(t, bucketOf(utc(2013, 3, 11, 7, 0)), day.Bucket(0, fakeVisitor{first: utc(2013, 3, 11, 7, 0), firstOK: true}))
	// The 25-hour day of the fall-back: the second 01:30 (PST) belongs to 3 November.
	fall := fakeVisitor{first: utc(2013, 11, 3, 9, 30), firstOK: true}
	assert.Equal(t, bucketOf(utc(2013, 11, 3, 7, 0)), day.Bucket(0, fall))

	// No first human record (yet, or not known): the bucket "".
	assert.Equal(t, "", day.Bucket(utc(2013, 3, 10, 12, 0), fakeVisitor{}))
	assert.Equal(t, "", week.Bucket(utc(2013, 3, 10, 12, 0), nil))

	// Cohort buckets are the calendar rollup's buckets of the first human timestamp.
	cal := NewDay("d", la)
	for _, first := range []int64{utc(2013, 3, 10, 9, 59), utc(2013, 11, 3, 8, 59), utc(2020, 2, 29, 23, 0)} {
		assert.Equal(t, cal.Bucket(first, nil), day.Bucket(first+86400*40, fakeVisitor{first: first, firstOK: true}))
	}
}

func TestPerVisitorRollups(t *testing.T) {
	for _, spec := range []string{"all", "total=all", "first_day:UTC", "c=first_week:Europe/Paris"} {
		r, err := Parse(spec)
		require.NoError(t, err, spec)
		_, ok := r.(PerVisitor)
		assert.True(t, ok, spec)
	}
	for _, spec := range []string{"browser", "day:UTC", "week:UTC", "month:UTC"} {
		r, err := Parse(spec)
		require.NoError(t, err, spec)
		_, ok := r.(PerVisitor)
		assert.False(t, ok, spec)
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		spec, key string
		period    Period
		zone      string
	}{
		{"all", "all", 0, ""},
		{"browser", "browser", 0, ""},
		{"everything=all", "everything", 0, ""},
		{"pst_day=day:America/Los_Angeles", "pst_day", Day, "America/Los_Angeles"},
		{"pst_week=week:America/Los_Angeles", "pst_week", Week, "America/Los_Angeles"},
		{"utc_month=month:UTC", "utc_month", Month, "UTC"},
		{"day:Europe/Paris", "day_Europe/Paris", Day, "Europe/Paris"},
		{" tokyo = week : Asia/Tokyo ", "tokyo", Week, "Asia/Tokyo"},
		{"cohort=first_day:America/Los_Angeles", "cohort", Day, "America/Los_Angeles"},
		{"first_week:Europe/Paris", "first_week_Europe/Paris", Week, "Europe/Paris"},
	}
	for _, c := range cases {
		r, err := Parse(c.spec)
		require.NoError(t, err, c.spec)
		assert.Equal(t, c.key, r.Key(), c.spec)
		if c.period == 0 {
			_, isCal := r.(*Calendar)
			assert.False(t, isCal, c.spec)
			continue
		}
		if co, ok := r.(*Cohort); ok {
			assert.Contains(t, c.spec, "first_", c.spec)
			assert.Equal(t, c.period, co.Period(), c.spec)
			assert.Equal(t, c.zone, co.Location().String(), c.spec)
			continue
		}
		cal, ok := r.(*Calendar)
		require.True(t, ok, c.spec)
		assert.Equal(t, c.period, cal.Period(), c.spec)
		assert.Equal(t, c.zone, cal.Location().String(), c.spec)
	}

	bad := map[string]string{
		"":                        "missing kind",
		"hour:UTC":                "unknown kind",
		"day":                     "needs a time zone",
		"day:Mars/Olympus_Mons":   "unknown time zone",
		"day:Local":               "depends on the machine",
		"all:UTC":                 "takes no time zone",
		"=all":                    "empty key",
		"bad key=all":             "not allowed",
		"k\x00=browser":           "not allowed",
		"site=browser":            "reserved",
		"browser:America/Chicago": "takes no time zone",
		"first_day":               "needs a time zone",
		"c=first_week:Nowhere/X":  "unknown time zone",
		"first_month:UTC":         "unknown kind",
	}
	for spec, msg := range bad {
		_, err := Parse(spec)
		require.Error(t, err, spec)
		assert.Contains(t, err.Error(), msg, spec)
	}
}

func TestParseList(t *testing.T) {
	rs, err := ParseList(DefaultSpecs())
	require.NoError(t, err)
	defs := Defaults()
	require.Len(t, rs, len(defs))
	ts := utc(2013, 3, 10, 20, 0)
	v := fakeVisitor{ua: "Firefox/19", ok: true}
	for i := range rs {
		assert.Equal(t, defs[i].Key(), rs[i].Key())
		assert.Equal(t, defs[i].Bucket(ts, v), rs[i].Bucket(ts, v))
	}
	assert.Equal(t, []string{"all", "pst_day", "pst_week", "browser"}, keys(defs))

	_, err = ParseList([]string{"all", "day:UTC", "all=browser"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `same key "all"`)

	_, err = ParseList([]string{"all", "hour:UTC"})
	require.Error(t, err)
}

func keys(rs []Rollup) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key()
	}
	return out
}

func BenchmarkDayBucket(b *testing.B) {
	loc, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(b, err)
	day := NewDay("pst_day", loc)
	base := utc(2013, 3, 8, 0, 0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ts := base
		for pb.Next() {
			ts = base + (ts-base+97)%(7*86400)
			_ = day.Bucket(ts, nil)
		}
	})
}

func BenchmarkDayInterval(b *testing.B) {
	loc, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(b, err)
	day := NewDay("pst_day", loc)
	base := utc(2013, 3, 8, 0, 0)
	b.ReportAllocs()
	ts := base
	for b.Loop() {
		ts = base + (ts-base+97)%(7*86400)
		_ = day.interval(ts)
	}
}

func BenchmarkBrowserBucket(b *testing.B) {
	r := NewBrowser("browser")
	v := fakeVisitor{ua: "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)", ok: true}
	for b.Loop() {
		_ = r.Bucket(0, v)
	}
}
