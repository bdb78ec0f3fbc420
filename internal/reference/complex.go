package reference

import (
	"slices"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// ComplexKey is a complex goal within a variant on a site, in the rollup "all".
type ComplexKey struct {
	Goal, Test, Population string
	Site                   int64
}

// ComplexVariantCounts counts, straight from the records and without the visitor rules of
// package visitor, the visitors each complex goal counts within each variant they saw
// (docs/semantics.md, "Complex goals"), in the rollup "all" by site: a visitor counts
// for a complex goal in a variant when the visitor had seen the variant by the time its
// last include goal made the complex goal complete, on the site of that record, unless
// the visitor's first exclude goal came afterwards and took it back. Records are those of
// a log in order; only humans count (the first pixel replays the newest visitor.MaxQueue
// records held before it).
func ComplexVariantCounts(recs []messages.Record, complex []visitor.ComplexGoal) map[ComplexKey]int64 {
	type done struct {
		site     int64
		variants []visitor.Variant
	}
	type person struct {
		human    bool
		queue    []messages.Record
		goals    map[string]bool
		variants []visitor.Variant
		complete map[string]done
	}
	people := map[string]*person{}
	human := func(p *person, r *messages.Record) {
		goal := r.Goal
		switch r.Kind {
		case messages.KindSplit:
			v := visitor.Variant{Test: r.Test, Population: r.Population}
			if !slices.Contains(p.variants, v) {
				p.variants = append(p.variants, v)
			}
			return
		case messages.KindPage:
			goal = messages.ViewedPage
		case messages.KindGoal:
		default:
			return
		}
		if p.goals[goal] {
			return
		}
		p.goals[goal] = true
		for _, c := range complex {
			if slices.Contains(c.Include, goal) && !slices.ContainsFunc(c.Include, func(g string) bool { return !p.goals[g] }) {
				p.complete[c.Name] = done{site: r.Site, variants: slices.Clone(p.variants)}
			}
			if slices.Contains(c.Exclude, goal) && !slices.ContainsFunc(c.Exclude, func(g string) bool { return g != goal && p.goals[g] }) {
				delete(p.complete, c.Name)
			}
		}
	}
	for i := range recs {
		r := &recs[i]
		p := people[r.VID]
		if p == nil {
			p = &person{goals: map[string]bool{}, complete: map[string]done{}}
			people[r.VID] = p
		}
		switch {
		case r.Kind != messages.KindPixel && r.Kind != messages.KindPage && r.Kind != messages.KindGoal && r.Kind != messages.KindSplit:
		case r.Kind == messages.KindPixel:
			if !p.human {
				p.human = true
				for j := range p.queue {
					human(p, &p.queue[j])
				}
				p.queue = nil
			}
		case p.human:
			human(p, r)
		default:
			p.queue = append(p.queue, *r)
			if len(p.queue) > visitor.MaxQueue {
				p.queue = p.queue[1:]
			}
		}
	}
	out := map[ComplexKey]int64{}
	for _, p := range people {
		for name, d := range p.complete {
			for _, v := range d.variants {
				out[ComplexKey{Goal: name, Test: v.Test, Population: v.Population, Site: d.site}]++
			}
		}
	}
	return out
}
