package persistence

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// CommitChannel is the PostgreSQL notification channel that announces, with the schema's
// name as payload, every change of what the schema's queries answer: triggers on the
// pointer rows (an epoch's commit, a reset) and on the test configurations send it at the
// commit of the transaction that made the change (migration 0009_commit_notify), and Reset
// sends it too.
const CommitChannel = "manhattan_commit"

// Bounds of the listening connection: how long it waits without a notification before it
// checks that the connection still answers, and how long it waits before connecting again
// after losing it (doubling from the first to the last).
const (
	listenPing     = 10 * time.Second
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// commitWatch is the store's listener of CommitChannel: one connection of its own (not
// one of the pool's), started by the first WatchCommits and stopped by Close.
type commitWatch struct {
	mu        sync.Mutex
	watchers  map[int]func(listening bool)
	next      int
	listening bool
	started   bool
	closed    bool
	cancel    context.CancelFunc
	done      chan struct{}
}

// WatchCommits calls fn whenever what the store's queries answer may have changed, so
// that a cache can keep its answers without asking the database for every request:
//   - fn(true) once the store listens on CommitChannel (and at once, if it already does),
//     and again after every notification of the store's schema: every change committed
//     after that call is announced by another call;
//   - fn(false) when the listening connection is lost: changes may go unannounced until
//     the next fn(true), which follows a new connection's LISTEN.
//
// Calls are made one at a time, from the listener's goroutine (the first one possibly
// from WatchCommits itself); fn must not block. stop ends the watch; Close ends them all.
func (s *Store) WatchCommits(fn func(listening bool)) (stop func()) {
	w := s.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		fn(false)
		return func() {}
	}
	id := w.next
	w.next++
	w.watchers[id] = fn
	if !w.started {
		w.started = true
		ctx, cancel := context.WithCancel(context.Background())
		w.cancel, w.done = cancel, make(chan struct{})
		go s.listen(ctx)
	}
	fn(w.listening)
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.watchers, id)
	}
}

func newCommitWatch() *commitWatch {
	return &commitWatch{watchers: map[int]func(bool){}}
}

// changed tells the watchers of a change made through this store, at once: its own
// writes need not wait for their notification.
func (w *commitWatch) changed() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, fn := range w.watchers {
		fn(w.listening)
	}
}

// tell sets whether the store listens and calls every watcher.
func (w *commitWatch) tell(listening bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.listening = listening
	for _, fn := range w.watchers {
		fn(listening)
	}
}

// close stops the listener and waits for it.
func (w *commitWatch) close() {
	w.mu.Lock()
	w.closed = true
	cancel, done := w.cancel, w.done
	w.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// listen keeps a connection listening on CommitChannel until ctx ends, connecting again
// after a failure.
func (s *Store) listen(ctx context.Context) {
	defer close(s.watch.done)
	retry := listenRetryMin
	for ctx.Err() == nil {
		heard := s.listenOnce(ctx)
		s.watch.tell(false)
		if heard {
			retry = listenRetryMin
		}
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
		retry = min(2*retry, listenRetryMax)
	}
}

// listenOnce connects, listens and tells the watchers of every notification of the
// store's schema until the connection fails or ctx ends. It reports whether it got as far
// as listening.
func (s *Store) listenOnce(ctx context.Context) bool {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return false
	}
	defer conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck // the connection is given up
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{CommitChannel}.Sanitize()); err != nil {
		return false
	}
	s.watch.tell(true)
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPing)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if n.Payload == s.schema {
				s.watch.tell(true)
			}
		case ctx.Err() != nil:
			return true
		case wctx.Err() != nil:
			// Quiet for a while: check that the connection still answers.
			if err := conn.Ping(ctx); err != nil {
				return true
			}
		default:
			return true
		}
	}
}
