package messages

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireSameRecord compares two records, their goal values as numbers.
func requireSameRecord(t testing.TB, want, got Record) {
	t.Helper()
	require.True(t, want.Value.Equal(got.Value), "value: want %s, got %s", want.Value, got.Value)
	want.Value, got.Value = decimal.Decimal{}, decimal.Decimal{}
	require.Equal(t, want, got)
}

// Lines as the original Python system and the fixture generator wrote them
// (fixtures/clickstream and fixtures/generated-20k).
var fixtureLines = []struct {
	name string
	line string
	want Record
}{
	{
		name: "clickstream page without referer",
		line: "1\tpage\t10.4251\ta\t1\t0.0.0.0\tGET\thttp://localhost/\tChrome/666.0\t",
		want: Record{Kind: KindPage, Timestamp: 10, TimeFraction: "4251", VID: "a", Site: 1,
			IP: "0.0.0.0", Method: "GET", URL: "http://localhost/", UserAgent: "Chrome/666.0"},
	},
	{
		name: "clickstream pixel",
		line: "1\tpixel\t132.4017\ta\t1",
		want: Record{Kind: KindPixel, Timestamp: 132, TimeFraction: "4017", VID: "a", Site: 1},
	},
	{
		name: "clickstream goal without value",
		line: "1\tgoal\t385.5541\ta\t1\tadd to cart\t\t\t",
		want: Record{Kind: KindGoal, Timestamp: 385, TimeFraction: "5541", VID: "a", Site: 1, Goal: "add to cart"},
	},
	{
		name: "clickstream goal with value, fraction with a trailing zero",
		line: "1\tgoal\t3514.0350\tb\t1\tcompleted checkout\t31.78\tS\tC",
		want: Record{Kind: KindGoal, Timestamp: 3514, TimeFraction: "0350", VID: "b", Site: 1,
			Goal: "completed checkout", Value: decimal.RequireFromString("31.78"), HasValue: true,
			ValueType: ValueSum, ValueFormat: FormatCurrency},
	},
	{
		name: "clickstream split",
		line: "1\tsplit\t4278.1273\td\t1\tred checkout form\tTrue",
		want: Record{Kind: KindSplit, Timestamp: 4278, TimeFraction: "1273", VID: "d", Site: 1,
			Test: "red checkout form", Population: "True"},
	},
	{
		name: "generated goal, average value",
		line: "1\tgoal\t1362702140.5287\t91cb3af869e1203537c131e3e148e9cb01b700bf\t2\torder margin\t42.8\tA\tP",
		want: Record{Kind: KindGoal, Timestamp: 1362702140, TimeFraction: "5287",
			VID: "91cb3af869e1203537c131e3e148e9cb01b700bf", Site: 2, Goal: "order margin",
			Value: decimal.RequireFromString("42.8"), HasValue: true, ValueType: ValueAverage, ValueFormat: FormatPercentage},
	},
	{
		name: "generated goal, per-visitor value",
		line: "1\tgoal\t1362702140.5287\t91cb3af869e1203537c131e3e148e9cb01b700bf\t2\tmargin per session\t30.43\tI\tC",
		want: Record{Kind: KindGoal, Timestamp: 1362702140, TimeFraction: "5287",
			VID: "91cb3af869e1203537c131e3e148e9cb01b700bf", Site: 2, Goal: "margin per session",
			Value: decimal.RequireFromString("30.43"), HasValue: true, ValueType: ValuePerVisitor, ValueFormat: FormatCurrency},
	},
	{
		name: "generated split",
		line: "1\tsplit\t1362701023.8449\t6e1e4b8579da1faacd0ad15c08abfcfa49733971\t3\tfree shipping threshold\t100",
		want: Record{Kind: KindSplit, Timestamp: 1362701023, TimeFraction: "8449",
			VID: "6e1e4b8579da1faacd0ad15c08abfcfa49733971", Site: 3, Test: "free shipping threshold", Population: "100"},
	},
	{
		name: "generated page, escaped backslash in the referer",
		line: "1\tpage\t1362701479.6461\tf9500fe2d4040923e1ab07b3a042c945d17353c6\t1\t184.243.197.119\tGET\t" +
			"http://www.cheeseshop.example/\tMozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko\t" +
			`http://www.example.com/links\\old`,
		want: Record{Kind: KindPage, Timestamp: 1362701479, TimeFraction: "6461",
			VID: "f9500fe2d4040923e1ab07b3a042c945d17353c6", Site: 1, IP: "184.243.197.119", Method: "GET",
			URL: "http://www.cheeseshop.example/", UserAgent: "Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko",
			Referer: `http://www.example.com/links\old`},
	},
	{
		name: "generated page, Latin-1 escapes and an escaped backslash before n",
		line: "1\tpage\t1362772350.6892\t9aab4805d35ec8a692d2d6737f0605cfa8659cbf\t1\t203.91.98.71\tGET\t" +
			`http://www.cheeseshop.example/search?q=cr\xe8me+br\xfbl\xe9e\\n` + "\t" +
			"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.22 (KHTML, like Gecko) Chrome/25.0.1364.152 Safari/537.22\t" +
			"http://www.cheeseshop.example/",
		want: Record{Kind: KindPage, Timestamp: 1362772350, TimeFraction: "6892",
			VID: "9aab4805d35ec8a692d2d6737f0605cfa8659cbf", Site: 1, IP: "203.91.98.71", Method: "GET",
			URL:       `http://www.cheeseshop.example/search?q=crème+brûlée\n`,
			UserAgent: "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.22 (KHTML, like Gecko) Chrome/25.0.1364.152 Safari/537.22",
			Referer:   "http://www.cheeseshop.example/"},
	},
}

