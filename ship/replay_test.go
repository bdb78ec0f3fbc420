package ship

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/natstest"
	"github.com/manhattan-analytics/manhattan/internal/streamtest"
	"github.com/manhattan-analytics/manhattan/stream"
)

// A shipper that stops with chunks pending (published, not known to be acknowledged)
// cuts them again at the same lines and publishes them under the same ids: the stream
// drops what it has, and every line is stored exactly once.
func TestPendingChunksAreReplayedUnderTheSameIDs(t *testing.T) {
	srv := natstest.Start(t)
	nc, js := srv.Connect()
	info, err := stream.Create(context.Background(), js, stream.Config{Name: "LOG", Partitions: 8})
	require.NoError(t, err)
	base := fixtures.CopyLog(t, fixtures.Generated20k)
	// The mid-run progress below stands for a shipper killed there, whose later chunks the
	// first run published anyway: that holds only if both runs cut the same chunks, so no
	// chunk may be cut by the linger timer (a slow machine would cut them elsewhere).
	cfg := Config{LogBase: base, Progress: base + ".ship", Source: "web1", Stream: info, Conn: nc, ChunkLines: 500, Linger: time.Hour}

	first, err := New(cfg)
	require.NoError(t, err)
	var saves []Progress
	first.onSave = func(p Progress) { saves = append(saves, p) }
	require.NoError(t, first.Run(context.Background()))

	// Take a progress written halfway, with several chunks pending, as if the shipper
	// had been killed right after writing it: those chunks are all in the stream.
	var mid Progress
	for _, p := range saves[len(saves)/2:] {
		if len(p.Pending) >= 2 {
			mid = p
			break
		}
	}
	require.GreaterOrEqual(t, len(mid.Pending), 2, "no save with pending chunks among %d", len(saves))
	require.NoError(t, SaveProgress(cfg.Progress, mid))

	second, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, second.Run(context.Background()))
	st := second.Stats()
	require.Positive(t, st.Duplicates.Load())
	require.Equal(t, st.Messages.Load(), st.Duplicates.Load(), "everything after the mid-run progress was in the stream already")

	got, _ := streamtest.Partitions(t, js, info)
	require.Equal(t, streamtest.LogPartitions(t, base, 8), got)
}
