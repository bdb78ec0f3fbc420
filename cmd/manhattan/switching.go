package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/manhattan-analytics/manhattan/persistence"
)

// switchPoll is how often a server looks whether its schema was switched.
const switchPoll = 2 * time.Second

// switchingHandler serves the handler of the schema in use and follows `manhattan db
// switch` without a restart: every switchPoll it resolves the configured schema's switch
// again and, when another schema serves now, builds that schema's handler and swaps it in.
// Requests in flight finish on the handler they started on.
type switchingHandler struct {
	db    *database
	build func(*persistence.Store) (http.Handler, error)
	log   *slog.Logger
	cur   atomic.Pointer[servedSchema]
}

type servedSchema struct {
	schema string
	h      http.Handler
}

// newSwitchingHandler builds the handler of db's store and follows switches until ctx ends.
func newSwitchingHandler(ctx context.Context, db *database, build func(*persistence.Store) (http.Handler, error), log *slog.Logger) (http.Handler, error) {
	h, err := build(db.store)
	if err != nil {
		return nil, err
	}
	s := &switchingHandler{db: db, build: build, log: log}
	s.cur.Store(&servedSchema{schema: db.store.Schema(), h: h})
	go s.watch(ctx)
	return s, nil
}

func (s *switchingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.cur.Load().h.ServeHTTP(w, r)
}

func (s *switchingHandler) watch(ctx context.Context) {
	t := time.NewTicker(switchPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.check(ctx)
		}
	}
}

// check swaps in the handler of the schema that serves now, if it changed. A failure keeps
// the current handler and is logged; the next check tries again.
func (s *switchingHandler) check(ctx context.Context) {
	st, err := s.db.follow(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("cannot follow the schema switch; still serving the current schema",
				slog.String("schema", s.cur.Load().schema), slog.Any("err", err))
		}
		return
	}
	cur := s.cur.Load()
	if st.Schema() == cur.schema {
		return
	}
	h, err := s.build(st)
	if err != nil {
		s.log.Warn("cannot serve the switched schema; still serving the current one",
			slog.String("schema", cur.schema), slog.String("to", st.Schema()), slog.Any("err", err))
		return
	}
	s.cur.Store(&servedSchema{schema: st.Schema(), h: h})
	s.log.Warn("now serving the switched schema", slog.String("from", cur.schema), slog.String("schema", st.Schema()))
}
