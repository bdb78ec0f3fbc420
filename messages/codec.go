package messages

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// MaxFieldLength is the most characters (Unicode code points, counted after unescaping) a
// field of a log line may hold.
const MaxFieldLength = 255

// maxValueExponent bounds the exponent of a goal value written in exponent notation
// ("1.5e3"), so that a short field cannot stand for an enormous number.
const maxValueExponent = 1000

const (
	commonFields = 5  // version, kind, timestamp, vid, site
	maxFields    = 10 // a page line
)

// FieldCount returns the number of fields of a version-1 line of kind k, or 0 for an
// unknown kind.
func FieldCount(k Kind) int {
	switch k {
	case KindPage:
		return commonFields + len(pageFieldNames)
	case KindPixel:
		return commonFields
	case KindGoal:
		return commonFields + len(goalFieldNames)
	case KindSplit:
		return commonFields + len(splitFieldNames)
	}
	return 0
}

// ParseLine parses one event-log line, given without its terminating "\n". A "\r" before
// that "\n" ends the line too (a field never holds a raw CR: the writer escapes it), and
// NUL bytes before the line (a crashed writer's zero-filled tail) are not part of it. The
// returned record's Ptr is left zero: the caller, who knows where the line came from, sets it.
//
// Every field is unescaped (see escape.go) unless it holds no backslash, in which case it
// is taken as it stands; raw UTF-8 is accepted. On a malformed line ParseLine returns a
// *ParseError and never panics. The strings of a record share one allocation, a copy of
// the line, except for fields that needed unescaping.
func ParseLine(line []byte) (Record, error) {
	if len(line) == 0 {
		return Record{}, &ParseError{Code: CodeFieldCount, Field: -1, Reason: "empty line"}
	}
	return ParseString(string(line))
}

// ParseString is ParseLine of a line held in a string: the record's strings are
// substrings of line (no copy is made), except for fields that needed unescaping. A
// reader that keeps many lines in one string parses them with one allocation for all.
func ParseString(line string) (Record, error) {
	var r Record
	// A line ends at a CR before its LF (fields never hold a raw CR), and a crashed
	// writer's zero-filled tail before a line is not part of it.
	line = strings.TrimSuffix(line, "\r")
	line = strings.TrimLeft(line, "\x00")
	if len(line) == 0 {
		return r, &ParseError{Code: CodeFieldCount, Field: -1, Reason: "empty line"}
	}
	var p lineParser
	p.split(line)

	if err := p.decode(0); err != nil {
		return r, err
	}
	if p.f[0] != "1" {
		return r, p.fieldError(CodeVersion, 0, "unsupported version")
	}
	if p.n < 2 {
		return r, &ParseError{Code: CodeFieldCount, Field: -1, Reason: "got 1 field, want at least 5"}
	}
	if err := p.decode(1); err != nil {
		return r, err
	}
	switch p.f[1] {
	case "page":
		p.kind = KindPage
	case "pixel":
		p.kind = KindPixel
	case "goal":
		p.kind = KindGoal
	case "split":
		p.kind = KindSplit
	default:
		return r, p.fieldError(CodeKind, 1, "unknown kind")
	}
	r.Kind = p.kind
	if want := FieldCount(p.kind); p.n != want {
		return r, &ParseError{Code: CodeFieldCount, Field: -1, Kind: p.kind,
			Reason: "got " + strconv.Itoa(p.n) + " fields, want " + strconv.Itoa(want) + " for kind " + p.kind.String()}
	}
	for i := 2; i < p.n; i++ {
		if err := p.decode(i); err != nil {
			return r, err
		}
	}

	var reason string
	if r.Timestamp, r.TimeFraction, reason = parseTimestamp(p.f[2]); reason != "" {
		return r, p.fieldError(CodeTimestamp, 2, reason)
	}
	r.VID = p.f[3]
	if r.Site, reason = parseSite(p.f[4]); reason != "" {
		return r, p.fieldError(CodeSite, 4, reason)
	}

	switch p.kind {
	case KindPage:
		r.IP, r.Method, r.URL, r.UserAgent, r.Referer = p.f[5], p.f[6], p.f[7], p.f[8], p.f[9]
	case KindGoal:
		r.Goal = p.f[5]
		if p.f[6] != "" {
			if r.Value, reason = parseValue(p.f[6]); reason != "" {
				return r, p.fieldError(CodeValue, 6, reason)
			}
			r.HasValue = true
		}
		if r.ValueType = p.f[7]; !ValidValueType(r.ValueType) {
			return r, p.fieldError(CodeValueType, 7, "not one of "+ValueTypeChoices)
		}
		if r.ValueFormat = p.f[8]; !ValidValueFormat(r.ValueFormat) {
			return r, p.fieldError(CodeValueFormat, 8, "not one of "+ValueFormatChoices)
		}
	case KindSplit:
		r.Test, r.Population = p.f[5], p.f[6]
	}
	return r, nil
}

