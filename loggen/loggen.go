package loggen

import (
	"bufio"
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/messages"
)

// Options shape a generated log. Zero fields take the defaults of the standard workload.
type Options struct {
	Seed       uint64
	Records    int       // total lines; default 1,000,000
	Visitors   int       // distinct visitor ids, about; default Records/10
	RobotShare float64   // share of visitors that never load the pixel; default 0.3
	Sites      int       // site ids 1..Sites; default 3
	Start      time.Time // first day (UTC); default 2024-03-03
	Days       int       // default 7
}

func (o Options) withDefaults() Options {
	if o.Records <= 0 {
		o.Records = 1_000_000
	}
	if o.Visitors <= 0 {
		o.Visitors = max(o.Records/10, 1)
	}
	if o.RobotShare <= 0 {
		o.RobotShare = 0.3
	}
	if o.Sites <= 0 {
		o.Sites = 3
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2024, 3, 3, 0, 0, 0, 0, time.UTC)
	}
	if o.Days <= 0 {
		o.Days = 7
	}
	return o
}

// Tests are the split tests of generated logs, with their populations.
var Tests = []struct {
	Name        string
	Populations []string
}{
	{"homepage hero", []string{"photo", "video", "none"}},
	{"red checkout form", []string{"true", "false"}},
	{"free shipping threshold", []string{"50", "75", "100"}},
}

// ComplexGoals are the complex goals that suit generated logs, in --complex syntax.
var ComplexGoals = []string{
	"abandoned cart|add to cart|began checkout",
	"abandoned checkout|began checkout|completed checkout",
	"abandoned after validation failure|began checkout,checkout validation failed|completed checkout",
	"abandoned after payment failure|began checkout,payment failed|completed checkout",
}

var (
	agents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
		"Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
		"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
	}
	robotAgents = []string{
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"python-requests/2.31",
		"curl/8.5.0",
		"",
	}
	paths = []string{"/", "/products", "/products/espresso", "/products/grinder", "/products/kettle",
		"/cart", "/about", "/blog/how-to-brew", "/search?q=caf\u00e9", "/checkout"}
	referers = []string{"", "", "https://www.example.org/", "https://news.example.com/coffee", "https://search.example.net/?q=espresso"}
)

// Summary tells what Write produced.
type Summary struct {
	Lines    int
	Files    int
	Visitors int
	Bytes    int64
	First    time.Time
	Last     time.Time
}

// event is a compact pending record; it is expanded into a line when written.
type event struct {
	ts    int64 // milliseconds
	vid   int32
	kind  messages.Kind
	arg   int16 // page: path index; goal: goal index; split: test index
	value int32 // goal value in cents, or -1
}

var goals = []struct {
	name, vtype, vformat string
}{
	{"add to cart", "", ""},
	{"began checkout", "", ""},
	{"checkout validation failed", "", ""},
	{"payment failed", "", ""},
	{"completed checkout", messages.ValueSum, messages.FormatCurrency},
	{"newsletter signup", "", ""},
	{"order size", messages.ValueAverage, messages.FormatNumeric},
	{"time on site", messages.ValuePerVisitor, messages.FormatNumeric},
}

const (
	gAddToCart = iota
	gBeganCheckout
	gValidation
	gPayment
	gCompleted
	gNewsletter
	gOrderSize
	gTimeOnSite
)

// Population returns the population of test that visitor vid is in: a stable hash, so a
// visitor sees the same variant on every page.
func Population(vid string, test int) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(Tests[test].Name))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(vid))
	pops := Tests[test].Populations
	return pops[h.Sum64()%uint64(len(pops))]
}

// VisitorID is the id of the i-th generated visitor.
func VisitorID(seed uint64, i int) string {
	return fmt.Sprintf("%08x%08x", uint32(seed*2654435761), uint32(i)*2246822519+1)
}

