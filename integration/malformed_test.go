package integration

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/messages"
)

func TestMalformedLinesAreDeadLettered(t *testing.T) {
	rules := generatedRules(t)
	base := generate(t, 5000, 13)
	badLines := []string{
		"2\tpage\t100\tv\t1\t1.2.3.4\tGET\thttp://x/\tUA\t", // unknown version
		"1\tjump\t100\tv\t1",                                         // unknown kind
		"1\tpixel\tsoon\tv\t1",                                       // bad timestamp
		"1\tpixel\t100\tv\tone",                                      // bad site id
		"1\tgoal\t100\tv\t1\tbuy\tlots\tS\tC",                        // value not a decimal
		"1\tsplit\t100\tv\t1\tonly-a-test",                           // wrong field count
		"1\tgoal\t100\tv\t1\t" + strings.Repeat("g", 300) + "\t\t\t", // field too long
		"", // empty line
	}
	// Put a bad line after every 97th line of the log.
	hours, err := eventlog.Files(base)
	require.NoError(t, err)
	injected, seen := 0, 0
	for _, h := range hours {
		path := eventlog.Path(base, h)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var out bytes.Buffer
		for _, line := range bytes.SplitAfter(b, []byte("\n")) {
			out.Write(line)
			if len(line) == 0 {
				continue
			}
			if seen++; seen%97 == 0 {
				out.WriteString(badLines[injected%len(badLines)] + "\n")
				injected++
			}
		}
		require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
	}
	require.Greater(t, injected, 20)
	want, bad := sequentialResult(t, rules, base)
	require.Equal(t, injected, bad)

	store := pgtest.NewStore(t)
	sum, err := actors.Run(t.Context(), actors.Config{
		Store: store, Rules: rules, LogBase: base, Shards: 2, FlushEvery: 700, BatchSize: 128, FlushInterval: time.Hour,
	}, ingest.Events{})
	require.NoError(t, err)
	assert.Equal(t, int64(5000), sum.Records, "every good record counted")
	assert.Equal(t, int64(injected), sum.DeadLetters)
	assert.Equal(t, want, canonical(dump(t, store)))

	dead, err := store.DeadLetters(t.Context(), "default", 10_000)
	require.NoError(t, err)
	require.Len(t, dead, injected)
	for _, d := range dead {
		assert.NotEmpty(t, d.Reason)
		// The pointer stands just past the bad line itself.
		b, err := os.ReadFile(eventlog.Path(base, d.Ptr.File))
		require.NoError(t, err)
		require.LessOrEqual(t, d.Ptr.Offset, int64(len(b)))
		upTo := b[:d.Ptr.Offset-1]
		start := bytes.LastIndexByte(upTo, '\n') + 1
		assert.Equal(t, d.Raw, string(upTo[start:]), "dead letter at %v", d.Ptr)
		_, perr := messages.ParseLine([]byte(d.Raw))
		assert.Error(t, perr, fmt.Sprintf("%q is really malformed", d.Raw))
	}
}
