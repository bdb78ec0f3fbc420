package api

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/query"
)

// handlers are the endpoints under Prefix, by name: each parses its request as a query
// of the same kind and answers it.
func (s *Server) handlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		query.KindCount:       s.count,
		query.KindValue:       s.value,
		query.KindTests:       s.tests,
		query.KindGoals:       s.goals,
		query.KindResults:     s.results,
		query.KindSeries:      s.series,
		query.KindDeadLetters: s.deadLetters,
		query.KindStatus:      s.status,
		query.KindAnalysis:    s.analysis,
	}
}

func (s *Server) count(ctx context.Context, req query.Request) (any, error) {
	return s.queries.Count(ctx, req)
}

func (s *Server) value(ctx context.Context, req query.Request) (any, error) {
	return s.queries.Value(ctx, req)
}

func (s *Server) tests(ctx context.Context, _ query.Request) (any, error) {
	return s.queries.Tests(ctx)
}

func (s *Server) goals(ctx context.Context, _ query.Request) (any, error) {
	return s.queries.Goals(ctx)
}

func (s *Server) results(ctx context.Context, req query.Request) (any, error) {
	return s.queries.Results(ctx, req)
}

func (s *Server) analysis(ctx context.Context, req query.Request) (any, error) {
	return s.queries.Analysis(ctx, req)
}

func (s *Server) series(ctx context.Context, req query.Request) (any, error) {
	return s.queries.Series(ctx, req)
}

func (s *Server) deadLetters(ctx context.Context, req query.Request) (any, error) {
	return s.queries.DeadLetters(ctx, req)
}

func (s *Server) status(ctx context.Context, _ query.Request) (any, error) {
	var live *query.IngestStatus
	if s.opts.Ingest != nil {
		live = ingestStatus(s.opts.Ingest())
		live.Source = s.opts.IngestSource
		if s.opts.IngestLog != nil {
			live.Log = s.opts.IngestLog.String()
		}
	}
	st, err := s.queries.Status(ctx, live)
	if err != nil {
		return nil, err
	}
	if s.opts.IngestLog != nil {
		err := addLag(ctx, &st, s.opts.IngestSource, s.opts.IngestLog)
		if err != nil && live != nil {
			live.LagError = err.Error()
		}
	}
	return st, nil
}

// lagTimeout bounds the look at the log's end that a status answer makes.
const lagTimeout = 2 * time.Second

// addLag measures how far the pointers of source in st stand behind the end of log and
// fills in their Lag.
func addLag(ctx context.Context, st *query.StatusAnswer, source string, log logsource.Log) error {
	var at []messages.Pointer
	for _, p := range st.Pointers {
		if p.Source == source {
			at = append(at, messages.Pointer{Partition: p.Partition, File: p.File, Offset: p.Offset})
		}
	}
	if len(at) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, lagTimeout)
	defer cancel()
	lags, err := log.Lag(ctx, at)
	if err != nil {
		return fmt.Errorf("lag of %s: %w", log, err)
	}
	byPartition := make(map[int]logsource.Lag, len(lags))
	for _, l := range lags {
		byPartition[l.Partition] = l
	}
	for i, p := range st.Pointers {
		if l, ok := byPartition[p.Partition]; ok && p.Source == source {
			st.Pointers[i].Lag = &query.PartitionLag{Behind: l.Behind, Unit: l.Unit}
		}
	}
	return nil
}

// ingestStatus is the status document of the live pipeline.
func ingestStatus(st ingest.Stats) *query.IngestStatus {
	c := st.Committed
	return &query.IngestStatus{
		Read: st.Read, Committed: c.Records, DeadLetters: c.DeadLetters, Epochs: c.Epochs, Restarts: c.Restarts,
		Pointer: formatPointers(c.Pointers), CaughtUp: st.CaughtUp,
		LastCommitSeconds: st.LastCommit.Seconds(), UptimeSeconds: c.Elapsed.Seconds(),
		Unread: unread(st.Gaps),
	}
}

// formatPointers joins pointers with spaces ("0:0" when there are none).
func formatPointers(ps []messages.Pointer) string {
	if len(ps) == 0 {
		return messages.Pointer{}.String()
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, " ")
}

func unread(g ingest.GapStats) query.Unread {
	out := query.Unread{Count: g.Count, Bytes: g.Bytes, Recent: make([]query.UnreadGap, 0, len(g.Recent))}
	for _, r := range g.Recent {
		out.Recent = append(out.Recent, query.UnreadGap{Reason: r.Reason, File: r.Path, Bytes: r.Bytes, Detail: r.Detail, At: r.At.UTC()})
	}
	return out
}
