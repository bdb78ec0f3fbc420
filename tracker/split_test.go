package tracker

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/messages"
)

// TestSplitGolden pins the assignment of the package documentation: these answers must
// never change, or running tests would reshuffle their visitors. They were computed by
// an independent implementation of the documented hashing.
func TestSplitGolden(t *testing.T) {
	golden := []struct{ vid, test, trueFalse, colour, weighted string }{
		{"00000000000000009e3779b97f4a7c15", "red checkout form", "False", "green", "control"},
		{"00000000000000013c6ef372fe94f82a", "button colour", "False", "green", "control"},
		{"0000000000000001daa66d2c7ddf743f", "free shipping threshold", "False", "blue", "control"},
		{"000000000000000278dde6e5fd29f054", "homepage hero", "True", "red", "control"},
		{"00000000000000031715609f7c746c69", "red checkout form", "False", "blue", "new"},
		{"0000000000000003b54cda58fbbee87e", "button colour", "True", "red", "control"},
		{"0000000000000004538454127b096493", "free shipping threshold", "True", "green", "control"},
		{"0000000000000004f1bbcdcbfa53e0a8", "homepage hero", "False", "green", "control"},
	}
	weights := map[string]float64{"new": 10, "control": 90, "off": 0}
	for _, g := range golden {
		assert.Equal(t, g.trueFalse, Assign(g.vid, g.test), g.vid)
		assert.Equal(t, g.colour, Assign(g.vid, g.test, "red", "green", "blue"), g.vid)
		assert.Equal(t, g.weighted, AssignWeighted(g.vid, g.test, weights), g.vid)
	}
	assert.Equal(t, uint64(0x6570d00c0e3b6e92), splitHash("t", "00000000000000000000000000000000"))
	assert.Equal(t, uint64(0x2dc786c17ae53a82), splitHash("b", "a"))
}

// TestSplitMatchesTheDocumentedFormula recomputes assignments from the package
// documentation with exact arithmetic.
func TestSplitMatchesTheDocumentedFormula(t *testing.T) {
	pops := []string{"a", "b", "c", "d", "e", "f", "g"}
	for i := range 2000 {
		vid := fmt.Sprintf("%032x", i*7919)
		test := fmt.Sprintf("test %d", i%13)
		sum := sha256.Sum256([]byte("manhattan-split\x00" + test + "\x00" + vid))
		u := binary.BigEndian.Uint64(sum[:8])
		n := len(pops)%6 + 2 // 2..7 populations
		idx := new(big.Int).Rsh(new(big.Int).Mul(new(big.Int).SetUint64(u), big.NewInt(int64(n))), 64)
		require.Equal(t, pops[idx.Int64()], Assign(vid, test, pops[:n]...))
		pops = append(pops[1:], pops[0])
	}
}

func TestSplitIsStableForAVisitor(t *testing.T) {
	f := newFixture(t, nil)
	var got string
	calls := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := FromContext(r.Context())
		got = v.Split("button colour", "red", "green", "blue", "yellow")
		for range 99 {
			calls++
			require.Equal(t, got, v.Split("button colour", "red", "green", "blue", "yellow"))
		}
	})
	first := ""
	for i := range 100 { // 10,000 calls in 100 requests
		r := httptest.NewRequest("GET", "http://shop.example/", nil)
		r.AddCookie(f.cookie)
		f.do(h, r)
		if i == 0 {
			first = got
		}
		require.Equal(t, first, got, "request %d", i)
	}
	require.Equal(t, 100*99, calls)
	for _, rec := range f.w.records(t) {
		if rec.Kind == messages.KindSplit {
			require.Equal(t, first, rec.Population)
		}
	}

	// A restarted process (a new Tracker, same secret) gives the same answer to the same
	// cookie, and so does one with another secret to the same visitor id.
	restarted := newFixture(t, nil)
	r := httptest.NewRequest("GET", "http://shop.example/", nil)
	r.AddCookie(f.cookie)
	restarted.do(h, r)
	assert.Equal(t, first, got)
	otherSecret := newFixture(t, func(o *Options) { o.Secret = []byte("a completely different secret") })
	r = httptest.NewRequest("GET", "http://shop.example/", nil)
	r.AddCookie(&http.Cookie{Name: DefaultCookieName, Value: otherSecret.t.sign(f.vid)})
	otherSecret.do(h, r)
	assert.Equal(t, first, got)
	assert.Equal(t, first, Assign(f.vid, "button colour", "red", "green", "blue", "yellow"))
}

