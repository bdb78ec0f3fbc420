package stream

import (
	"bytes"
	"strconv"

	"github.com/manhattan-analytics/manhattan/messages"
)

// MsgID returns the dedupe id (Nats-Msg-Id) of the message of partition p cut from the
// batch of source's lines that starts at pointer start: "<source>/<file>:<offset>/<p>".
// The same batch published again gets the same ids.
func MsgID(source string, start messages.Pointer, p int) string {
	b := make([]byte, 0, len(source)+32)
	b = append(b, source...)
	b = append(b, '/')
	b = strconv.AppendInt(b, start.File, 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, start.Offset, 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(p), 10)
	return string(b)
}

// Splitter splits a batch of lines by partition into message bodies, keeping the order of
// the lines within each partition. It reuses its buffers from one batch to the next.
type Splitter struct {
	n      int
	bodies [][]byte
	lines  []int
}

// NewSplitter returns a Splitter for n partitions.
func NewSplitter(n int) *Splitter {
	return &Splitter{n: n, bodies: make([][]byte, n), lines: make([]int, n)}
}

// Add appends a line (given without its "\n") to the body of its partition.
func (s *Splitter) Add(line []byte) {
	p := LinePartition(line, s.n)
	s.bodies[p] = append(append(s.bodies[p], line...), '\n')
	s.lines[p]++
}

// Body returns the body of partition p (nil when the batch has no line of p) and its
// number of lines. It is valid until Reset.
func (s *Splitter) Body(p int) ([]byte, int) { return s.bodies[p], s.lines[p] }

// Partitions returns the partition count.
func (s *Splitter) Partitions() int { return s.n }

// Reset empties every body for the next batch.
func (s *Splitter) Reset() {
	for p := range s.bodies {
		s.bodies[p] = s.bodies[p][:0]
		s.lines[p] = 0
	}
}

// NextLine returns the line of body that starts at byte offset off (without its "\n") and
// the offset just past it. ok is false at the end of the body. complete is false for a
// last line that lacks its "\n": a damaged message, whose rest is one bad line.
func NextLine(body []byte, off int) (line []byte, next int, complete, ok bool) {
	if off >= len(body) {
		return nil, off, false, false
	}
	rest := body[off:]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return rest, len(body), false, true
	}
	return rest[:i], off + i + 1, true, true
}
