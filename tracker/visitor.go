package tracker

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/messages"
)

// ctxKey is the context key of the request's Visitor.
type ctxKey struct{}

// Visitor is the handle on the browser that made a request, in the request's context
// (FromContext). Its methods are safe for concurrent use. After the request has ended a
// Visitor still works: what it records is written at once.
type Visitor struct {
	t    *Tracker // nil for the no-op visitor
	id   string
	site int64

	mu     sync.Mutex
	buf    []byte    // lines not yet written
	splits []string  // tests recorded in this request
	ended  bool      // the request has ended: write at once
	space  [768]byte // room for the lines of a typical request
}

// noop is the Visitor outside the middleware.
var noop = &Visitor{}

// FromContext returns the Visitor of the request whose context is ctx. Inside the
// middleware it is never nil; elsewhere it is a no-op Visitor that records nothing, has
// the empty ID, and whose splits return the first population (the first of the sorted
// keys with a positive weight for SplitWeighted, SplitTrue with no populations).
func FromContext(ctx context.Context) *Visitor {
	if v, ok := ctx.Value(ctxKey{}).(*Visitor); ok {
		return v
	}
	return noop
}

// ID returns the visitor id ("" for the no-op visitor).
func (v *Visitor) ID() string { return v.id }

// Site returns the site id of the visitor's request.
func (v *Visitor) Site() int64 { return v.site }

// ValueType says how the values of a goal add up (docs/log-format.md).
type ValueType string

// The value types of a goal.
const (
	Sum        ValueType = messages.ValueSum        // total: revenue
	Average    ValueType = messages.ValueAverage    // per converting visitor
	PerVisitor ValueType = messages.ValuePerVisitor // per visitor who viewed a page
	Rate       ValueType = messages.ValueRate       // shown like PerVisitor
)

// ValueFormat says how a goal's values are shown.
type ValueFormat string

// The value formats of a goal.
const (
	NoFormat   ValueFormat = messages.FormatNone
	Numeric    ValueFormat = messages.FormatNumeric
	Currency   ValueFormat = messages.FormatCurrency
	Percentage ValueFormat = messages.FormatPercentage
)

// goalSpec is what GoalOptions set.
type goalSpec struct {
	value       decimal.Decimal
	hasValue    bool
	valueType   string
	valueFormat string
}

// GoalOption adds to a goal conversion.
type GoalOption func(*goalSpec)

// WithValue gives a conversion a value (revenue, a quantity), how values add up and how
// they are shown. The first conversion of a goal in the log fixes its type and format.
func WithValue(value decimal.Decimal, valueType ValueType, format ValueFormat) GoalOption {
	return func(g *goalSpec) {
		g.value, g.hasValue = value, true
		g.valueType, g.valueFormat = string(valueType), string(format)
	}
}

// Goal records that the visitor converted on the named goal, with the options' value.
// A refused goal (bad name, value type or format, a value too long to write) is
// reported to Options.ErrorLog and not recorded.
func (v *Visitor) Goal(name string, opts ...GoalOption) {
	if v.t == nil {
		return
	}
	var g goalSpec
	for _, o := range opts {
		o(&g)
	}
	if err := checkGoal(name, &g); err != nil {
		v.t.errorLog(err)
		return
	}
	rec := messages.Record{
		Kind: messages.KindGoal, Goal: name,
		Value: g.value, HasValue: g.hasValue, ValueType: g.valueType, ValueFormat: g.valueFormat,
	}
	v.add(&rec, v.t.now())
}

func checkGoal(name string, g *goalSpec) error {
	if reason := checkName(name); reason != "" {
		return fmt.Errorf("tracker: goal %q refused: the name is %s", clip(name), reason)
	}
	if !messages.ValidValueType(g.valueType) {
		return fmt.Errorf("tracker: goal %q refused: value type %q is not one of %s", name, g.valueType, messages.ValueTypeChoices)
	}
	if !messages.ValidValueFormat(g.valueFormat) {
		return fmt.Errorf("tracker: goal %q refused: value format %q is not one of %s", name, g.valueFormat, messages.ValueFormatChoices)
	}
	if g.hasValue {
		if len(messages.FormatValue(g.value)) > messages.MaxFieldLength {
			return fmt.Errorf("tracker: goal %q refused: value has more than %d characters", name, messages.MaxFieldLength)
		}
	}
	return nil
}

