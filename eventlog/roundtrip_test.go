package eventlog

import (
	"io"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomRecord returns a record of any kind with fields that need escaping now and then.
func randomRecord(rng *rand.Rand, ts int64) messages.Record {
	pick := func(options ...string) string { return options[rng.IntN(len(options))] }
	r := messages.Record{
		Kind:         messages.KindPage + messages.Kind(rng.IntN(4)),
		Timestamp:    ts,
		TimeFraction: strconv.Itoa(rng.IntN(10000)),
		VID:          strconv.FormatUint(rng.Uint64(), 16),
		Site:         int64(1 + rng.IntN(3)),
	}
	switch r.Kind {
	case messages.KindPage:
		r.IP, r.Method = "10.0.0."+strconv.Itoa(rng.IntN(256)), pick("GET", "POST")
		r.URL = pick("http://shop.example/", "http://shop.example/cr\u00e8me", `http://shop.example/a\b`, "http://shop.example/€")
		r.UserAgent = pick("Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "")
		r.Referer = pick("", "http://search.example/?q=k\u00e4se\tkaese", "http://😀.example/")
	case messages.KindGoal:
		r.Goal = pick("add to cart", "completed checkout", "newsletter\nsignup")
		if rng.IntN(2) == 0 {
			r.HasValue = true
			r.Value = decimal.New(rng.Int64N(100000)-5000, -2)
			r.ValueType, r.ValueFormat = pick("S", "A", "I", "R"), pick("", "N", "C", "P")
		}
	case messages.KindSplit:
		r.Test, r.Population = pick("hero", "red checkout form"), pick("True", "False", "photo")
	}
	return r
}

func TestWriterAndReaderRoundTripRecordsAcrossHours(t *testing.T) {
	base := newBase(t)
	rng := rand.New(rand.NewPCG(1, 2))
	w := NewWriter(base)
	// Hours whose names have 10 and 11 digits, so that name order differs from time order.
	start := time.Unix(9999990000, 0)
	var want []messages.Record
	for i := range 3000 {
		now := start.Add(time.Duration(i) * 7 * time.Second)
		var chunk []byte
		for range 1 + i%3 {
			rec := randomRecord(rng, now.Unix())
			chunk = messages.AppendLine(chunk, &rec)
			want = append(want, rec)
		}
		require.NoError(t, w.Append(now, chunk))
	}
	require.NoError(t, w.Close())
	hours, err := Files(base)
	require.NoError(t, err)
	require.Greater(t, len(hours), 4)
	assert.Less(t, hours[0], int64(1e10))
	assert.Greater(t, hours[len(hours)-1], int64(1e10))

	// Read it all, then again resuming from every 500th pointer, with a clock as far on as
	// the writer's was (the files are settled).
	opts := Options{Now: func() time.Time { return start.Add(3000*7*time.Second + time.Hour) }}
	r := openReader(t, base, messages.Pointer{}, opts)
	var gotRecs []messages.Record
	for _, l := range readAll(t, r) {
		rec, err := messages.ParseLine([]byte(l.Text))
		require.NoError(t, err)
		rec.Ptr = l.Ptr
		gotRecs = append(gotRecs, rec)
	}
	require.Len(t, gotRecs, len(want))
	for i := range want {
		require.True(t, want[i].Value.Equal(gotRecs[i].Value))
		wr, g := want[i], gotRecs[i]
		wr.Value, g.Value, g.Ptr = decimal.Decimal{}, decimal.Decimal{}, messages.Pointer{}
		require.Equal(t, wr, g, "record %d", i)
		if i > 0 {
			require.True(t, gotRecs[i-1].Ptr.Less(gotRecs[i].Ptr))
		}
	}
	for i := 0; i < len(gotRecs); i += 500 {
		r := openReader(t, base, gotRecs[i].Ptr, opts)
		line, err := r.Next(t.Context())
		if i+1 == len(gotRecs) {
			require.ErrorIs(t, err, io.EOF)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, gotRecs[i+1].Ptr, line.Ptr)
	}
}
