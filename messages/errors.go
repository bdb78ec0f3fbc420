package messages

import (
	"fmt"
	"unicode/utf8"
)

// ErrorCode says what is wrong with a malformed log line. Its String form is a short,
// stable label, fit for a metric label or a dead letter's reason.
type ErrorCode uint8

// The reasons a log line is rejected.
const (
	// CodeFieldCount: the line has the wrong number of fields for its kind.
	CodeFieldCount ErrorCode = iota + 1
	// CodeVersion: field 0 is not "1".
	CodeVersion
	// CodeKind: field 1 is not page, pixel, goal or split.
	CodeKind
	// CodeTimestamp: field 2 is not a non-negative decimal number of seconds.
	CodeTimestamp
	// CodeSite: field 4 is not an integer.
	CodeSite
	// CodeValue: a goal's value is neither empty nor a decimal number.
	CodeValue
	// CodeValueType: a goal's value type is not "", S, A, I or R.
	CodeValueType
	// CodeValueFormat: a goal's value format is not "", N, C or P.
	CodeValueFormat
	// CodeTooLong: a field is longer than MaxFieldLength characters after unescaping.
	CodeTooLong
	// CodeEscape: a field holds a backslash escape that cannot be decoded.
	CodeEscape
	// CodeEncoding: the line is not valid UTF-8, or a field holds a NUL character
	// (which PostgreSQL text cannot store).
	CodeEncoding
)

var codeNames = [...]string{
	CodeFieldCount:  "field_count",
	CodeVersion:     "version",
	CodeKind:        "kind",
	CodeTimestamp:   "timestamp",
	CodeSite:        "site",
	CodeValue:       "value",
	CodeValueType:   "value_type",
	CodeValueFormat: "value_format",
	CodeTooLong:     "too_long",
	CodeEscape:      "escape",
	CodeEncoding:    "encoding",
}

// String returns the code's stable label, e.g. "timestamp".
func (c ErrorCode) String() string {
	if int(c) < len(codeNames) && codeNames[c] != "" {
		return codeNames[c]
	}
	return fmt.Sprintf("code(%d)", uint8(c))
}

// ParseError describes why a log line was rejected. ParseLine returns no other error type.
type ParseError struct {
	// Code classifies the problem.
	Code ErrorCode
	// Field is the index of the offending field, or -1 when the line as a whole is wrong
	// (wrong field count, invalid UTF-8 spanning fields).
	Field int
	// Kind is the record kind when it was known at the time of the error, else 0.
	Kind Kind
	// Reason is a human-readable description, e.g. "not a number".
	Reason string
	// Text is the offending text (the field as it stands in the line), shortened to at
	// most maxErrorText bytes; empty when Field is -1.
	Text string
}

// maxErrorText bounds the text a ParseError quotes, so that a huge garbage field does not
// make a huge error message.
const maxErrorText = 64

// Error formats the error as `field 2 (timestamp): not a number: "abc"`, or as
// `line: <reason>` for errors of the whole line.
func (e *ParseError) Error() string {
	if e.Field < 0 {
		return "line: " + e.Reason
	}
	return fmt.Sprintf("field %d (%s): %s: %q", e.Field, FieldName(e.Kind, e.Field), e.Reason, e.Text)
}

// FieldName names field i of a line of kind k, e.g. FieldName(KindGoal, 6) == "value".
// Kind 0 names only the common fields 0–4.
func FieldName(k Kind, i int) string {
	switch i {
	case 0:
		return "version"
	case 1:
		return "kind"
	case 2:
		return "timestamp"
	case 3:
		return "vid"
	case 4:
		return "site"
	}
	var names []string
	switch k {
	case KindPage:
		names = pageFieldNames[:]
	case KindGoal:
		names = goalFieldNames[:]
	case KindSplit:
		names = splitFieldNames[:]
	}
	if j := i - commonFields; j >= 0 && j < len(names) {
		return names[j]
	}
	return "extra"
}

var (
	pageFieldNames  = [...]string{"ip", "method", "url", "user agent", "referer"}
	goalFieldNames  = [...]string{"goal", "value", "value type", "value format"}
	splitFieldNames = [...]string{"test", "population"}
)

func newFieldError(code ErrorCode, k Kind, field int, reason, text string) *ParseError {
	return &ParseError{Code: code, Field: field, Kind: k, Reason: reason, Text: shorten(text)}
}

// shorten cuts s to at most maxErrorText bytes at a rune boundary, marking the cut.
func shorten(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