// Write generates a log as the files base.<hour> and returns what it wrote. Existing files of
// the same names are replaced.
func Write(base string, o Options) (Summary, error) {
	o = o.withDefaults()
	evs := generate(o)
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return Summary{}, fmt.Errorf("loggen: %w", err)
	}
	sum := Summary{Lines: len(evs), Visitors: o.Visitors}
	if len(evs) > 0 {
		sum.First = time.UnixMilli(evs[0].ts).UTC()
		sum.Last = time.UnixMilli(evs[len(evs)-1].ts).UTC()
	}
	vids := make([]string, o.Visitors)
	for i := range vids {
		vids[i] = VisitorID(o.Seed, i)
	}
	var (
		f    *os.File
		w    *bufio.Writer
		hour int64 = -1
		line []byte
		rec  messages.Record
	)
	closeFile := func() error {
		if f == nil {
			return nil
		}
		if err := w.Flush(); err != nil {
			return err
		}
		st, err := f.Stat()
		if err == nil {
			sum.Bytes += st.Size()
		}
		return f.Close()
	}
	for i := range evs {
		e := &evs[i]
		sec := e.ts / 1000
		if h := sec - sec%3600; h != hour {
			if err := closeFile(); err != nil {
				return sum, fmt.Errorf("loggen: %w", err)
			}
			var err error
			f, err = os.Create(base + "." + strconv.FormatInt(h, 10))
			if err != nil {
				return sum, fmt.Errorf("loggen: %w", err)
			}
			w = bufio.NewWriterSize(f, 1<<20)
			hour = h
			sum.Files++
		}
		expand(&rec, e, vids[e.vid], o)
		line = messages.AppendLine(line[:0], &rec)
		if _, err := w.Write(line); err != nil {
			return sum, fmt.Errorf("loggen: %w", err)
		}
	}
	if err := closeFile(); err != nil {
		return sum, fmt.Errorf("loggen: %w", err)
	}
	return sum, nil
}

// Records generates the log's records in order, without writing files (Ptr is left zero).
func Records(o Options) []messages.Record {
	o = o.withDefaults()
	evs := generate(o)
	out := make([]messages.Record, len(evs))
	for i := range evs {
		expand(&out[i], &evs[i], VisitorID(o.Seed, int(evs[i].vid)), o)
	}
	return out
}

func expand(r *messages.Record, e *event, vid string, o Options) {
	*r = messages.Record{Kind: e.kind, Timestamp: e.ts / 1000, TimeFraction: fmt.Sprintf("%03d", e.ts%1000), VID: vid}
	vr := rand.New(rand.NewPCG(o.Seed, uint64(e.vid)))
	r.Site = int64(1 + vr.IntN(o.Sites))
	robot := vr.Float64() < o.RobotShare
	switch e.kind {
	case messages.KindPage:
		r.IP = fmt.Sprintf("10.%d.%d.%d", vr.IntN(256), vr.IntN(256), 1+vr.IntN(254))
		r.Method = "GET"
		if e.arg == int16(len(paths)-1) {
			r.Method = "POST"
		}
		r.URL = "https://shop" + strconv.FormatInt(r.Site, 10) + ".example.com" + paths[e.arg]
		if robot {
			r.UserAgent = robotAgents[vr.IntN(len(robotAgents))]
		} else {
			r.UserAgent = agents[vr.IntN(len(agents))]
		}
		r.Referer = referers[int(e.ts/1000)%len(referers)]
	case messages.KindGoal:
		g := goals[e.arg]
		r.Goal, r.ValueType, r.ValueFormat = g.name, g.vtype, g.vformat
		if e.value >= 0 {
			r.HasValue = true
			r.Value = decimal.New(int64(e.value), -2)
		}
	case messages.KindSplit:
		r.Test = Tests[e.arg].Name
		r.Population = Population(vid, int(e.arg))
	}
}