func TestParseLineFixtureLines(t *testing.T) {
	for _, tc := range fixtureLines {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLine([]byte(tc.line))
			require.NoError(t, err)
			requireSameRecord(t, tc.want, got)
		})
	}
}

func TestAppendLineReproducesFixtureLinesByteForByte(t *testing.T) {
	for _, tc := range fixtureLines {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.line+"\n", FormatLine(&tc.want))
			dst := []byte("prefix")
			assert.Equal(t, "prefix"+tc.line+"\n", string(AppendLine(dst, &tc.want)))
		})
	}
}

func TestParseLineRecordDoesNotAliasInput(t *testing.T) {
	buf := []byte("1\tsplit\t1.5\tvisitor\t7\ttest\tpop")
	r, err := ParseLine(buf)
	require.NoError(t, err)
	for i := range buf {
		buf[i] = 'X'
	}
	assert.Equal(t, "visitor", r.VID)
	assert.Equal(t, "test", r.Test)
	assert.Equal(t, "pop", r.Population)
	assert.Equal(t, "5", r.TimeFraction)
}

func TestParseLineRawUTF8AndEscapes(t *testing.T) {
	line := "1\tsplit\t1400000000\tvid-é\t-3\t" + `caf\xe9 \u20ac \U0001f600 \\ \t\n\r \' \" \a\b\f\v \101 \q` + "\tcafé €😀"
	r, err := ParseLine([]byte(line))
	require.NoError(t, err)
	assert.Equal(t, int64(1400000000), r.Timestamp)
	assert.Equal(t, "", r.TimeFraction)
	assert.Equal(t, "vid-é", r.VID)
	assert.Equal(t, int64(-3), r.Site)
	assert.Equal(t, "café € 😀 \\ \t\n\r ' \" \a\b\f\v A \\q", r.Test)
	assert.Equal(t, "café €😀", r.Population)

	// Written back, everything is printable ASCII, escaped as Python does.
	out := FormatLine(&r)
	assert.Equal(t, "1\tsplit\t1400000000\tvid-\\xe9\t-3\t"+
		`caf\xe9 \u20ac \U0001f600 \\ \t\n\r ' " \x07\x08\x0c\x0b A \\q`+"\t"+`caf\xe9 \u20ac\U0001f600`+"\n", out)
}