// lineParser holds the fields of one line while it is parsed.
type lineParser struct {
	f    [maxFields]string // the first min(n, maxFields) fields, decoded once decode(i) ran
	raw  [maxFields]string // a field as it stands in the line, when decoding changed it
	n    int               // the number of fields of the line
	slow bool              // the line holds a backslash, a NUL or invalid UTF-8
	kind Kind
}

// split cuts s at its TABs. It keeps the first maxFields fields and counts all of them.
func (p *lineParser) split(s string) {
	p.slow = strings.IndexByte(s, '\\') >= 0 || strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)
	n := 0
	for rest := s; ; {
		j := strings.IndexByte(rest, '\t')
		if j < 0 {
			p.f[n] = rest
			n++
			break
		}
		p.f[n] = rest[:j]
		n++
		rest = rest[j+1:]
		if n == maxFields { // more fields than any kind has: only count the others
			n += strings.Count(rest, "\t") + 1
			break
		}
	}
	p.n = n
}

// decode unescapes field i in place and checks its encoding and length.
func (p *lineParser) decode(i int) *ParseError {
	s := p.f[i]
	if p.slow {
		if !utf8.ValidString(s) {
			return p.fieldError(CodeEncoding, i, "invalid UTF-8")
		}
		if strings.IndexByte(s, 0) >= 0 {
			return p.fieldError(CodeEncoding, i, "NUL character")
		}
		if strings.IndexByte(s, '\\') >= 0 {
			d, code, reason := unescape(s)
			if code != 0 {
				return p.fieldError(code, i, reason)
			}
			p.raw[i] = s
			s = d
			p.f[i] = d
		}
	}
	if len(s) > MaxFieldLength && utf8.RuneCountInString(s) > MaxFieldLength {
		return p.fieldError(CodeTooLong, i, "longer than "+strconv.Itoa(MaxFieldLength)+" characters")
	}
	return nil
}

