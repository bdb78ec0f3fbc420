package messages

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Version is the only event-log format version this package reads and writes.
const Version = 1

// Kind is the kind of an event-log record.
type Kind uint8

// The record kinds of log format version 1.
const (
	KindPage Kind = iota + 1
	KindPixel
	KindGoal
	KindSplit
)

// String returns the kind as it is spelled in the log.
func (k Kind) String() string {
	switch k {
	case KindPage:
		return "page"
	case KindPixel:
		return "pixel"
	case KindGoal:
		return "goal"
	case KindSplit:
		return "split"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Pointer is a position in a partitioned event log: the partition, and the position inside
// it just past the last consumed line. A position is two numbers, ordered as a pair:
//
//   - the hourly files (package eventlog) are one partition, 0: File is the hour of the
//     file (the <H> of BASE.<H>) and Offset the byte offset in that file;
//   - a JetStream stream has one partition per subject <prefix>.<p>: File is the stream
//     sequence of the message and Offset the byte offset inside the message's batch of
//     lines (see StreamPointer and Seq).
//
// The zero position of a partition means "the start of the partition". Pointers of
// different partitions of one log are ordered by their positions too: the stream
// sequence is the stream's global order, and the files have only one partition.
//
// Check identifies the file's content up to Offset: a checksum of the line just before
// Offset (see eventlog.LineCheck), so that a file truncated and written again since the
// pointer was taken is told from the one it was taken on. Zero means "not known" (a pointer
// at the start of a file, after a skipped over-long line, or one stored before checks
// existed); such a pointer is resumed without the comparison. Less ignores Check.
type Pointer struct {
	Partition int    `json:"partition,omitempty"`
	File      int64  `json:"file"`
	Offset    int64  `json:"offset"`
	Check     uint32 `json:"check,omitempty"`
}

// StreamPointer returns the pointer into partition p of a stream just past the line that
// ends at byte offset in the message with stream sequence seq.
func StreamPointer(p int, seq, offset int64) Pointer {
	return Pointer{Partition: p, File: seq, Offset: offset}
}

// Seq returns the stream sequence of a stream pointer (the same number as File).
func (p Pointer) Seq() int64 { return p.File }

// At returns p without its Check: the partition and position alone.
func (p Pointer) At() Pointer { return Pointer{Partition: p.Partition, File: p.File, Offset: p.Offset} }

// Less reports whether p stands before q in the log: by position, then by partition.
func (p Pointer) Less(q Pointer) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Offset != q.Offset {
		return p.Offset < q.Offset
	}
	return p.Partition < q.Partition
}

// IsZero reports whether p is the start of its partition.
func (p Pointer) IsZero() bool { return p.File == 0 && p.Offset == 0 }

// String formats the pointer as "<H>:<offset>" in partition 0 and "<p>/<seq>:<offset>" in
// the others.
func (p Pointer) String() string {
	if p.Partition == 0 {
		return fmt.Sprintf("%d:%d", p.File, p.Offset)
	}
	return fmt.Sprintf("%d/%d:%d", p.Partition, p.File, p.Offset)
}

// Record is one parsed line of the event log. Fields that do not belong to its Kind are
// empty. Ptr is the pointer just past the line the record was read from.
type Record struct {
	Kind Kind
	// Timestamp is the integer part of the logged timestamp (seconds since the Unix epoch).
	Timestamp int64
	// TimeFraction is the logged fractional part, without the dot ("" when none); it is
	// kept so that a record formats back to the line it was parsed from.
	TimeFraction string
	VID          string
	Site         int64

	// page
	IP, Method, URL, UserAgent, Referer string

	// goal
	Goal        string
	Value       decimal.Decimal // zero when the line has no value
	HasValue    bool            // the value field was not empty
	ValueType   string          // "", "S", "A", "I" or "R"
	ValueFormat string          // "", "N", "C" or "P"

	// split
	Test       string
	Population string

	Ptr Pointer
}

// ViewedPage is the goal every page view of a human visitor converts on. Goal values of
// types I and R are divided by its count.
const ViewedPage = "viewed page"

// Value types of a goal (docs/log-format.md).
const (
	ValueNone       = ""
	ValueSum        = "S"
	ValueAverage    = "A"
	ValuePerVisitor = "I"
	ValueRate       = "R"
)

// Value formats of a goal (display only).
const (
	FormatNone       = ""
	FormatNumeric    = "N"
	FormatCurrency   = "C"
	FormatPercentage = "P"
)

// ValueTypeChoices and ValueFormatChoices list the valid value types and formats, for
// error messages.
const (
	ValueTypeChoices   = `"", S, A, I, R`
	ValueFormatChoices = `"", N, C, P`
)

// ValidValueType reports whether t is one of the value types.
func ValidValueType(t string) bool {
	switch t {
	case ValueNone, ValueSum, ValueAverage, ValuePerVisitor, ValueRate:
		return true
	}
	return false
}

// ValidValueFormat reports whether f is one of the value formats.
func ValidValueFormat(f string) bool {
	switch f {
	case FormatNone, FormatNumeric, FormatCurrency, FormatPercentage:
		return true
	}
	return false
}
