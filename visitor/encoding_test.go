package visitor

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleHistories returns histories in many states, built by applying records, and the
// records that continue each one's log.
func sampleHistories(t testing.TB) (map[string]*History, *Rules, func(vid string) []*messages.Record) {
	r, err := NewRules(rollups.Defaults(), mustComplex(t,
		"abandoned cart|add to cart|began checkout",
		"abandoned after payment failure|began checkout,payment failed|completed checkout"))
	require.NoError(t, err)
	l := &logBuilder{}
	h := newHarness(r)

	// A human with goals, values, variants on two sites, several days and a pending
	// complex goal.
	h.apply(
		l.split("human", day0-5, 1, "hero", "vid\u00e9o"),
		l.page("human", day0, 1, chromeUA),
		l.pixel("human", day0+1, 1),
		l.goal("human", day0+2, 1, "add to cart", "", "", ""),
		l.split("human", day0+3, 1, "red checkout form", "True"),
		l.goal("human", day0+4, 1, "completed checkout", "12.34", "S", "C"),
		l.page("human", day0+86400, 2, "Firefox/19"),
		l.goal("human", day0+86400*3, 2, "began checkout", "", "", ""),
		l.goal("human", day0+86400*3, 2, "payment failed", "", "", ""),
	)
	// Many goals, so that the sets switch to their map index.
	for i := range 40 {
		h.apply(l.goal("many", day0+int64(i), 1, fmt.Sprintf("goal %d", i), "", "", ""))
	}
	h.apply(l.pixel("many", day0+100, 1))
	for i := range 40 {
		h.apply(l.page("many", day0+200+int64(i)*3600, 1, fmt.Sprintf("agent %d", i%20)))
	}

	// A robot whose queue has wrapped around, holding records of every kind.
	for i := range MaxQueue + 37 {
		ts := day0 + int64(i)
		switch i % 4 {
		case 0:
			h.apply(l.page("robot", ts, 3, "crawler \\ \t\u00fc"))
		case 1:
			h.apply(l.goal("robot", ts, 3, "order margin", []string{"-12.340", "1e-5", "99999999999999999999.99", "0"}[i/4%4], "A", "C"))
		case 2:
			h.apply(l.goal("robot", ts, 3, "add to cart", "", "", ""))
		case 3:
			h.apply(l.split("robot", ts, 3, "hero", "control"))
		}
	}
	// A robot whose queue has not wrapped, with a value on every goal.
	for i := range 7 {
		h.apply(l.goal("young", day0+int64(i), 1, "order margin", fmt.Sprintf("%d.%02d", i+1, i), "A", ""))
	}
	// More than 64 variants, so that variant conversions spill past the bit sets.
	h.apply(l.pixel("tester", day0, 1))
	for i := range 70 {
		h.apply(l.split("tester", day0+int64(i), 1, fmt.Sprintf("test %d", i), "B"))
		if i%20 == 0 {
			h.apply(l.goal("tester", day0+int64(i), 1, "add to cart", "1", "S", ""))
		}
	}
	h.histories["new"] = NewHistory()

	cont := func(vid string) []*messages.Record {
		return []*messages.Record{
			l.pixel(vid, day0+86400*4, 1),
			l.page(vid, day0+86400*4, 1, "Safari/1"),
			l.split(vid, day0+86400*4, 1, "red checkout form", "True"),
			l.goal(vid, day0+86400*4+1, 1, "add to cart", "", "", ""),
			l.goal(vid, day0+86400*4+2, 1, "completed checkout", "3", "S", "C"),
			l.goal(vid, day0+86400*5, 2, "goal 7", "1.5", "", ""),
		}
	}
	return h.histories, r, cont
}

func mustComplex(t testing.TB, flags ...string) []ComplexGoal {
	var out []ComplexGoal
	for _, f := range flags {
		c, err := ParseComplex(f)
		require.NoError(t, err)
		out = append(out, c)
	}
	return out
}

