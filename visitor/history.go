package visitor

import (
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/shopspring/decimal"
)

// MaxQueue is the number of records held for a visitor not yet known to be human; when
// more arrive, the oldest are dropped.
const MaxQueue = 500

// Variant is a split-test population a visitor was shown.
type Variant struct {
	Test       string
	Population string
}

// The dedupe keys of a history. Goals and variants are referred to by their position in
// the history's goal and variant lists (which only grow); rollup keys and buckets are
// the strings of the rollups, so a lookup hashes or compares no goal or test names.
type (
	conversionKey struct {
		goal   int32
		site   int64
		rollup string
		bucket string
	}
	impressionKey struct {
		variant int32
		site    int64
		rollup  string
		bucket  string
	}
	variantConversionKey struct {
		goal    int32
		variant int32
		site    int64
		rollup  string
		bucket  string
	}
	// bucketKey is a conversion counter of a complex goal, without the goal's name.
	bucketKey struct {
		site   int64
		rollup string
		bucket string
	}
)

// complexKeys are the conversion counters a complex goal last added for a visitor.
type complexKeys struct {
	name string
	keys []bucketKey
}

// held is a record waiting in the queue of a visitor not yet known to be human; it keeps
// only what the human path needs.
type held struct {
	kind messages.Kind
	ts   int64
	site int64
	ptr  messages.Pointer
	// page
	ip, agent string
	// goal
	goal                   string
	value                  decimal.Decimal
	valueType, valueFormat string
	// split
	test, population string
}

func holdRecord(r *messages.Record) held {
	h := held{kind: r.Kind, ts: r.Timestamp, site: r.Site, ptr: r.Ptr}
	switch r.Kind {
	case messages.KindPage:
		h.ip, h.agent = r.IP, r.UserAgent
	case messages.KindGoal:
		h.goal, h.valueType, h.valueFormat = r.Goal, r.ValueType, r.ValueFormat
		if r.HasValue {
			h.value = r.Value
		}
	case messages.KindSplit:
		h.test, h.population = r.Test, r.Population
	}
	return h
}

// History is what is known of one visitor (DESIGN §3): whether it is human, the records
// held until it is, its goals, variants, IP addresses and user agents (each in first-seen
// order), the counters it was already counted in, and the conversions each complex goal
// last added for it. The zero History is not usable; call NewHistory.
type History struct {
	human bool

	// queue is a ring of held records: in order, queue[qhead:] then queue[:qhead].
	queue []held
	qhead int

	goals    orderedSet[string]
	variants orderedSet[Variant]
	ips      orderedSet[string]
	agents   orderedSet[string]

	conversions        orderedSet[conversionKey]
	impressions        orderedSet[impressionKey]
	variantConversions orderedSet[variantConversionKey]

	complex []complexKeys
}

// NewHistory returns the history of a visitor never seen before.
func NewHistory() *History { return &History{} }

// Human reports whether the visitor has loaded the tracking pixel.
func (h *History) Human() bool { return h.human }

// FirstUserAgent returns the first user agent the visitor was seen with (as a human).
func (h *History) FirstUserAgent() (string, bool) {
	if len(h.agents.items) == 0 {
		return "", false
	}
	return h.agents.items[0], true
}

// QueueLen returns the number of records held until the visitor proves human.
func (h *History) QueueLen() int { return len(h.queue) }

// Goals returns the goals the visitor converted on, in first-conversion order.
func (h *History) Goals() []string { return append([]string(nil), h.goals.items...) }

// Variants returns the test populations the visitor was shown, in first-seen order.
func (h *History) Variants() []Variant { return append([]Variant(nil), h.variants.items...) }

// IPs returns the visitor's IP addresses in first-seen order.
func (h *History) IPs() []string { return append([]string(nil), h.ips.items...) }

// UserAgents returns the visitor's user agents in first-seen order.
func (h *History) UserAgents() []string { return append([]string(nil), h.agents.items...) }

// hold queues a record, keeping only the newest MaxQueue.
func (h *History) hold(r *messages.Record) {
	if len(h.queue) < MaxQueue {
		h.queue = append(h.queue, holdRecord(r))
		return
	}
	h.queue[h.qhead] = holdRecord(r)
	h.qhead = (h.qhead + 1) % len(h.queue)
}

// takeQueue returns the held records in log order and empties the queue.
func (h *History) takeQueue() []held {
	q := h.queue
	if h.qhead != 0 {
		q = append(append(make([]held, 0, len(q)), q[h.qhead:]...), q[:h.qhead]...)
	}
	h.queue, h.qhead = nil, 0
	return q
}

// complexFor returns the remembered keys of complex goal name, or nil.
func (h *History) complexFor(name string) *complexKeys {
	for i := range h.complex {
		if h.complex[i].name == name {
			return &h.complex[i]
		}
	}
	return nil
}

// rememberComplex replaces the keys remembered for complex goal name.
func (h *History) rememberComplex(name string, keys []bucketKey) {
	if c := h.complexFor(name); c != nil {
		c.keys = keys
		return
	}
	h.complex = append(h.complex, complexKeys{name: name, keys: keys})
}

// forgetComplex removes and returns the keys remembered for complex goal name.
func (h *History) forgetComplex(name string) []bucketKey {
	for i := range h.complex {
		if h.complex[i].name == name {
			keys := h.complex[i].keys
			h.complex = append(h.complex[:i], h.complex[i+1:]...)
			return keys
		}
	}
	return nil
}
