package eventlog

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manhattan-analytics/manhattan/messages"
)

func TestBytesAfterAReadersPointer(t *testing.T) {
	base := newBase(t)
	appendFile(t, base, h999, "a\nbb\n")
	appendFile(t, base, h1000, "c\n")
	r := openReader(t, base, messages.Pointer{}, Options{})
	assert.Equal(t, int64(7), BytesAfter(base, r.Pointer()))

	requireLine(t, r, got{"a", messages.Pointer{File: h999, Offset: 2}})
	assert.Equal(t, int64(5), BytesAfter(base, r.Pointer()))

	readAll(t, r)
	assert.Zero(t, BytesAfter(base, r.Pointer()))

	appendFile(t, base, h1000, "dd")
	assert.Equal(t, int64(2), BytesAfter(base, r.Pointer()))
}