func (p *lineParser) fieldError(code ErrorCode, i int, reason string) *ParseError {
	text := p.raw[i] // set only for fields that held escapes, which are never empty
	if text == "" {
		text = p.f[i]
	}
	return newFieldError(code, p.kind, i, reason, text)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

// parseTimestamp parses "<seconds>[.<fraction>]", both parts plain decimal digits.
func parseTimestamp(s string) (int64, string, string) {
	whole, frac, dot := strings.Cut(s, ".")
	neg := strings.HasPrefix(whole, "-")
	if neg {
		whole = whole[1:]
	}
	if !isDigits(whole) || (dot && !isDigits(frac)) {
		if s == "" {
			return 0, "", "empty"
		}
		return 0, "", "not a number"
	}
	if neg {
		return 0, "", "negative"
	}
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec > MaxTimestamp {
		return 0, "", "out of range (years 1970 to 9999)"
	}
	return sec, frac, ""
}

// MaxTimestamp is the last second of the year 9999 (UTC): later timestamps are malformed
// (docs/log-format.md), so that every bucket of every rollup is a real date.
const MaxTimestamp = 253402300799

// parseSite parses an optionally negative decimal integer.
func parseSite(s string) (int64, string) {
	if !isDigits(strings.TrimPrefix(s, "-")) {
		if s == "" {
			return 0, "empty"
		}
		return 0, "not an integer"
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, "out of range"
	}
	return v, ""
}

// parseValue parses a goal value: [+-] digits [. digits] [e [+-] digits], with at least
// one digit in the mantissa, written out in at most MaxFieldLength characters.
func parseValue(s string) (decimal.Decimal, string) {
	const bad = "not a decimal number"
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return decimal.Decimal{}, bad
	}
	hasExp := i < len(s) && (s[i] == 'e' || s[i] == 'E')
	if hasExp {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
		if i == start {
			return decimal.Decimal{}, bad
		}
		if e, err := strconv.Atoi(s[start:i]); err != nil || e > maxValueExponent {
			return decimal.Decimal{}, "exponent out of range"
		}
	}
	if i != len(s) {
		return decimal.Decimal{}, bad
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, bad
	}
	// Written out, a value gains at most one character ("-.5" -> "-0.5") unless it used an
	// exponent; make sure it still fits a field.
	if (hasExp || len(s) >= MaxFieldLength) && len(FormatValue(d)) > MaxFieldLength {
		return decimal.Decimal{}, "longer than " + strconv.Itoa(MaxFieldLength) + " characters when written out"
	}
	return d, ""
}

// FormatValue writes d as a log line holds it: plain decimal notation, keeping its
// trailing fractional zeros ("9.0" stays "9.0").
func FormatValue(d decimal.Decimal) string {
	if e := d.Exponent(); e < 0 {
		return d.StringFixed(-e)
	}
	return d.String()
}

// AppendLine appends r to dst as a version-1 log line, "\n" included, and returns the
// extended buffer. The line is printable ASCII (plus the TAB separators): fields are
// escaped as Python's unicode_escape codec does. For every record that ParseLine can
// return, ParseLine of the line (without its "\n") returns an equal record (Ptr aside,
// and Value equal as a number). A record ParseLine could not return (an unknown kind, a
// negative timestamp, a NUL or an over-long field) is written all the same, and the line
// is rejected when read back.
func AppendLine(dst []byte, r *Record) []byte {
	dst = append(dst, '1', '\t')
	dst = appendEscaped(dst, r.Kind.String())
	dst = append(dst, '\t')
	dst = strconv.AppendInt(dst, r.Timestamp, 10)
	if r.TimeFraction != "" {
		dst = append(dst, '.')
		dst = appendEscaped(dst, r.TimeFraction)
	}
	dst = append(dst, '\t')
	dst = appendEscaped(dst, r.VID)
	dst = append(dst, '\t')
	dst = strconv.AppendInt(dst, r.Site, 10)
	switch r.Kind {
	case KindPage:
		dst = appendFields(dst, r.IP, r.Method, r.URL, r.UserAgent, r.Referer)
	case KindGoal:
		value := ""
		if r.HasValue {
			value = FormatValue(r.Value)
		}
		dst = appendFields(dst, r.Goal, value, r.ValueType, r.ValueFormat)
	case KindSplit:
		dst = appendFields(dst, r.Test, r.Population)
	}
	return append(dst, '\n')
}

func appendFields(dst []byte, fields ...string) []byte {
	for _, f := range fields {
		dst = append(dst, '\t')
		dst = appendEscaped(dst, f)
	}
	return dst
}

// FormatLine returns r as a version-1 log line, "\n" included.
func FormatLine(r *Record) string {
	return string(AppendLine(make([]byte, 0, 256), r))
}