func TestHistoryRoundTrip(t *testing.T) {
	hs, rules, cont := sampleHistories(t)
	require.Equal(t, MaxQueue, hs["robot"].QueueLen())
	require.Equal(t, day0+37, queueOf(hs["robot"])[0].ts, "the robot's queue should have dropped its oldest records")

	for vid, h := range hs {
		data, err := h.MarshalBinary()
		require.NoError(t, err, vid)
		require.Equal(t, byte(EncodingVersion), data[0])

		var got History
		require.NoError(t, got.UnmarshalBinary(data), vid)
		requireSameHistory(t, h, &got, vid)

		again, err := got.MarshalBinary()
		require.NoError(t, err)
		assert.Equal(t, data, again, "%s: re-encoding differs", vid)

		// The decoded history behaves exactly like the original.
		d1, d2 := messages.NewDeltas(), messages.NewDeltas()
		for _, rec := range cont(vid) {
			rules.Apply(h, rec, d1)
			rules.Apply(&got, rec, d2)
		}
		require.Equal(t, deltasString(d1), deltasString(d2), vid)
		requireSameHistory(t, h, &got, vid+" after more records")
	}
}

func readGolden(t testing.TB, vid string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "v1-"+vid+".bin"))
	require.NoError(t, err)
	return data
}

// TestDecodeVersion1 decodes histories encoded by version 1 (testdata/v1-*.bin, written
// from the histories of sampleHistories before version 2 existed): they are the same
// histories without running totals and, for a human visitor that took the human path,
// with an unknown first human timestamp. They re-encode as version 2, and count on as
// the current histories do, but for the squares of totals the old history did not know.
func TestDecodeVersion1(t *testing.T) {
	hs, rules, cont := sampleHistories(t)
	for vid, want := range hs {
		data := readGolden(t, vid)
		require.Equal(t, byte(1), data[0])
		var got History
		require.NoError(t, got.UnmarshalBinary(data), vid)

		old, oldCounts := *want, *want.counts()
		oldCounts.totalKeys, oldCounts.totals = orderedSet[valueKey]{}, nil
		old.counted = &oldCounts
		old.firstHuman, old.hasFirstHuman = 0, false
		old.firstHumanLost = want.human && vid != "new"
		requireSameHistory(t, &old, &got, vid)

		again, err := got.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, byte(EncodingVersion), again[0])
		var back History
		require.NoError(t, back.UnmarshalBinary(again))
		requireSameHistory(t, &got, &back, vid+" re-encoded")

		d1, d2 := messages.NewDeltas(), messages.NewDeltas()
		for _, rec := range cont(vid) {
			rules.Apply(want, rec, d1)
			rules.Apply(&got, rec, d2)
		}
		for _, d := range []*messages.Deltas{d1, d2} {
			for k, c := range d.Conversions {
				c.Squares = decimal.NullDecimal{Valid: c.Squares.Valid}
				d.Conversions[k] = c
			}
			for k, c := range d.VariantConversions {
				c.Squares = decimal.NullDecimal{Valid: c.Squares.Valid}
				d.VariantConversions[k] = c
			}
		}
		require.Equal(t, deltasString(d1), deltasString(d2), vid)
	}
}

func TestAppendBinaryAppendsMarshalBinary(t *testing.T) {
	hs, _, _ := sampleHistories(t)
	buf := []byte("prefix")
	var ends []int
	var vids []string
	for vid, h := range hs {
		var err error
		buf, err = h.AppendBinary(buf)
		require.NoError(t, err, vid)
		ends = append(ends, len(buf))
		vids = append(vids, vid)
	}
	require.Equal(t, "prefix", string(buf[:6]))
	start := 6
	for i, vid := range vids {
		want, err := hs[vid].MarshalBinary()
		require.NoError(t, err)
		assert.Equal(t, want, buf[start:ends[i]], vid)
		start = ends[i]
	}
}

