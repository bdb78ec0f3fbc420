package query

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// The answer cache (NewCached). Answers change only when an epoch commits (or a test's
// configuration changes), so a cached Service keeps its answers per commit mark
// (Marker) and drops them all when the mark changes. Invariants:
//   - An answer is computed after the mark it is kept under was read, so it is at least
//     as new as that mark; it is served only while the mark is the current one.
//   - With a store that announces its changes (a Watcher, listening), the mark is read
//     once after each announcement and trusted until the next one (or for ListenTrust
//     at most, in case announcements are lost on the way, as through a connection
//     pooler in transaction mode), so a cached request does no database work and an
//     answer is never older than the last commit by more than the announcement's
//     delivery plus one read of the mark. An announcement that comes while the mark is
//     being read leaves the mark untrusted (it may be older than the change).
//   - Otherwise (no Watcher, or it lost its connection), the mark is read again once it
//     is older than CacheOptions.MaxAge (0: for every request; concurrent requests share
//     one read), so an answer is never older than the last commit by more than MaxAge
//     plus one read of the mark.
//   - At most CacheOptions.Entries answers are kept, the least recently used go first.
//   - Concurrent identical requests under one mark are computed once (singleflight);
//     errors of the request (ErrInvalid, ErrNotFound) are kept like answers, other
//     errors (the store's, a cancelled request) are not kept.
//   - A store that cannot tell its mark (not a Marker, or the read failed) is read
//     without the cache.
//   - Cached answers are shared between callers: they must not be modified.

// Marker is a Store that tells cheaply when its committed state changed.
// *persistence.Store implements it.
type Marker interface {
	// CommitMark returns a token that changes whenever a committed epoch or a test's
	// configuration changes what a query answers.
	CommitMark(ctx context.Context) (string, error)
}

// Watcher is a Marker that announces when its mark may have changed, so that a cache
// need not read the mark for every request. *persistence.Store implements it (PostgreSQL
// LISTEN/NOTIFY).
type Watcher interface {
	Marker
	// WatchCommits calls fn(true) when it starts listening and after every change it
	// announces (so every change after a call of fn(true) brings another), and fn(false)
	// when changes may go unannounced. fn must not block. stop ends the watch.
	WatchCommits(fn func(listening bool)) (stop func())
}

// ListenTrust bounds how long a cache trusts a mark while its store announces changes:
// the staleness of answers should announcements be lost without the store noticing.
const ListenTrust = 5 * time.Second

// DefaultCacheEntries is the default bound on the answers a cached Service keeps.
const DefaultCacheEntries = 1024

// CacheOptions configure the answer cache of NewCached. Zero fields take defaults.
type CacheOptions struct {
	// Entries bounds the answers kept; DefaultCacheEntries when zero.
	Entries int
	// MaxAge is how long a commit mark read from the store is trusted before it is read
	// again, while the store does not announce its changes: the bound on how much older
	// than the last commit an answer may be (plus one read of the mark). Zero reads the
	// mark for every request.
	MaxAge time.Duration
	// NoWatch reads the mark as MaxAge says even from a store that announces its
	// changes (a Watcher).
	NoWatch bool
}

// answerCache keeps answers under the store's commit mark.
type answerCache struct {
	marker  Marker
	maxAge  time.Duration
	answers *lru.Cache[string, cachedAnswer]
	marks   singleflight.Group // reads of the mark
	calls   singleflight.Group // computations, by mark and request

	mu     sync.Mutex
	mark   string
	markAt time.Time // when the read of mark started
	known  bool      // mark was read and not invalidated since
	// listening is true while the store's announcements are heard: a known mark is
	// trusted until the next one. gen counts announcements (and invalidations), so
	// that a read of the mark that one overtook does not make the mark known.
	listening bool
	gen       uint64
}

// cachedAnswer is an answer (or an error of the request) and the mark it was computed
// under.
type cachedAnswer struct {
	mark  string
	value any
	err   error
}

