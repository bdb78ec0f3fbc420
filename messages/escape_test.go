package messages

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The expected outputs are what Python 3 gives for s.encode("unicode_escape").
func TestEscapeMatchesPythonUnicodeEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain ASCII ~!@#$%^&*()'\"", "plain ASCII ~!@#$%^&*()'\""},
		{"é", `\xe9`},
		{"ÿ", `\xff`},
		{"\u0080", `\x80`},
		{"Ā", `\u0100`},
		{"€", `\u20ac`},
		{"\uffff", `\uffff`},
		{"😀", `\U0001f600`},
		{"\U0010ffff", `\U0010ffff`},
		{`a\b`, `a\\b`},
		{"\t\n\r", `\t\n\r`},
		{"\x00\x01\x1b\x1f", `\x00\x01\x1b\x1f`},
		{"\x7f", `\x7f`},
		{"\a\b\f\v", `\x07\x08\x0c\x0b`},
		{"crème brûlée", `cr\xe8me br\xfbl\xe9e`},
		{"bad \xff byte", `bad \ufffd byte`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			got := string(appendEscaped(nil, tc.in))
			assert.Equal(t, tc.want, got)
			for _, c := range []byte(got) {
				assert.True(t, c >= 0x20 && c < 0x7f, "byte %#x is not printable ASCII", c)
			}
		})
	}
}

func TestUnescapeAcceptsPythonEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`\\`, `\`},
		{`\'\"`, `'"`},
		{`\a\b\f\n\r\t\v`, "\a\b\f\n\r\t\v"},
		{`\101\60\7x`, "A0\ax"},
		{`\1011`, "A1"},
		{`\777`, "\u01ff"},
		{`\x41\xE9`, "Aé"},
		{`\u00e9\u20AC`, "é€"},
		{`\U0001F600`, "😀"},
		{`\q\ \8`, `\q\ \8`},
		{`\é`, `\é`},
		{`raw é and \xe9`, "raw é and é"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, code, reason := unescape(tc.in)
			require.Zero(t, code, reason)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestEscapeUnescapeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "abc", `\`, `\\x41`, "tab\there", "é€😀", "\x01\x7f", `\u20ac`} {
		got, code, reason := unescape(string(appendEscaped(nil, s)))
		require.Zero(t, code, reason)
		assert.Equal(t, s, got)
	}
}
