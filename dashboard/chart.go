package dashboard

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The geometry of the charts, in SVG user units.
const (
	chartWidth  = 960
	chartHeight = 300
	chartLeft   = 116 // room for the y tick labels, also at the larger font of narrow screens
	chartRight  = 20
	chartTop    = 16
	chartBottom = 44 // room for the x tick labels (the axis labels are outside the chart)
	maxXLabels  = 8
	seriesClass = 8 // the number of series colours in the style sheet
)

// chartPoint is one day of a series; Defined is false before the first visitor.
type chartPoint struct {
	Value, Low, High float64 // Low and High: the interval, when Band
	Defined, Band    bool
	Title            string
}

// chartSeries is one line of a chart.
type chartSeries struct {
	Population string
	Class      string
	Points     []chartPoint // one per bucket
}

// svgChart is a chart laid out for the template.
type svgChart struct {
	ID            string
	Width, Height int
	Title         string
	XLabel        string
	YLabel        string
	Left, Right   string // x of the plot area's edges
	Top, Bottom   string // y of the plot area's edges
	Zero          string // y of the zero line ("" when 0 is the bottom)
	XTicks        []tick
	YTicks        []tick
	Lines         []svgLine
	Empty         bool // no point is defined
}

type tick struct {
	X, Y  string
	Label string
}

type svgLine struct {
	Population string
	Class      string
	Path       string // SVG path data; a gap starts a new subpath
	Band       string // the interval's area, closed path data; "" without one
	Points     []svgPoint
	Last       string // the last defined value, formatted
}

type svgPoint struct {
	X, Y  string
	Title string
}

// chartFormat shows the values of a chart: tick those of the y axis (ticks step
// apart), mean those of the legend.
type chartFormat interface {
	tick(v, step float64) string
	mean(v float64) string
}

// liftFormat shows lifts: signed percentages.
type liftFormat struct{}

func (liftFormat) tick(v, step float64) string { return formatSignedPercent(v, percentDecimals(step)) }
func (liftFormat) mean(v float64) string       { return formatSignedPercent(v, 2) }

// layoutChart lays out series over buckets: labels names the buckets on the x axis,
// format the values on the y axis and in the legend. With fromZero the y axis starts at 0, otherwise it
// spans the values and their intervals, with 0 in view.
func layoutChart(id, title, xLabel, yLabel string, buckets []string, series []chartSeries, labels []string, format chartFormat, fromZero bool) svgChart {
	c := svgChart{
		ID: id, Width: chartWidth, Height: chartHeight, Title: title, XLabel: xLabel, YLabel: yLabel,
		Left: num(chartLeft), Right: num(chartWidth - chartRight),
		Top: num(chartTop), Bottom: num(chartHeight - chartBottom), Empty: true,
	}
	lo, hi := 0.0, 0.0
	for _, s := range series {
		for _, p := range s.Points {
			if !p.Defined {
				continue
			}
			c.Empty = false
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
			if p.Band {
				lo, hi = math.Min(lo, p.Low), math.Max(hi, p.High)
			}
		}
	}
	if fromZero {
		lo = 0
	}
	step, bottom, top := niceRange(lo, hi)
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)
	n := len(buckets)
	x := func(i int) float64 { return chartLeft + (float64(i)+0.5)*plotW/float64(max(n, 1)) }
	y := func(v float64) float64 { return chartTop + plotH*(1-(v-bottom)/(top-bottom)) }
	for i := 0; ; i++ {
		v := bottom + float64(i)*step
		if v > top+step/2 {
			break
		}
		c.YTicks = append(c.YTicks, tick{X: num(chartLeft - 8), Y: num(y(v)), Label: format.tick(v, step)})
	}
	if bottom < 0 {
		c.Zero = num(y(0))
	}
	every := max((n+maxXLabels-1)/maxXLabels, 1)
	for i := range buckets {
		if i%every == 0 {
			c.XTicks = append(c.XTicks, tick{X: num(x(i)), Y: num(chartHeight - chartBottom + 8), Label: labels[i]})
		}
	}
	for _, s := range series {
		line := svgLine{Population: s.Population, Class: s.Class}
		var path, upper, lower strings.Builder
		pen := false
		for j, p := range s.Points {
			if !p.Defined {
				pen = false
				continue
			}
			px, py := num(x(j)), num(y(p.Value))
			switch {
			case pen:
				path.WriteString(" L")
			case path.Len() > 0:
				path.WriteString(" M")
			default:
				path.WriteString("M")
			}
			path.WriteString(px + " " + py)
			pen = true
			if p.Band {
				sep := " L"
				if upper.Len() == 0 {
					sep = "M"
				}
				upper.WriteString(sep + px + " " + num(y(p.High)))
				lower.WriteString(" L" + px + " " + num(y(p.Low)) + "|")
			}
			line.Points = append(line.Points, svgPoint{X: px, Y: py, Title: p.Title})
			line.Last = format.mean(p.Value)
		}
		if upper.Len() > 0 {
			lows := strings.Split(strings.TrimSuffix(lower.String(), "|"), "|")
			var back strings.Builder
			for i := len(lows) - 1; i >= 0; i-- {
				back.WriteString(lows[i])
			}
			line.Band = upper.String() + back.String() + " Z"
		}
		line.Path = path.String()
		c.Lines = append(c.Lines, line)
	}
	return c
}

// niceRange returns a tick step of 1, 2, 2.5 or 5 times a power of ten giving about
// four intervals, and the axis bounds (multiples of the step around lo and hi). An
// axis without data runs from 0 to 1%.
func niceRange(lo, hi float64) (step, bottom, top float64) {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		span, lo, hi = 0.01, math.Min(lo, 0), math.Max(hi, lo+0.01)
	}
	raw := span / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw*(1-1e-9) {
			step = m * mag
			break
		}
	}
	bottom = math.Floor(lo/step+1e-9) * step
	top = math.Ceil(hi/step-1e-9) * step
	if top <= bottom {
		top = bottom + step
	}
	return step, bottom, top
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

// dayLabel names a day bucket (Unix seconds of a local midnight in zone) by its date,
// short for the axis and long for titles. Other buckets keep their text.
func dayLabel(bucket string, zone *time.Location) (string, string) {
	ts, err := strconv.ParseInt(bucket, 10, 64)
	if err != nil {
		return bucket, bucket
	}
	t := time.Unix(ts, 0).In(zone)
	return t.Format("Jan 2"), t.Format("Mon 2006-01-02")
}

// num formats an SVG coordinate.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// chartTitle is the accessible title of an over-time chart.
func chartTitle(what, goal string) string {
	return fmt.Sprintf("%s on %q by day of arrival, cumulative", what, goal)
}
