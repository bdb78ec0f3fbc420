package query_test

import (
	"context"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/query"
)

// watchedStore is a markedStore that announces its changes as a query.Watcher does, when
// the test says so, and counts the reads of its mark.
type watchedStore struct {
	*markedStore
	mu     sync.Mutex
	fn     func(bool)
	reads  int
	during func() // called inside the next read of the mark
}

func (s *watchedStore) WatchCommits(fn func(bool)) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fn = fn
	fn(false)
	return func() {}
}

func (s *watchedStore) announce(listening bool) {
	s.mu.Lock()
	fn := s.fn
	s.mu.Unlock()
	fn(listening)
}

func (s *watchedStore) CommitMark(ctx context.Context) (string, error) {
	s.mu.Lock()
	s.reads++
	during := s.during
	s.during = nil
	s.mu.Unlock()
	if during != nil {
		during()
	}
	return s.markedStore.CommitMark(ctx)
}

func (s *watchedStore) markReads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// While the store's announcements are heard, cached answers need no read of the mark;
// an announcement makes the next request read it once (and a moved mark recompute);
// without announcements the mark is read for every request.
func TestCacheTrustsTheMarkWhileAnnounced(t *testing.T) {
	store := &watchedStore{markedStore: newMarkedStore(t)}
	svc := query.NewCached(store, query.CacheOptions{})
	req := parse(t, query.KindCount, url.Values{"goal": {"viewed page"}})
	count := func() {
		t.Helper()
		_, err := svc.Count(t.Context(), req)
		require.NoError(t, err)
	}

	count()
	count()
	assert.Equal(t, 2, store.markReads(), "not listening: a read per request")

	store.announce(true)
	for range 10 {
		count()
	}
	assert.Equal(t, 3, store.markReads(), "listening: one read after the announcement")
	assert.EqualValues(t, 1, store.counts.Load(), "the answer kept")

	store.mark.Add(1) // a commit, and its announcement
	store.announce(true)
	for range 10 {
		count()
	}
	assert.Equal(t, 4, store.markReads())
	assert.EqualValues(t, 2, store.counts.Load(), "computed again under the new mark")

	// An announcement while the mark is read: that mark may be older than the change.
	store.mu.Lock()
	store.during = func() { store.announce(true) }
	store.mu.Unlock()
	store.announce(true)
	count()
	count()
	assert.Equal(t, 6, store.markReads(), "the overtaken read is not trusted")
	count()
	assert.Equal(t, 6, store.markReads())

	store.announce(false)
	count()
	count()
	assert.Equal(t, 8, store.markReads(), "the connection lost: a read per request again")
}

// NoWatch keeps reading the mark for every request.
func TestCacheNoWatch(t *testing.T) {
	store := &watchedStore{markedStore: newMarkedStore(t)}
	svc := query.NewCached(store, query.CacheOptions{NoWatch: true})
	require.Nil(t, store.fn)
	req := parse(t, query.KindCount, url.Values{"goal": {"viewed page"}})
	for range 3 {
		_, err := svc.Count(t.Context(), req)
		require.NoError(t, err)
	}
	assert.Equal(t, 3, store.markReads())
}