// generate simulates every visitor's visits and returns their events in time order.
func generate(o Options) []event {
	evs := make([]event, 0, o.Records+64)
	span := int64(o.Days) * 86400 * 1000
	start := o.Start.UnixMilli()
	for v := 0; v < o.Visitors; v++ {
		vr := rand.New(rand.NewPCG(o.Seed, uint64(v)))
		_ = vr.IntN(o.Sites) // site, drawn again in expand from the same stream
		robot := vr.Float64() < o.RobotShare
		// Share the remaining records fairly among the remaining visitors.
		remaining := o.Records - len(evs)
		if remaining <= 0 {
			break
		}
		want := float64(remaining) / float64(o.Visitors-v)
		n := 1 + int(vr.ExpFloat64()*(want-1)+0.5)
		if v == o.Visitors-1 {
			n = remaining
		}
		n = min(n, remaining)
		t := start + int64(diurnal(vr)*float64(span))
		evs = visit(evs, vr, int32(v), VisitorID(o.Seed, v), robot, n, t)
	}
	slices.SortStableFunc(evs, func(a, b event) int { return cmp.Compare(a.ts, b.ts) })
	return evs
}

// diurnal draws a point in [0,1) of the run's span with more traffic by day than by night.
func diurnal(r *rand.Rand) float64 {
	for {
		x := r.Float64()
		hourOfDay := math.Mod(x*24*7, 24)
		if r.Float64() < 0.35+0.65*math.Sin(math.Pi*hourOfDay/24) {
			return x
		}
	}
}

// visit appends n events of one visitor starting at t (ms).
func visit(evs []event, r *rand.Rand, vid int32, vidStr string, robot bool, n int, t int64) []event {
	add := func(k messages.Kind, arg int16, value int32) {
		evs = append(evs, event{ts: t, vid: vid, kind: k, arg: arg, value: value})
		t += int64(2000 + r.IntN(90_000))
		n--
	}
	// Early actions: some visitors act before their first pixel arrives.
	pixelLate := !robot && r.Float64() < 0.25
	tested := make([]bool, len(Tests))
	for n > 0 {
		add(messages.KindPage, int16(r.IntN(len(paths)-1)), -1)
		if n > 0 && !robot && !pixelLate {
			add(messages.KindPixel, 0, -1)
		}
		for ti := range Tests {
			if n > 0 && !tested[ti] && r.Float64() < 0.5 {
				tested[ti] = true
				add(messages.KindSplit, int16(ti), -1)
			}
		}
		if n > 0 && pixelLate && r.Float64() < 0.5 {
			add(messages.KindGoal, gNewsletter, -1)
		}
		if n > 0 && pixelLate {
			pixelLate = false
			add(messages.KindPixel, 0, -1)
		}
		lift := 1.0
		if tested[1] && Population(vidStr, 1) == "true" {
			lift = 1.3
		}
		if n > 0 && r.Float64() < 0.3*lift {
			add(messages.KindGoal, gAddToCart, -1)
			if n > 0 && r.Float64() < 0.6 {
				add(messages.KindPage, int16(len(paths)-1), -1)
				if n > 0 {
					add(messages.KindGoal, gBeganCheckout, -1)
				}
				if n > 0 && r.Float64() < 0.15 {
					add(messages.KindGoal, gValidation, -1)
				}
				if n > 0 && r.Float64() < 0.08 {
					add(messages.KindGoal, gPayment, -1)
				}
				if n > 0 && r.Float64() < 0.7*lift {
					add(messages.KindGoal, gCompleted, int32(1500+r.IntN(25_000)))
					if n > 0 {
						add(messages.KindGoal, gOrderSize, int32(100*(1+r.IntN(5))))
					}
				}
			}
		}
		if n > 0 && !robot && r.Float64() < 0.2 {
			add(messages.KindGoal, gTimeOnSite, int32(1000+r.IntN(60_000)))
		}
		t += int64(r.IntN(3)) * 86400 * 1000 / 3 // come back later, sometimes
	}
	return evs
}