func newAnswerCache(m Marker, opts CacheOptions) *answerCache {
	if opts.Entries <= 0 {
		opts.Entries = DefaultCacheEntries
	}
	answers, err := lru.New[string, cachedAnswer](opts.Entries)
	if err != nil {
		panic(err) // only for a size ≤ 0, excluded above
	}
	c := &answerCache{marker: m, maxAge: opts.MaxAge, answers: answers}
	if w, ok := m.(Watcher); ok && !opts.NoWatch {
		w.WatchCommits(c.announced)
	}
	return c
}

// announced takes a Watcher's announcement: the mark may have changed, and whether
// changes are announced from now on.
func (c *answerCache) announced(listening bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.known, c.listening = false, listening
	c.gen++
}

// currentMark returns the store's commit mark: the one known while the store's
// announcements are heard, else the one read within maxAge; otherwise it is read again,
// and a new mark drops every answer.
func (c *answerCache) currentMark(ctx context.Context) (string, error) {
	c.mu.Lock()
	if age := time.Since(c.markAt); c.known && (c.listening && age < ListenTrust || c.maxAge > 0 && age < c.maxAge) {
		mark := c.mark
		c.mu.Unlock()
		return mark, nil
	}
	c.mu.Unlock()
	ch := c.marks.DoChan("", func() (any, error) {
		start := time.Now()
		c.mu.Lock()
		gen := c.gen
		c.mu.Unlock()
		dctx, cancel := detach(ctx)
		defer cancel()
		mark, err := c.marker.CommitMark(dctx)
		if err != nil {
			return "", err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if mark != c.mark {
			c.answers.Purge()
		}
		c.mark, c.markAt, c.known = mark, start, c.gen == gen
		return mark, nil
	})
	select {
	case r := <-ch:
		mark, _ := r.Val.(string)
		return mark, r.Err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// invalidate makes the next request read the mark again (after a change made through
// this Service).
func (c *answerCache) invalidate() {
	c.mu.Lock()
	c.known = false
	c.gen++
	c.mu.Unlock()
	c.answers.Purge()
}

// get returns the answer kept for key under the current mark, or computes it once for
// every concurrent caller and keeps it.
func (c *answerCache) get(ctx context.Context, key string, compute func(context.Context) (any, error)) (any, error) {
	mark, err := c.currentMark(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return compute(ctx)
	}
	if a, ok := c.answers.Get(key); ok && a.mark == mark {
		return a.value, a.err
	}
	ch := c.calls.DoChan(mark+"\x00"+key, func() (any, error) {
		dctx, cancel := detach(ctx)
		defer cancel()
		v, err := compute(dctx)
		if err == nil || errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) {
			c.answers.Add(key, cachedAnswer{mark: mark, value: v, err: err})
		}
		return v, err
	})
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// detach returns ctx without its cancellation but with its deadline: work shared by
// several callers goes on when the first one goes away, within the same bound.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	d := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(d, deadline)
	}
	return d, func() {}
}

// cached answers name(args) through s's cache, or directly without one.
func cached[T any](ctx context.Context, s *Service, name string, args any, fn func(context.Context) (T, error)) (T, error) {
	if s.cache == nil {
		return fn(ctx)
	}
	key, err := json.Marshal(args)
	if err != nil {
		return fn(ctx)
	}
	v, err := s.cache.get(ctx, name+" "+string(key), func(ctx context.Context) (any, error) { return fn(ctx) })
	t, _ := v.(T)
	return t, err
}

// Memo returns fn's result for name and args (a value encoded as JSON for the key) kept
// like the answers: per commit mark, computed once for concurrent callers, with
// ErrInvalid and ErrNotFound kept too. A front end keeps its encoding of an answer with
// it. Without a cache it calls fn. fn must read only committed state.
func (s *Service) Memo(ctx context.Context, name string, args any, fn func(context.Context) (any, error)) (any, error) {
	return cached(ctx, s, "memo "+name, args, fn)
}
