package reference

import (
	"fmt"
	"hash/fnv"
	"sync"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// Accumulator applies records to in-memory visitor histories and collects their deltas.
type Accumulator struct {
	rules     *visitor.Rules
	histories map[string]*visitor.History
	deltas    *messages.Deltas
}

// NewAccumulator returns an empty accumulator counting by rules.
func NewAccumulator(rules *visitor.Rules) *Accumulator {
	return &Accumulator{rules: rules, histories: map[string]*visitor.History{}, deltas: messages.NewDeltas()}
}

// Apply applies one record to its visitor's history.
func (a *Accumulator) Apply(rec *messages.Record) {
	h := a.histories[rec.VID]
	if h == nil {
		h = visitor.NewHistory()
		a.histories[rec.VID] = h
	}
	a.rules.Apply(h, rec, a.deltas)
}

// Deltas returns everything accumulated so far (not a copy).
func (a *Accumulator) Deltas() *messages.Deltas { return a.deltas }

// History returns the history of visitor vid, or nil if it has no record yet.
func (a *Accumulator) History(vid string) *visitor.History { return a.histories[vid] }

// Histories returns every history by visitor id (not a copy).
func (a *Accumulator) Histories() map[string]*visitor.History { return a.histories }

// Accumulate applies recs in order with a fresh accumulator and returns its deltas.
func Accumulate(rules *visitor.Rules, recs []messages.Record) *messages.Deltas {
	a := NewAccumulator(rules)
	for i := range recs {
		a.Apply(&recs[i])
	}
	return a.Deltas()
}

// Partition returns the partition (0 to n-1) of visitor vid: FNV-1a of the id, modulo n.
func Partition(vid string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(vid))
	return int(h.Sum32() % uint32(n))
}

// AccumulatePartitioned splits recs by Partition of their visitor into n partitions,
// keeping log order within each, accumulates every partition independently and
// concurrently, and merges the partitions' deltas.
func AccumulatePartitioned(rules *visitor.Rules, recs []messages.Record, n int) *messages.Deltas {
	parts := make([][]messages.Record, n)
	for _, r := range recs {
		p := Partition(r.VID, n)
		parts[p] = append(parts[p], r)
	}
	out := make([]*messages.Deltas, n)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = Accumulate(rules, parts[i])
		}()
	}
	wg.Wait()
	merged := messages.NewDeltas()
	for _, d := range out {
		merged.Merge(d)
	}
	return merged
}

// Snapshot encodes every history, by visitor id.
func (a *Accumulator) Snapshot() (map[string][]byte, error) {
	out := make(map[string][]byte, len(a.histories))
	for vid, h := range a.histories {
		data, err := h.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("snapshot of visitor %q: %w", vid, err)
		}
		out[vid] = data
	}
	return out, nil
}

// Restore returns an accumulator with empty deltas whose histories are decoded from
// snapshots, as a restarted process would load them.
func Restore(rules *visitor.Rules, snapshots map[string][]byte) (*Accumulator, error) {
	a := NewAccumulator(rules)
	for vid, data := range snapshots {
		h := visitor.NewHistory()
		if err := h.UnmarshalBinary(data); err != nil {
			return nil, fmt.Errorf("restore visitor %q: %w", vid, err)
		}
		a.histories[vid] = h
	}
	return a, nil
}
