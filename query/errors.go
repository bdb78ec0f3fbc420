package query

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// The kinds of query errors; test with errors.Is.
var (
	// ErrInvalid marks a request that breaks a rule of the package doc.
	ErrInvalid = errors.New("invalid query")
	// ErrNotFound marks a request naming something the store has never seen.
	ErrNotFound = errors.New("not found")
)

// Error is a query error with a message for the client.
type Error struct {
	kind error // ErrInvalid or ErrNotFound
	msg  string
}

func (e *Error) Error() string { return e.msg }

// Unwrap returns the kind of the error.
func (e *Error) Unwrap() error { return e.kind }

func invalid(format string, args ...any) error {
	return &Error{kind: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &Error{kind: ErrNotFound, msg: fmt.Sprintf(format, args...)}
}

// ClipLength is the number of bytes Clip keeps.
const ClipLength = 64

// Clip shortens client text for a message: at most ClipLength bytes of whole
// characters, with "…" when something was cut.
func Clip(s string) string {
	if len(s) <= ClipLength {
		return s
	}
	for i := ClipLength; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return "…"
}

// Naming says how messages name parameters: as the API's query parameters or as the
// command line's flags.
type Naming int

const (
	// Params names parameters as the API does: goal, test.
	Params Naming = iota
	// Flags names parameters as the command line does: --goal, --test.
	Flags
)

// name is how a message refers to parameter p.
func (n Naming) name(p string) string {
	if n == Flags {
		return "--" + p
	}
	return p
}

// subject is p as the subject of a sentence: `parameter "goal"` or "--goal".
func (n Naming) subject(p string) string {
	if n == Flags {
		return "--" + p
	}
	return fmt.Sprintf("parameter %q", p)
}

// prefix introduces a message about p's value: "" or "--site: ".
func (n Naming) prefix(p string) string {
	if n == Flags {
		return "--" + p + ": "
	}
	return ""
}

// The messages of the rules, one place each.

func (n Naming) errNeitherGoalNorVariant() error {
	goal := "a goal"
	if n == Flags {
		goal = "--goal"
	}
	return invalid("give %s, a variant (%s and %s), or both", goal, n.name("test"), n.name("population"))
}

func (n Naming) errHalfVariant() error {
	return invalid("a variant needs both %s and %s", n.name("test"), n.name("population"))
}

func (n Naming) errRequired(p string) error {
	if n == Flags {
		return invalid("--%s is required", p)
	}
	return invalid("parameter %s is required", p)
}

func (n Naming) errSeriesBucket() error {
	drop := "the bucket parameter"
	if n == Flags {
		drop = "--bucket"
	}
	return invalid("a series has every bucket of its rollup: drop %s", drop)
}
