package messages

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docBlocks returns the lines of the fenced blocks of docs/log-format.md whose info string
// is lang, with "→" turned into a TAB.
func docBlocks(t *testing.T, lang string) []string {
	t.Helper()
	f, err := os.Open("../docs/log-format.md")
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case !in && l == "```"+lang:
			in = true
		case in && l == "```":
			in = false
		case in:
			lines = append(lines, strings.ReplaceAll(l, "→", "\t"))
		}
	}
	require.NoError(t, sc.Err())
	return lines
}

// TestLogFormatDocExamples keeps the examples of docs/log-format.md true: every valid
// example parses, writes back in the canonical form and parses to the same record; every
// invalid one is refused with the reason the page gives.
func TestLogFormatDocExamples(t *testing.T) {
	valid := docBlocks(t, "log")
	require.Len(t, valid, 8)
	kinds := map[Kind]int{}
	for _, l := range valid {
		r, err := ParseLine([]byte(l))
		require.NoError(t, err, "%q", l)
		kinds[r.Kind]++
		again, err := ParseLine([]byte(strings.TrimSuffix(FormatLine(&r), "\n")))
		require.NoError(t, err)
		assert.True(t, r.Value.Equal(again.Value), "%q: value %s, again %s", l, r.Value, again.Value)
		again.Value = r.Value // equal numbers, maybe another representation (1.5e3, 1500)
		assert.Equal(t, r, again, "%q round-trips", l)
	}
	assert.Len(t, kinds, 4, "every kind has an example")

	r, err := ParseLine([]byte(valid[5]))
	require.NoError(t, err)
	assert.Equal(t, "https://blog.example/café?q=a\tb", r.URL, "escapes are decoded")
	assert.Equal(t, int64(2), r.Site)
	r, err = ParseLine([]byte(valid[4]))
	require.NoError(t, err)
	assert.Equal(t, "12.5", r.Value.String())
	assert.Equal(t, ValueSum, r.ValueType)
	assert.Equal(t, FormatCurrency, r.ValueFormat)

	reason := regexp.MustCompile(`^(.*?)\s+\[(.+)\]$`)
	invalid := docBlocks(t, "log-invalid")
	require.NotEmpty(t, invalid)
	for _, l := range invalid {
		m := reason.FindStringSubmatch(l)
		require.NotNil(t, m, "%q has no [reason]", l)
		_, err := ParseLine([]byte(m[1]))
		if assert.Error(t, err, "%q", m[1]) {
			assert.Contains(t, err.Error(), m[2])
		}
	}
}
