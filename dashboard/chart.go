package dashboard

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/persistence"
)

// The geometry of the daily chart, in SVG user units.
const (
	chartWidth  = 960
	chartHeight = 340
	chartLeft   = 64 // room for the y tick labels and the axis label
	chartRight  = 20
	chartTop    = 16
	chartBottom = 56 // room for the x tick labels and the axis label
	maxXLabels  = 10
	seriesClass = 8 // the number of series colours in the style sheet
)

// dayData is the daily counts of the chart's goal: per population, impressions and
// conversions per day bucket.
type dayData struct {
	Buckets []string // the union of every population's buckets, in order
	Series  []daySeries
}

type daySeries struct {
	Population  string
	Visitors    map[string]int64 // bucket → visitors who saw the variant that day
	Conversions map[string]int64 // bucket → of those, conversions on the goal that day
}

// loadDays reads the day rollup of goal for every population of r.
func loadDays(ctx context.Context, src source, r *report, goal, rollup string) (*dayData, error) {
	d := &dayData{}
	buckets := map[string]bool{}
	for _, pop := range r.Populations {
		s := daySeries{Population: pop, Visitors: map[string]int64{}, Conversions: map[string]int64{}}
		q := persistence.Query{Test: r.Test.Name, Population: pop, Rollup: rollup, Site: r.View.Site}
		imps, err := src.Series(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("daily visitors of %q in test %q: %w", pop, r.Test.Name, err)
		}
		q.Goal = goal
		convs, err := src.Series(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("daily conversions on %q of %q in test %q: %w", goal, pop, r.Test.Name, err)
		}
		for _, p := range imps {
			s.Visitors[p.Bucket] += p.Count
			buckets[p.Bucket] = true
		}
		for _, p := range convs {
			s.Conversions[p.Bucket] += p.Count
			buckets[p.Bucket] = true
		}
		d.Series = append(d.Series, s)
	}
	for b := range buckets {
		d.Buckets = append(d.Buckets, b)
	}
	slices.SortFunc(d.Buckets, persistence.CompareBuckets)
	return d, nil
}

// ratePoint is one day of a population's rate: conversions of visitors, per day or
// cumulated up to the day. Defined is false when there were no visitors yet.
type ratePoint struct {
	Bucket      string
	Conversions int64
	Visitors    int64
	Defined     bool
}

func (p ratePoint) Rate() float64 {
	if p.Visitors <= 0 {
		return 0
	}
	return float64(p.Conversions) / float64(p.Visitors)
}

// rates returns the points of series s over buckets in the given mode.
func rates(s daySeries, buckets []string, mode string) []ratePoint {
	points := make([]ratePoint, len(buckets))
	var conv, vis int64
	for i, b := range buckets {
		if mode == modeCumulative {
			conv += s.Conversions[b]
			vis += s.Visitors[b]
		} else {
			conv, vis = s.Conversions[b], s.Visitors[b]
		}
		points[i] = ratePoint{Bucket: b, Conversions: conv, Visitors: vis, Defined: vis > 0}
	}
	return points
}

// svgChart is the daily chart laid out for the template.
type svgChart struct {
	Width, Height int
	Title         string
	XLabel        string
	Left, Right   string // x of the plot area's edges
	Top, Bottom   string // y of the plot area's edges
	XTicks        []tick
	YTicks        []tick
	Lines         []svgLine
	Empty         bool // no day has visitors
}

type tick struct {
	X, Y  string
	Label string
}

type svgLine struct {
	Population string
	Class      string
	Path       string // SVG path data; a gap (no visitors) starts a new subpath
	Points     []svgPoint
}

type svgPoint struct {
	X, Y  string
	Title string
}