func requireSameHistory(t *testing.T, want, got *History, msg string) {
	t.Helper()
	require.Equal(t, want.human, got.human, msg)
	wantHuman, gotHuman := want, got
	want, got = &History{counted: want.counts()}, &History{counted: got.counts()}
	require.Equal(t, want.Goals(), got.Goals(), msg)
	require.Equal(t, want.Variants(), got.Variants(), msg)
	require.Equal(t, valuesOf(want.slots.items), valuesOf(got.slots.items), msg)
	require.Equal(t, want.ips.items, got.ips.items, msg)
	require.Equal(t, want.agents.items, got.agents.items, msg)
	require.Equal(t, want.conversions.items, got.conversions.items, msg)
	require.Equal(t, want.impressions.items, got.impressions.items, msg)
	require.Equal(t, len(want.convVariants), len(got.convVariants), msg)
	for i := range want.convVariants {
		require.Equal(t, want.variantsOf(i), got.variantsOf(i), "%s: variants of conversion key %d", msg, i)
	}
	require.Equal(t, want.complexes(), got.complexes(), msg)
	requireSameTotals(t, want, got, msg)
	require.Equal(t, wantHuman.hasFirstHuman, gotHuman.hasFirstHuman, msg)
	require.Equal(t, wantHuman.firstHuman, gotHuman.firstHuman, msg)
	require.Equal(t, wantHuman.firstHumanLost, gotHuman.firstHumanLost, msg)
	wq, gq := queueOf(wantHuman), queueOf(gotHuman)
	require.Equal(t, len(wq), len(gq), msg)
	for i := range wq {
		w, g := wq[i], gq[i]
		require.True(t, w.value.Equal(g.value), "%s: queued value %d: %s != %s", msg, i, w.value, g.value)
		if !w.value.IsZero() {
			require.Equal(t, w.value.Exponent(), g.value.Exponent(), "%s: queued value %d keeps its exponent", msg, i)
		}
		w.value, g.value = decimal.Decimal{}, decimal.Decimal{}
		require.Equal(t, w, g, "%s: queued record %d", msg, i)
	}
}

func requireSameTotals(t *testing.T, want, got *History, msg string) {
	t.Helper()
	require.Equal(t, want.totalKeys.items, got.totalKeys.items, msg)
	require.Equal(t, len(want.totals), len(got.totals), msg)
	for i := range want.totals {
		w, g := want.totals[i].decimal(), got.totals[i].decimal()
		require.True(t, w.Equal(g), "%s: total %d: %s != %s", msg, i, w, g)
		if !w.IsZero() {
			require.Equal(t, w.Exponent(), g.Exponent(), "%s: total %d keeps its exponent", msg, i)
		}
	}
}

func queueOf(h *History) []queued { return h.queue.records() }

func squaresString(sq decimal.NullDecimal) string {
	if !sq.Valid {
		return "-"
	}
	return sq.Decimal.String()
}