func TestParseLineEndsAtTheCRBeforeTheLineEnd(t *testing.T) {
	// A "\r\n" line end (docs/log-format.md): the line ends at the CR; fields never hold a raw CR.
	r, err := ParseLine([]byte("1\tsplit\t5\tv\t1\tt\tA\r"))
	require.NoError(t, err)
	assert.Equal(t, "A", r.Population)
	assert.Equal(t, "1\tsplit\t5\tv\t1\tt\tA\n", FormatLine(&r))

	r, err = ParseLine([]byte("1\tpixel\t5\tv\t1\r"))
	require.NoError(t, err)
	assert.Equal(t, int64(1), r.Site)

	// An escaped CR is data.
	r, err = ParseLine([]byte("1\tsplit\t5\tv\t1\tt\tA\\r"))
	require.NoError(t, err)
	assert.Equal(t, "A\r", r.Population)
}

func TestParseLineTimestampsLieInYears1970To9999(t *testing.T) {
	r, err := ParseLine([]byte("1\tpixel\t253402300799.9\tv\t1"))
	require.NoError(t, err)
	assert.Equal(t, int64(MaxTimestamp), r.Timestamp)
	assert.Equal(t, 9999, time.Unix(r.Timestamp, 0).UTC().Year())
	for _, ts := range []string{"253402300800", "9223372036854775807", "99999999999999999999"} {
		_, err := ParseLine([]byte("1\tpixel\t" + ts + "\tv\t1"))
		requireParseError(t, err, CodeTimestamp, 2)
		assert.Contains(t, err.Error(), "out of range (years 1970 to 9999)")
	}
}

func TestParseLineSkipsACrashedWritersZeroFill(t *testing.T) {
	// A writer that died left its file's tail as NUL bytes; the next writer's line follows
	// them: the line is counted, the NULs are not part of it.
	r, err := ParseLine([]byte("\x00\x00\x00\x001\tpixel\t5\tv\t1"))
	require.NoError(t, err)
	assert.Equal(t, "v", r.VID)
	_, err = ParseLine([]byte("\x00\x00"))
	require.Error(t, err, "nothing but NULs is no record")
}

func TestParseLineGoalValues(t *testing.T) {
	for _, tc := range []struct {
		in, formatted string
	}{
		{"13.25", "13.25"},
		{"9.0", "9.0"},
		{"0", "0"},
		{"-1.50", "-1.50"},
		{"+2", "2"},
		{".5", "0.5"},
		{"5.", "5"},
		{"1e3", "1000"},
		{"1.5E-3", "0.0015"},
		{"123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, err := ParseLine([]byte("1\tgoal\t1\tv\t1\tg\t" + tc.in + "\tS\tN"))
			require.NoError(t, err)
			require.True(t, r.HasValue)
			assert.True(t, r.Value.Equal(decimal.RequireFromString(tc.in)), "value %s", r.Value)
			assert.Equal(t, "1\tgoal\t1\tv\t1\tg\t"+tc.formatted+"\tS\tN\n", FormatLine(&r))
		})
	}
}

func requireParseError(t *testing.T, err error, code ErrorCode, field int) *ParseError {
	t.Helper()
	require.Error(t, err)
	var pe *ParseError
	require.True(t, errors.As(err, &pe), "error %T %v", err, err)
	require.Equal(t, code, pe.Code, "error: %v", err)
	require.Equal(t, field, pe.Field, "error: %v", err)
	return pe
}

