package tracker

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
)

// The populations of a split test asked for without populations.
const (
	SplitTrue  = "True"
	SplitFalse = "False"
)

// splitDomain separates the split hash from any other use of SHA-256 on the same ids.
const splitDomain = "manhattan-split"

// splitHash returns the first 8 bytes, big-endian, of
// SHA-256("manhattan-split" NUL test NUL vid). It is part of the package's stable
// contract (see the package documentation): changing it reassigns every running test.
func splitHash(test, vid string) uint64 {
	var buf [256]byte
	b := append(buf[:0], splitDomain...)
	b = append(b, 0)
	b = append(b, test...)
	b = append(b, 0)
	b = append(b, vid...)
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// chooseUniform returns populations[floor(u * n / 2^64)]; populations must not be empty.
func chooseUniform(u uint64, populations []string) string {
	i, _ := bits.Mul64(u, uint64(len(populations)))
	return populations[i]
}

// weighted is a population and its weight.
type weighted struct {
	name   string
	weight float64
}

// usableWeights returns the populations with a positive finite weight, by name, and
// their total.
func usableWeights(weights map[string]float64) ([]weighted, float64) {
	ws := make([]weighted, 0, len(weights))
	total := 0.0
	for name, w := range weights {
		if w > 0 && !math.IsInf(w, 0) && !math.IsNaN(w) {
			ws = append(ws, weighted{name, w})
		}
	}
	slices.SortFunc(ws, func(a, b weighted) int { return cmp.Compare(a.name, b.name) })
	for _, w := range ws {
		total += w.weight
	}
	return ws, total
}

// chooseWeighted returns the first population whose cumulative weight exceeds
// x * total, with x = (u >> 11) / 2^53 in [0, 1). ws must not be empty.
func chooseWeighted(u uint64, ws []weighted, total float64) string {
	x := float64(u>>11) / (1 << 53)
	target := x * total
	cum := 0.0
	for _, w := range ws {
		cum += w.weight
		if target < cum {
			return w.name
		}
	}
	return ws[len(ws)-1].name // rounding left target at the very top
}

// Assign returns the population that visitor vid gets in test among populations (the
// uniform split of Visitor.Split, SplitTrue/SplitFalse when none are given), without
// recording anything. It lets other programs and offline analysis reproduce assignments.
func Assign(vid, test string, populations ...string) string {
	if len(populations) == 0 {
		populations = trueFalse
	}
	return chooseUniform(splitHash(test, vid), populations)
}

// AssignWeighted returns the population that visitor vid gets in test under weights (the
// split of Visitor.SplitWeighted), without recording anything; "" when no weight is
// positive.
func AssignWeighted(vid, test string, weights map[string]float64) string {
	ws, total := usableWeights(weights)
	if len(ws) == 0 {
		return ""
	}
	return chooseWeighted(splitHash(test, vid), ws, total)
}

var trueFalse = []string{SplitTrue, SplitFalse}