// layoutChart turns the day data into an SVG chart. labelDay names a bucket on the x
// axis (short) and in point titles (long).
func layoutChart(d *dayData, goal, mode, xLabel string, labelDay func(bucket string) (short, long string)) svgChart {
	c := svgChart{
		Width: chartWidth, Height: chartHeight, XLabel: xLabel,
		Left: num(chartLeft), Right: num(chartWidth - chartRight),
		Top: num(chartTop), Bottom: num(chartHeight - chartBottom),
	}
	what := "cumulative, by day"
	if mode == modeDaily {
		what = "per day"
	}
	c.Title = fmt.Sprintf("Conversion rate of %q per population, %s", goal, what)

	series := make([][]ratePoint, len(d.Series))
	maxRate := 0.0
	for i, s := range d.Series {
		series[i] = rates(s, d.Buckets, mode)
		for _, p := range series[i] {
			if p.Defined {
				maxRate = max(maxRate, p.Rate())
			}
		}
	}
	c.Empty = !slices.ContainsFunc(series, func(ps []ratePoint) bool {
		return slices.ContainsFunc(ps, func(p ratePoint) bool { return p.Defined })
	})

	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)
	n := len(d.Buckets)
	x := func(i int) float64 { return chartLeft + (float64(i)+0.5)*plotW/float64(max(n, 1)) }

	step, top := niceScale(maxRate)
	y := func(r float64) float64 { return chartTop + plotH*(1-r/top) }
	decimals := percentDecimals(step)
	for v := 0.0; v <= top+step/2; v += step {
		c.YTicks = append(c.YTicks, tick{X: num(chartLeft - 8), Y: num(y(v)), Label: formatPercent(v, decimals)})
	}

	every := (n + maxXLabels - 1) / maxXLabels
	for i, b := range d.Buckets {
		if i%max(every, 1) != 0 {
			continue
		}
		short, _ := labelDay(b)
		c.XTicks = append(c.XTicks, tick{X: num(x(i)), Y: num(chartHeight - chartBottom + 18), Label: short})
	}

	for i, s := range d.Series {
		line := svgLine{Population: s.Population, Class: "s" + strconv.Itoa(i%seriesClass)}
		var path strings.Builder
		pen := false
		for j, p := range series[i] {
			if !p.Defined {
				pen = false
				continue
			}
			px, py := num(x(j)), num(y(p.Rate()))
			if pen {
				path.WriteString(" L")
			} else {
				if path.Len() > 0 {
					path.WriteByte(' ')
				}
				path.WriteString("M")
			}
			path.WriteString(px + " " + py)
			pen = true
			_, long := labelDay(p.Bucket)
			line.Points = append(line.Points, svgPoint{X: px, Y: py, Title: fmt.Sprintf("%s, %s: %s (%s of %s)",
				s.Population, long, formatPercent(p.Rate(), 2), formatCount(p.Conversions), formatCount(p.Visitors))})
		}
		line.Path = path.String()
		c.Lines = append(c.Lines, line)
	}
	return c
}

// niceScale returns a tick step of 1, 2, 2.5 or 5 times a power of ten giving about
// four intervals, and the axis maximum (a multiple of the step at or above maxValue).
// An axis without data runs to 1%.
func niceScale(maxValue float64) (step, top float64) {
	if !(maxValue > 0) || math.IsInf(maxValue, 0) {
		maxValue = 0.01
	}
	raw := maxValue / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw*(1-1e-9) {
			step = m * mag
			break
		}
	}
	top = math.Ceil(maxValue/step-1e-9) * step
	return step, top
}

// percentDecimals returns the decimals needed to show multiples of step as percents.
func percentDecimals(step float64) int {
	v := step * 100
	for d := 0; d < 6; d++ {
		if math.Abs(v-math.Round(v)) < 1e-9*math.Max(1, v) {
			return d
		}
		v *= 10
	}
	return 6
}

// dayLabeler names day buckets (Unix seconds of a local midnight) by their date: in
// zone when one is given, otherwise by the UTC date twelve hours later, which is the
// local date for every zone within twelve hours of UTC. Other buckets keep their text.
func dayLabeler(zone *time.Location) func(string) (string, string) {
	return func(bucket string) (string, string) {
		ts, err := strconv.ParseInt(bucket, 10, 64)
		if err != nil {
			return bucket, bucket
		}
		var t time.Time
		if zone != nil {
			t = time.Unix(ts, 0).In(zone)
		} else {
			t = time.Unix(ts+12*3600, 0).UTC()
		}
		return t.Format("Jan 2"), t.Format("Mon 2006-01-02")
	}
}

// num formats an SVG coordinate.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
