package analysis

import (
	"fmt"
	"sort"
	"strings"
)

// Adjust returns the p-values ps adjusted by the correction (in the same order):
//
//   - NoCorrection (or ""): ps unchanged.
//   - Holm: with p₍₁₎ ≤ … ≤ p₍ₘ₎, adjusted p₍ᵢ₎ = max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎)
//     (Holm 1979; controls the family-wise error rate).
//   - BenjaminiHochberg: adjusted p₍ᵢ₎ = min over j ≥ i of min(1, m/j·p₍ⱼ₎)
//     (Benjamini & Hochberg 1995; controls the false discovery rate).
//
// Both factors are at least 1, so an adjusted p-value is never below its raw one.
// Ties keep their input order. An unknown correction is an error.
func Adjust(ps []float64, c Correction) ([]float64, error) {
	out := append([]float64(nil), ps...)
	m := len(ps)
	switch c {
	case NoCorrection, "":
		return out, nil
	case Holm, BenjaminiHochberg:
	default:
		return nil, fmt.Errorf("correction %q is not one of %s", c, strings.Join(CorrectionNames(), ", "))
	}
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return ps[order[i]] < ps[order[j]] })
	if c == Holm {
		running := 0.0
		for rank, i := range order {
			running = max(running, min(1, float64(m-rank)*ps[i]))
			out[i] = running
		}
		return out, nil
	}
	running := 1.0
	for rank := m - 1; rank >= 0; rank-- {
		i := order[rank]
		running = min(running, min(1, float64(m)/float64(rank+1)*ps[i]))
		out[i] = running
	}
	return out, nil
}