func TestParseLineErrors(t *testing.T) {
	long := strings.Repeat("x", MaxFieldLength+1)
	for _, tc := range []struct {
		name  string
		line  string
		code  ErrorCode
		field int
		msg   string
	}{
		{"empty line", "", CodeFieldCount, -1, "line: empty line"},
		{"version only", "1", CodeFieldCount, -1, "line: got 1 field, want at least 5"},
		{"pixel too short", "1\tpixel\t1\tv", CodeFieldCount, -1, "line: got 4 fields, want 5 for kind pixel"},
		{"pixel too long", "1\tpixel\t1\tv\t1\t", CodeFieldCount, -1, "line: got 6 fields, want 5 for kind pixel"},
		{"page short", "1\tpage\t1\tv\t1\tip\tGET\turl\tua", CodeFieldCount, -1, "line: got 9 fields, want 10 for kind page"},
		{"page many", "1\tpage\t1\tv\t1\ta\tb\tc\td\te\tf\tg\th", CodeFieldCount, -1, "line: got 13 fields, want 10 for kind page"},
		{"goal short", "1\tgoal\t1\tv\t1\tg\t1\tS", CodeFieldCount, -1, "line: got 8 fields, want 9 for kind goal"},
		{"split long", "1\tsplit\t1\tv\t1\tt\tp\tx", CodeFieldCount, -1, "line: got 8 fields, want 7 for kind split"},
		{"version 2", "2\tpixel\t1\tv\t1", CodeVersion, 0, `field 0 (version): unsupported version: "2"`},
		{"version 01", "01\tpixel\t1\tv\t1", CodeVersion, 0, `field 0 (version): unsupported version: "01"`},
		{"not a log line", "hello world", CodeVersion, 0, `field 0 (version): unsupported version: "hello world"`},
		{"unknown kind", "1\tclick\t1\tv\t1", CodeKind, 1, `field 1 (kind): unknown kind: "click"`},
		{"kind case", "1\tPIXEL\t1\tv\t1", CodeKind, 1, `field 1 (kind): unknown kind: "PIXEL"`},
		{"timestamp word", "1\tpixel\tabc\tv\t1", CodeTimestamp, 2, `field 2 (timestamp): not a number: "abc"`},
		{"timestamp empty", "1\tpixel\t\tv\t1", CodeTimestamp, 2, `field 2 (timestamp): empty: ""`},
		{"timestamp negative", "1\tpixel\t-5.5\tv\t1", CodeTimestamp, 2, `field 2 (timestamp): negative: "-5.5"`},
		{"timestamp exponent", "1\tpixel\t1e9\tv\t1", CodeTimestamp, 2, `field 2 (timestamp): not a number: "1e9"`},
		{"timestamp trailing dot", "1\tpixel\t10.\tv\t1", CodeTimestamp, 2, `field 2 (timestamp): not a number: "10."`},
		{"timestamp leading dot", "1\tpixel\t.5\tv\t1", CodeTimestamp, 2, `field 2 (timestamp): not a number: ".5"`},
		{"timestamp two dots", "1\tpixel\t1.2.3\tv\t1", CodeTimestamp, 2, `field 2 (timestamp): not a number: "1.2.3"`},
		{"timestamp huge", "1\tpixel\t99999999999999999999\tv\t1", CodeTimestamp, 2, `field 2 (timestamp): out of range (years 1970 to 9999): "99999999999999999999"`},
		{"site word", "1\tpixel\t1\tv\tone", CodeSite, 4, `field 4 (site): not an integer: "one"`},
		{"site empty", "1\tpixel\t1\tv\t", CodeSite, 4, `field 4 (site): empty: ""`},
		{"site decimal", "1\tpixel\t1\tv\t1.0", CodeSite, 4, `field 4 (site): not an integer: "1.0"`},
		{"site huge", "1\tpixel\t1\tv\t99999999999999999999", CodeSite, 4, `field 4 (site): out of range: "99999999999999999999"`},
		{"value word", "1\tgoal\t1\tv\t1\tg\tabc\tS\tC", CodeValue, 6, `field 6 (value): not a decimal number: "abc"`},
		{"value NaN", "1\tgoal\t1\tv\t1\tg\tNaN\tS\tC", CodeValue, 6, `field 6 (value): not a decimal number: "NaN"`},
		{"value Inf", "1\tgoal\t1\tv\t1\tg\tInf\tS\tC", CodeValue, 6, `field 6 (value): not a decimal number: "Inf"`},
		{"value hex", "1\tgoal\t1\tv\t1\tg\t0x10\tS\tC", CodeValue, 6, `field 6 (value): not a decimal number: "0x10"`},
		{"value space", "1\tgoal\t1\tv\t1\tg\t 1\tS\tC", CodeValue, 6, `field 6 (value): not a decimal number: " 1"`},
		{"value dot", "1\tgoal\t1\tv\t1\tg\t.\tS\tC", CodeValue, 6, `field 6 (value): not a decimal number: "."`},
		{"value bare exponent", "1\tgoal\t1\tv\t1\tg\t1e\tS\tC", CodeValue, 6, `field 6 (value): not a decimal number: "1e"`},
		{"value huge exponent", "1\tgoal\t1\tv\t1\tg\t1e1001\tS\tC", CodeValue, 6, `field 6 (value): exponent out of range: "1e1001"`},
		{"value too wide written out", "1\tgoal\t1\tv\t1\tg\t1e300\tS\tC", CodeValue, 6,
			`field 6 (value): longer than 255 characters when written out: "1e300"`},
		{"value type", "1\tgoal\t1\tv\t1\tg\t1\tX\tC", CodeValueType, 7, `field 7 (value type): not one of "", S, A, I, R: "X"`},
		{"value format", "1\tgoal\t1\tv\t1\tg\t1\tS\tc", CodeValueFormat, 8, `field 8 (value format): not one of "", N, C, P: "c"`},
		{"long vid", "1\tpixel\t1\t" + long + "\t1", CodeTooLong, 3,
			`field 3 (vid): longer than 255 characters: "` + long[:64] + `..."`},
		{"long url", "1\tpage\t1\tv\t1\tip\tGET\t" + long + "\tua\tref", CodeTooLong, 7, "field 7 (url): longer than 255 characters"},
		{"long escaped", "1\tsplit\t1\tv\t1\tt\t" + strings.Repeat(`\xe9`, MaxFieldLength+1), CodeTooLong, 6, "field 6 (population): longer than 255 characters"},
		{"trailing backslash", "1\tsplit\t1\tv\t1\tt\tp\\", CodeEscape, 6, `field 6 (population): "\" at end of field: "p\\"`},
		{"short hex", "1\tsplit\t1\tv\t1\tt\\x4\tp", CodeEscape, 5, `field 5 (test): truncated \xXX escape: "t\\x4"`},
		{"bad hex", "1\tsplit\t1\tv\t1\tt\\xzz\tp", CodeEscape, 5, `truncated \xXX escape`},
		{"short u", "1\tsplit\t1\tv\t1\t\\u20a\tp", CodeEscape, 5, `truncated \uXXXX escape`},
		{"short U", "1\tsplit\t1\tv\t1\t\\U0001f60\tp", CodeEscape, 5, `truncated \UXXXXXXXX escape`},
		{"U too big", "1\tsplit\t1\tv\t1\t\\U00110000\tp", CodeEscape, 5, "code point above U+10FFFF"},
		{"U way too big", "1\tsplit\t1\tv\t1\t\\Uffffffff\tp", CodeEscape, 5, "code point above U+10FFFF"},
		{"surrogate", "1\tsplit\t1\tv\t1\t\\ud800\tp", CodeEscape, 5, "surrogate code point"},
		{"named escape", "1\tsplit\t1\tv\t1\t\\N{EM DASH}\tp", CodeEscape, 5, `\N{...} escapes are not supported`},
		{"escaped NUL", "1\tsplit\t1\tv\t1\tt\ta\\x00b", CodeEncoding, 6, "NUL character"},
		{"octal NUL", "1\tsplit\t1\tv\t1\tt\ta\\0", CodeEncoding, 6, "NUL character"},
		{"raw NUL", "1\tsplit\t1\tv\t1\tt\x00\tp", CodeEncoding, 5, "NUL character"},
		{"invalid UTF-8", "1\tsplit\t1\tv\xff\t1\tt\tp", CodeEncoding, 3, `field 3 (vid): invalid UTF-8: "v\xff"`},
		{"escaped version", "\\x32\tpixel\t1\tv\t1", CodeVersion, 0, `unsupported version: "\\x32"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseLine([]byte(tc.line))
			pe := requireParseError(t, err, tc.code, tc.field)
			assert.Contains(t, pe.Error(), tc.msg)
			assert.NotEmpty(t, pe.Reason)
			assert.NotEqual(t, "", pe.Code.String())
			if tc.field >= 0 {
				assert.LessOrEqual(t, len(pe.Text), maxErrorText+3)
			}
			_ = r
		})
	}
}

func TestParseLineErrorMessageExactForms(t *testing.T) {
	_, err := ParseLine([]byte("1\tgoal\tabc\tv\t1\tg\t\t\t"))
	assert.EqualError(t, err, `field 2 (timestamp): not a number: "abc"`)
	_, err = ParseLine([]byte("1\tgoal\t1\tv\t1\tg\t\t\t"))
	assert.NoError(t, err)
}

func TestParseLineEscapedKnownFields(t *testing.T) {
	// Every field is unescaped before it is interpreted, as the Python reader does.
	r, err := ParseLine([]byte(`\x31` + "\tpixe\\x6c\t1\\x2e5\tv\t\\x34\\x32"))
	require.NoError(t, err)
	requireSameRecord(t, Record{Kind: KindPixel, Timestamp: 1, TimeFraction: "5", VID: "v", Site: 42}, r)
}

func TestFieldLengthCountsCharactersAfterUnescaping(t *testing.T) {
	for _, tc := range []struct {
		name  string
		field string
		ok    bool
	}{
		{"255 ASCII", strings.Repeat("a", 255), true},
		{"256 ASCII", strings.Repeat("a", 256), false},
		{"255 raw two-byte", strings.Repeat("é", 255), true},
		{"256 raw two-byte", strings.Repeat("é", 256), false},
		{"255 escaped", strings.Repeat(`\U0001f600`, 255), true},
		{"256 escaped", strings.Repeat(`\U0001f600`, 256), false},
		{"escaped backslashes", strings.Repeat(`\\`, 255), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseLine([]byte("1\tsplit\t1\tv\t1\tt\t" + tc.field))
			if !tc.ok {
				requireParseError(t, err, CodeTooLong, 6)
				return
			}
			require.NoError(t, err)
			back, err := ParseLine([]byte(strings.TrimSuffix(FormatLine(&r), "\n")))
			require.NoError(t, err)
			requireSameRecord(t, r, back)
		})
	}
}

func TestAppendLineUnknownKindIsRejectedWhenRead(t *testing.T) {
	r := Record{Kind: 0, Timestamp: 5, VID: "v", Site: 1}
	line := FormatLine(&r)
	assert.Equal(t, "1\tkind(0)\t5\tv\t1\n", line)
	_, err := ParseLine([]byte(strings.TrimSuffix(line, "\n")))
	requireParseError(t, err, CodeKind, 1)
}

func TestAppendLineGoalWithoutValueIgnoresValue(t *testing.T) {
	r := Record{Kind: KindGoal, Timestamp: 5, VID: "v", Site: 1, Goal: "g", Value: decimal.NewFromInt(3)}
	assert.Equal(t, "1\tgoal\t5\tv\t1\tg\t\t\t\n", FormatLine(&r))
}

func TestErrorCodeStrings(t *testing.T) {
	seen := map[string]bool{}
	for c := CodeFieldCount; c <= CodeEncoding; c++ {
		s := c.String()
		assert.NotContains(t, s, "code(", "code %d has no name", c)
		assert.False(t, seen[s], "duplicate name %q", s)
		seen[s] = true
	}
	assert.Equal(t, "code(99)", ErrorCode(99).String())
}

func TestFieldNames(t *testing.T) {
	assert.Equal(t, "referer", FieldName(KindPage, 9))
	assert.Equal(t, "value format", FieldName(KindGoal, 8))
	assert.Equal(t, "population", FieldName(KindSplit, 6))
	assert.Equal(t, "extra", FieldName(KindPixel, 5))
	assert.Equal(t, "site", FieldName(0, 4))
	for k := KindPage; k <= KindSplit; k++ {
		for i := range FieldCount(k) {
			assert.NotEqual(t, "extra", FieldName(k, i), "kind %s field %d", k, i)
		}
		assert.Equal(t, "extra", FieldName(k, FieldCount(k)))
	}
	assert.Equal(t, 0, FieldCount(Kind(9)))
}

func TestParseLineAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	clean := []byte(fixtureLines[0].line)
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { _, _ = ParseLine(clean) }), 1.0,
		"a line without escapes costs one allocation: its string")
	escaped := []byte(fixtureLines[9].line)
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { _, _ = ParseLine(escaped) }), 2.0,
		"plus one per escaped field")
	var buf []byte
	assert.Zero(t, testing.AllocsPerRun(100, func() { buf = AppendLine(buf[:0], &fixtureLines[9].want) }),
		"AppendLine into a large enough buffer does not allocate for a page")
}
