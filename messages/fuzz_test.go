package messages

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// requirePrintableLine checks that line is a formatted log line: printable ASCII and TABs,
// ending in its only "\n".
func requirePrintableLine(t *testing.T, line []byte) {
	t.Helper()
	require.NotEmpty(t, line)
	require.Equal(t, byte('\n'), line[len(line)-1])
	for _, c := range line[:len(line)-1] {
		require.True(t, c == '\t' || (c >= 0x20 && c < 0x7f), "byte %#x in %q", c, line)
	}
}

// FuzzParseLine: ParseLine never panics, rejects only with a *ParseError, and whatever it
// accepts formats to a printable line that parses to the same record and formats again to
// the same line.
func FuzzParseLine(f *testing.F) {
	for _, tc := range fixtureLines {
		f.Add([]byte(tc.line))
	}
	f.Add([]byte("1\tsplit\t1\tv\t1\t\\U0001f600\t\\\\x\\q"))
	f.Add([]byte("1\tgoal\t1\tv\t1\tg\t-.5e-3\tR\tP"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseLine(data)
		if err != nil {
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "error of type %T", err)
			require.NotContains(t, pe.Code.String(), "code(")
			require.NotEmpty(t, pe.Error())
			return
		}
		line := AppendLine(nil, &r)
		requirePrintableLine(t, line)
		require.Equal(t, FieldCount(r.Kind)-1, strings.Count(string(line), "\t"))
		r2, err := ParseLine(line[:len(line)-1])
		require.NoError(t, err, "line %q", line)
		requireSameRecord(t, r, r2)
		require.Equal(t, string(line), string(AppendLine(nil, &r2)))
	})
}

var (
	fuzzValueTypes   = [...]string{ValueNone, ValueSum, ValueAverage, ValuePerVisitor, ValueRate}
	fuzzValueFormats = [...]string{FormatNone, FormatNumeric, FormatCurrency, FormatPercentage}
)

// FuzzRoundTrip: any record with valid field strings survives AppendLine then ParseLine.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint8(0), int64(1362701479), "6461", "f9500fe2", int64(1), "184.243.197.119", "GET",
		"http://www.cheeseshop.example/cheese/gruyère", "Mozilla/5.0 (X11; Linux)", `http://example.com/a\b`, int64(0), int8(0), false)
	f.Add(uint8(2+4*1+32*2), int64(10), "0350", "b", int64(1), "completed checkout", "", "", "", "", int64(3178), int8(-2), true)
	f.Add(uint8(3), int64(0), "", "😀\t\n\r", int64(-7), "test €", "population \x01\x7f", "", "", "", int64(0), int8(0), false)
	f.Fuzz(func(t *testing.T, kind uint8, ts int64, frac, vid string, site int64, a, b, c, d, e string,
		coef int64, exp int8, hasValue bool) {
		if ts < 0 {
			ts = -(ts + 1)
		}
		frac = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, frac)
		for _, s := range []string{frac, vid, a, b, c, d, e} {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 || utf8.RuneCountInString(s) > MaxFieldLength {
				t.Skip("not a valid field")
			}
		}
		r := Record{Kind: KindPage + Kind(kind%4), Timestamp: ts, TimeFraction: frac, VID: vid, Site: site}
		switch r.Kind {
		case KindPage:
			r.IP, r.Method, r.URL, r.UserAgent, r.Referer = a, b, c, d, e
		case KindGoal:
			r.Goal = a
			r.ValueType = fuzzValueTypes[(kind>>2)%5]
			r.ValueFormat = fuzzValueFormats[(kind>>5)%4]
			if hasValue {
				r.HasValue = true
				r.Value = decimal.New(coef, int32(exp%40))
			}
		case KindSplit:
			r.Test, r.Population = a, b
		}
		line := AppendLine(nil, &r)
		requirePrintableLine(t, line)
		got, err := ParseLine(line[:len(line)-1])
		require.NoError(t, err, "line %q", line)
		requireSameRecord(t, r, got)
	})
}
