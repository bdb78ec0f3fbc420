package api

import (
	"context"
	"strings"

	"github.com/manhattan-analytics/manhattan/ingest"
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
	if s.opts.Ingest == nil {
		return s.queries.Status(ctx, nil)
	}
	return s.queries.Status(ctx, ingestStatus(s.opts.Ingest()))
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