// Split returns the visitor's population in test: one of populations, uniformly
// (SplitTrue or SplitFalse when none are given), always the same for the same visitor,
// test and populations (see the package documentation for the hashing). The first call
// for a test in a request records a split.
func (v *Visitor) Split(test string, populations ...string) string {
	if len(populations) == 0 {
		populations = trueFalse
	}
	if v.t == nil {
		return populations[0]
	}
	pop := chooseUniform(splitHash(test, v.id), populations)
	v.split(test, pop)
	return pop
}

// SplitWeighted returns the visitor's population in test, chosen with probability
// proportional to its weight; populations without a positive finite weight are never
// chosen. Like Split it is deterministic and records the split once per request. With no
// usable weight it returns "" and records nothing.
func (v *Visitor) SplitWeighted(test string, weights map[string]float64) string {
	ws, total := usableWeights(weights)
	if len(ws) == 0 {
		if v.t != nil {
			v.t.errorLog(fmt.Errorf("tracker: split test %q has no population with a positive weight", clip(test)))
		}
		return ""
	}
	if v.t == nil {
		return ws[0].name
	}
	pop := chooseWeighted(splitHash(test, v.id), ws, total)
	v.split(test, pop)
	return pop
}

// split records the impression of (test, pop) unless the test was recorded already in
// this request.
func (v *Visitor) split(test, pop string) {
	if reason := checkName(test); reason != "" {
		v.t.errorLog(fmt.Errorf("tracker: split test %q refused: the name is %s", clip(test), reason))
		return
	}
	if reason := checkName(pop); reason != "" {
		v.t.errorLog(fmt.Errorf("tracker: split test %q refused: population %q is %s", test, clip(pop), reason))
		return
	}
	v.mu.Lock()
	if slices.Contains(v.splits, test) {
		v.mu.Unlock()
		return
	}
	v.splits = append(v.splits, test)
	v.mu.Unlock()
	rec := messages.Record{Kind: messages.KindSplit, Test: test, Population: pop}
	v.add(&rec, v.t.now())
}

// add completes rec with the visitor's id, site and the time now, and buffers it or,
// in immediate mode or after the request, writes it.
func (v *Visitor) add(rec *messages.Record, now time.Time) {
	rec.Timestamp, rec.TimeFraction = stamp(now)
	rec.VID, rec.Site = v.id, v.site
	v.mu.Lock()
	if !v.ended && !v.t.immediate {
		if v.buf == nil {
			v.buf = v.space[:0]
		}
		v.buf = messages.AppendLine(v.buf, rec)
		v.mu.Unlock()
		return
	}
	v.mu.Unlock()
	var line [512]byte
	v.t.write(now, messages.AppendLine(line[:0], rec))
}

// end writes the buffered records; later records are written at once.
func (v *Visitor) end() {
	v.mu.Lock()
	buf := v.buf
	v.buf, v.ended = nil, true
	v.mu.Unlock()
	if len(buf) > 0 {
		v.t.write(v.t.now(), buf)
	}
}

// stamp returns the log timestamp of t: Unix seconds and four fractional digits.
func stamp(t time.Time) (int64, string) {
	n := t.Nanosecond() / 100_000
	return t.Unix(), fractions[4*n : 4*n+4]
}

// fractions holds "0000" to "9999" back to back, so that stamp does not allocate.
var fractions = func() string {
	b := make([]byte, 0, 4*10_000)
	for i := range 10_000 {
		b = append(b, byte('0'+i/1000), byte('0'+i/100%10), byte('0'+i/10%10), byte('0'+i%10))
	}
	return string(b)
}()