// manyVIDs are 100,000 visitor ids, shared by the distribution tests.
var manyVIDs = sync.OnceValue(func() []string {
	vids := make([]string, 100_000)
	for i := range vids {
		vids[i] = fmt.Sprintf("%032x", i)
	}
	return vids
})

// share returns the share of the first n visitor ids of manyVIDs each population gets.
func share(n int, choose func(vid string) string) map[string]float64 {
	counts := map[string]int{}
	for _, vid := range manyVIDs()[:n] {
		counts[choose(vid)]++
	}
	out := map[string]float64{}
	for k, c := range counts {
		out[k] = float64(c) / float64(n)
	}
	return out
}

func TestUniformSplitsAreEven(t *testing.T) {
	const n = 100_000
	for _, pops := range [][]string{nil, {"a", "b", "c"}, {"1", "2", "3", "4", "5"}} {
		got := share(n, func(vid string) string { return Assign(vid, "uniform test", pops...) })
		if pops == nil {
			pops = []string{SplitTrue, SplitFalse}
		}
		require.Len(t, got, len(pops))
		for _, p := range pops {
			assert.InDelta(t, 1/float64(len(pops)), got[p], 0.01, "population %q of %v", p, pops)
		}
	}
}

func TestWeightedSplitsFollowTheirWeights(t *testing.T) {
	const n = 100_000
	for _, weights := range []map[string]float64{
		{"control": 90, "new": 10},
		{"a": 1, "b": 2, "c": 7},
		{"x": 0.25, "y": 0.25, "z": 0.5, "never": 0, "negative": -3, "nan": math.NaN(), "inf": math.Inf(1)},
	} {
		total := 0.0
		for _, w := range weights {
			if w > 0 && !math.IsInf(w, 0) {
				total += w
			}
		}
		got := share(n, func(vid string) string { return AssignWeighted(vid, "weighted test", weights) })
		for p, w := range weights {
			if w > 0 && !math.IsInf(w, 0) {
				assert.InDelta(t, w/total, got[p], 0.01, "population %q of %v", p, weights)
			} else {
				assert.Zero(t, got[p], "population %q must never be chosen", p)
			}
		}
	}
}

func TestSplitDependsOnTheTest(t *testing.T) {
	// Two tests over the same visitors are independent: about half the visitors who got
	// True in one get True in the other.
	const n = 20_000
	same := 0
	for _, vid := range manyVIDs()[:n] {
		if Assign(vid, "test one") == Assign(vid, "test two") {
			same++
		}
	}
	assert.InDelta(t, 0.5, float64(same)/n, 0.02)
}

func TestVisitorSplitRecordsTheAssignment(t *testing.T) {
	f := newFixture(t, nil)
	weights := map[string]float64{"a": 1, "b": 1, "c": 2}
	var got1, got2, got3 string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := FromContext(r.Context())
		got1 = v.Split("t1")
		got2 = v.Split("t2", "p", "q", "r")
		got3 = v.SplitWeighted("t3", weights)
	})
	r := httptest.NewRequest("GET", "http://shop.example/", nil)
	r.AddCookie(f.cookie)
	f.do(h, r)
	assert.Equal(t, Assign(f.vid, "t1"), got1)
	assert.Equal(t, Assign(f.vid, "t2", "p", "q", "r"), got2)
	assert.Equal(t, AssignWeighted(f.vid, "t3", weights), got3)
	recs := f.w.records(t)
	require.Len(t, recs, 4)
	assert.Equal(t, []string{"t1", got1, "t2", got2, "t3", got3},
		[]string{recs[1].Test, recs[1].Population, recs[2].Test, recs[2].Population, recs[3].Test, recs[3].Population})
}