// deltasString renders deltas canonically (decimals by value), for comparisons.
func deltasString(d *messages.Deltas) string {
	var lines []string
	for k, c := range d.Conversions {
		lines = append(lines, fmt.Sprintf("conversion %q %s %s %d: %d %s %s", k.Goal, k.Rollup, k.Bucket, k.Site, c.Count, c.Value.String(), squaresString(c.Squares)))
	}
	for k, n := range d.Impressions {
		lines = append(lines, fmt.Sprintf("impression %q %q %s %s %d: %d", k.Test, k.Population, k.Rollup, k.Bucket, k.Site, n))
	}
	for k, c := range d.VariantConversions {
		lines = append(lines, fmt.Sprintf("variant %q %q %q %s %s %d: %d %s %s", k.Goal, k.Test, k.Population, k.Rollup, k.Bucket, k.Site, c.Count, c.Value.String(), squaresString(c.Squares)))
	}
	for name, m := range d.Tests {
		pops := make([]string, 0, len(m.Populations))
		for p := range m.Populations {
			pops = append(pops, p)
		}
		slices.Sort(pops)
		lines = append(lines, fmt.Sprintf("test %q %d %d %q", name, m.First, m.Last, pops))
	}
	for name, m := range d.Goals {
		lines = append(lines, fmt.Sprintf("goal %q %q %q %s", name, m.ValueType, m.ValueFormat, m.At))
	}
	slices.Sort(lines)
	var b bytes.Buffer
	for _, line := range lines {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestUnmarshalRejectsTruncatedInput(t *testing.T) {
	hs, _, _ := sampleHistories(t)
	for vid, h := range hs {
		data, err := h.MarshalBinary()
		require.NoError(t, err)
		// Every prefix of the small encodings; of the robot's (several kilobytes), the
		// prefixes around each boundary of its first and last parts and a stride between.
		for n := 0; n < len(data); n = nextPrefix(n, len(data)) {
			var got History
			err := got.UnmarshalBinary(data[:n])
			require.Error(t, err, "%s: prefix of %d of %d bytes decoded", vid, n, len(data))
			require.ErrorIs(t, err, ErrCorrupt)
		}
		var got History
		require.ErrorIs(t, got.UnmarshalBinary(append(data[:len(data):len(data)], 0)), ErrCorrupt, "trailing byte")
	}
}

func nextPrefix(n, size int) int {
	if n < 256 || n >= size-256 {
		return n + 1
	}
	return n + 97
}

func TestUnmarshalRejectsCorruptInput(t *testing.T) {
	uv := func(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }
	sv := func(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }
	// header: version, flags, a table of strings.
	header := func(flags uint64, strs ...string) []byte {
		b := []byte{EncodingVersion}
		b = uv(b, flags)
		b = uv(b, uint64(len(strs)))
		for _, s := range strs {
			b = uv(b, uint64(len(s)))
			b = append(b, s...)
		}
		return b
	}
	empty := func(b []byte, lists int) []byte {
		for range lists {
			b = append(b, 0)
		}
		return b
	}
	// goals, variants, IPs, agents, slots, two key lists, complex goals, totals, queue
	const lists = 10
	cases := map[string][]byte{
		"empty":         nil,
		"bad version":   {3, 0, 0},
		"unknown flags": empty(header(0x80), lists),
		"goal twice":    empty(uv(uv(uv(header(0, "g"), 2), 0), 0), lists-1),
		"string index":  empty(uv(uv(header(0, "g"), 1), 1), lists-1),
		// no goals, variants, IPs, agents; one slot; a conversion of goal 3 in it.
		"goal index":      empty(uv(uv(uv(sv(uv(uv(uv(empty(header(0, "all", "0"), 4), 1), 0), 1), 0), 1), 3), 0), 4),
		"slot twice":      empty(sv(uv(uv(sv(uv(uv(uv(empty(header(0, "all", "0"), 4), 2), 0), 1), 0), 0), 1), 0), lists-5),
		"huge count":      uv(header(0), 1<<40),
		"varint overflow": append(header(0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
		"human with queue": func() []byte {
			b := empty(header(flagHuman, "ua"), lists-1)
			b = uv(b, 1)
			b = append(b, byte(messages.KindPage))
			b = sv(sv(sv(sv(b, 1), 1), 1), 1)
			return uv(uv(b, 0), 0)
		}(),
		"queued pixel": func() []byte {
			b := empty(header(0), lists-1)
			b = uv(b, 1)
			b = append(b, byte(messages.KindPixel))
			return append(sv(sv(sv(sv(b, 1), 1), 1), 1), 0, 0)
		}(),
		"bad value": func() []byte {
			b := empty(header(0, "g"), lists-1)
			b = uv(b, 1)
			b = append(b, byte(messages.KindGoal))
			b = sv(sv(sv(sv(b, 1), 1), 1), 1)
			b = uv(uv(uv(b, 0), 0), 0)
			b = append(b, 1)
			b = sv(b, -2)
			b = uv(b, 3)
			return append(b, "1x2"...)
		}(),
	}
	// A human with goal "g" and the given running totals: goal index, variant, site, and
	// the decimal's exponent and digits.
	type total struct {
		goal, variant uint64
		site, exp     int64
		digits        string
	}
	withTotals := func(ts ...total) []byte {
		b := uv(uv(header(flagHuman|flagFirstHumanLost, "g"), 1), 0)
		b = empty(b, 7)
		b = uv(b, uint64(len(ts)))
		for _, t := range ts {
			b = sv(uv(uv(b, t.goal), t.variant), t.site)
			b = append(uv(sv(b, t.exp), uint64(len(t.digits))), t.digits...)
		}
		return uv(b, 0)
	}
	cases["total twice"] = withTotals(total{0, 0, 1, 0, "5"}, total{0, 0, 1, -1, "7"})
	cases["total variant"] = withTotals(total{0, 1, 1, 0, "5"})
	cases["total zero"] = withTotals(total{0, 0, 1, 0, "00"})
	cases["robot first human"] = empty(uv(sv(uv([]byte{EncodingVersion}, flagFirstHuman), 5), 0), lists)
	cases["known and lost"] = empty(uv(sv(uv([]byte{EncodingVersion}, flagHuman|flagFirstHuman|flagFirstHumanLost), 5), 0), lists)
	cases["version 1 flags"] = empty(uv(uv([]byte{1}, flagHuman|flagFirstHumanLost), 0), lists-1)
	require.NoError(t, new(History).UnmarshalBinary(withTotals(total{0, 0, 1, -2, "-125"}, total{0, 0, 2, 0, "0"})))

	reasons := map[string]string{
		"total twice": "listed twice", "total variant": "variant index", "total zero": "zero written",
		"robot first human": "first human flags", "known and lost": "first human flags", "version 1 flags": "unknown flags",
		"empty": "empty input", "bad version": "unknown encoding version", "unknown flags": "unknown flags",
		"goal twice": "listed twice", "string index": "string index", "goal index": "goal index",
		"huge count": "exceeds", "varint overflow": "overflows", "human with queue": "human visitor with queued",
		"queued pixel": "unknown kind", "bad value": "not an integer", "slot twice": "listed twice",
	}
	require.Len(t, reasons, len(cases))
	for name, data := range cases {
		var h History
		err := h.UnmarshalBinary(data)
		require.Error(t, err, name)
		assert.ErrorIs(t, err, ErrCorrupt, name)
		assert.ErrorContains(t, err, reasons[name], name)
	}

	// A well-formed minimal encoding decodes, so the cases above fail for their reason.
	var h History
	require.NoError(t, h.UnmarshalBinary(empty(header(0), lists)))
	require.NoError(t, h.UnmarshalBinary(empty(header(flagHuman, "unused"), lists)))
	assert.True(t, h.Human())
}

func TestUnmarshalGarbageNeverPanics(t *testing.T) {
	hs, _, _ := sampleHistories(t)
	data, err := hs["human"].MarshalBinary()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		mutated := append([]byte(nil), data...)
		for range 1 + rng.IntN(4) {
			mutated[rng.IntN(len(mutated))] = byte(rng.Uint32())
		}
		checkDecode(t, mutated)
		garbage := make([]byte, rng.IntN(64))
		for i := range garbage {
			garbage[i] = byte(rng.Uint32())
		}
		checkDecode(t, garbage)
	}
}

// checkDecode decodes data; if that succeeds, the result must re-encode canonically.
func checkDecode(t testing.TB, data []byte) {
	var h History
	if err := h.UnmarshalBinary(data); err != nil {
		require.ErrorIs(t, err, ErrCorrupt)
		return
	}
	enc, err := h.MarshalBinary()
	require.NoError(t, err)
	var h2 History
	require.NoError(t, h2.UnmarshalBinary(enc))
	enc2, err := h2.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, enc, enc2)
}

func FuzzUnmarshalBinary(f *testing.F) {
	hs, _, _ := sampleHistories(f)
	for _, h := range hs {
		data, err := h.MarshalBinary()
		require.NoError(f, err)
		f.Add(data)
	}
	for vid := range hs {
		f.Add(readGolden(f, vid))
	}
	f.Add([]byte{})
	f.Add([]byte{EncodingVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
	})
}

func TestUnmarshalLeavesHistoryOnError(t *testing.T) {
	hs, _, _ := sampleHistories(t)
	h := hs["human"]
	before, err := h.MarshalBinary()
	require.NoError(t, err)
	require.Error(t, h.UnmarshalBinary(before[:len(before)-1]))
	after, err := h.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, before, after)
}
