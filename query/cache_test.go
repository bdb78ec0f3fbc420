package query_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/query/querytest"
)

// markedStore is the in-memory store of the 20k log with a commit mark that the test
// moves, counting the reads that answers need.
type markedStore struct {
	*querytest.Store
	mark               atomic.Int64
	counts, testCounts atomic.Int64
}

func (s *markedStore) CommitMark(context.Context) (string, error) {
	return strconv.FormatInt(s.mark.Load(), 10), nil
}

func (s *markedStore) Count(ctx context.Context, q persistence.Query) (int64, error) {
	s.counts.Add(1)
	return s.Store.Count(ctx, q)
}

func (s *markedStore) TestCounts(ctx context.Context, q persistence.CountsQuery) (persistence.TestCounts, error) {
	s.testCounts.Add(1)
	return s.Store.TestCounts(ctx, q)
}

func newMarkedStore(t *testing.T) *markedStore {
	recs, err := reference.ReadLog(t.Context(), fixtures.CopyLog(t, fixtures.Generated20k), messages.Pointer{})
	require.NoError(t, err)
	return &markedStore{Store: querytest.New(reference.Accumulate(fixtures.Rules(t, fixtures.Generated20k), recs))}
}

func parse(t *testing.T, kind string, v url.Values) query.Request {
	r, err := query.Parser{}.Parse(kind, v)
	require.NoError(t, err)
	return r
}

// TestCacheComputesConcurrentRequestsOnce sends the same analysis from 8 clients at once
// (run it under -race): it is computed once per commit mark, and every client gets the
// answer of an uncached service.
func TestCacheComputesConcurrentRequestsOnce(t *testing.T) {
	store := newMarkedStore(t)
	svc := query.NewCached(store, query.CacheOptions{})
	req := parse(t, query.KindAnalysis, url.Values{"test": {"homepage hero"}})
	want, err := query.New(store).Analysis(t.Context(), req)
	require.NoError(t, err)
	store.testCounts.Store(0)

	for round := range 2 {
		var wg sync.WaitGroup
		answers := make([]query.AnalysisAnswer, 8)
		for c := range answers {
			wg.Go(func() {
				for range 10 {
					a, err := svc.Analysis(t.Context(), req)
					assert.NoError(t, err)
					answers[c] = a
				}
			})
		}
		wg.Wait()
		for _, a := range answers {
			assert.Equal(t, want, a)
		}
		assert.EqualValues(t, round+1, store.testCounts.Load(), "one computation per commit mark")
		store.mark.Add(1) // a commit
	}
}

// TestCacheIsBounded checks that the cache keeps at most Entries answers, dropping the
// least recently used.
func TestCacheIsBounded(t *testing.T) {
	store := newMarkedStore(t)
	svc := query.NewCached(store, query.CacheOptions{Entries: 2})
	count := func(goal string) {
		_, err := svc.Count(t.Context(), parse(t, query.KindCount, url.Values{"goal": {goal}}))
		require.NoError(t, err)
	}
	count("viewed page")
	count("add to cart")
	count("viewed page") // kept
	assert.EqualValues(t, 2, store.counts.Load())
	count("completed checkout") // drops "add to cart", the least recently used
	count("viewed page")
	assert.EqualValues(t, 3, store.counts.Load())
	count("add to cart")
	assert.EqualValues(t, 4, store.counts.Load(), "an answer dropped for the bound is computed again")
}

// TestCacheFollowsConfigChanges checks that a configuration changed through the service
// is in the next answer even when the store's mark did not move.
func TestCacheFollowsConfigChanges(t *testing.T) {
	store := newMarkedStore(t)
	svc := query.NewCached(store, query.CacheOptions{})
	req := parse(t, query.KindAnalysis, url.Values{"test": {"homepage hero"}})
	before, err := svc.Analysis(t.Context(), req)
	require.NoError(t, err)
	control := "video"
	_, err = svc.SetTestConfig(t.Context(), "homepage hero", query.ConfigChange{Control: &control}, false)
	require.NoError(t, err)
	after, err := svc.Analysis(t.Context(), req)
	require.NoError(t, err)
	assert.NotEqual(t, control, before.Config.Control)
	assert.Equal(t, control, after.Config.Control)
}

// halves returns a log base with no files yet and a function that links the first or the
// second half of the 20k log's hourly files under it.
func halves(t *testing.T) (base string, link func(second bool)) {
	full := fixtures.CopyLog(t, fixtures.Generated20k)
	files, err := filepath.Glob(full + ".*")
	require.NoError(t, err)
	slices.Sort(files)
	base = filepath.Join(t.TempDir(), "manhattan.log")
	return base, func(second bool) {
		half := files[:len(files)/2]
		if second {
			half = files[len(files)/2:]
		}
		for _, f := range half {
			require.NoError(t, os.Link(f, base+filepath.Ext(f)))
		}
	}
}

// cacheRequests are a results and a count request, and answers answers them.
func cacheRequests(t *testing.T) func(svc *query.Service) []any {
	requests := []query.Request{
		parse(t, query.KindResults, url.Values{"test": {"homepage hero"}}),
		parse(t, query.KindCount, url.Values{"goal": {"viewed page"}}),
	}
	return func(svc *query.Service) []any {
		var out []any
		for _, r := range requests {
			var a any
			var err error
			if r.Kind == query.KindCount {
				a, err = svc.Count(t.Context(), r)
			} else {
				a, err = svc.Results(t.Context(), r)
			}
			require.NoError(t, err)
			out = append(out, a)
		}
		return out
	}
}

// TestCacheFollowsCommits ingests the first hours of the 20k log into PostgreSQL, reads
// answers through a cached service, then lets the pipeline commit the rest of the log
// through the same store: the cached answers are those of an uncached service before and
// after (the store announces its own commits before they return).
func TestCacheFollowsCommits(t *testing.T) {
	pg := pgtest.NewStore(t)
	base, link := halves(t)
	ingest := func() {
		fixtures.Ingest(t, pg, fixtures.Generated20k, func(c *actors.Config) { c.LogBase = base })
	}
	cached, plain := query.NewCached(pg, query.CacheOptions{}), query.New(pg)
	answers := cacheRequests(t)

	link(false)
	ingest()
	first := answers(cached)
	assert.Equal(t, answers(plain), first)
	assert.Equal(t, first, answers(cached), "answered again from the cache")

	link(true)
	ingest()
	second := answers(cached)
	assert.Equal(t, answers(plain), second)
	assert.NotEqual(t, first, second, "the commit changed the answers")
}

// listenedStore is the PostgreSQL store counting the reads of its commit mark and
// passing on its announcements (persistence.Store.WatchCommits).
type listenedStore struct {
	*persistence.Store
	marks     atomic.Int64
	listening chan bool
}

func (s *listenedStore) CommitMark(ctx context.Context) (string, error) {
	s.marks.Add(1)
	return s.Store.CommitMark(ctx)
}

func (s *listenedStore) WatchCommits(fn func(bool)) func() {
	return s.Store.WatchCommits(func(l bool) {
		fn(l)
		select {
		case s.listening <- l:
		default:
		}
	})
}

// TestCacheHearsCommitsOfOtherProcesses: while the store listens for commit
// notifications, cached answers are served without reading the commit mark; a commit
// made through another connection (another process's pipeline) is announced, and the
// cached answers follow it.
func TestCacheHearsCommitsOfOtherProcesses(t *testing.T) {
	pg := pgtest.NewStore(t)
	other, err := persistence.Open(t.Context(), pgtest.URL(t), pg.Schema())
	require.NoError(t, err)
	defer other.Close()
	base, link := halves(t)
	ingest := func() {
		fixtures.Ingest(t, other, fixtures.Generated20k, func(c *actors.Config) { c.LogBase = base })
	}
	link(false)
	ingest()

	store := &listenedStore{Store: pg, listening: make(chan bool, 100)}
	cached, plain := query.NewCached(store, query.CacheOptions{}), query.New(pg)
	require.Eventually(t, func() bool {
		select {
		case l := <-store.listening:
			return l
		default:
			return false
		}
	}, time.Minute, time.Millisecond, "the store listens")
	answers := cacheRequests(t)
	first := answers(cached)
	assert.Equal(t, answers(plain), first)
	reads := store.marks.Load()
	for range 20 {
		assert.Equal(t, first, answers(cached))
	}
	assert.Equal(t, reads, store.marks.Load(), "no read of the mark while nothing was announced")

	link(true)
	ingest()
	want := answers(plain)
	require.NotEqual(t, first, want, "the commit changed the answers")
	require.Eventually(t, func() bool { return assert.ObjectsAreEqual(want, answers(cached)) }, time.Minute, time.Millisecond,
		"the cached answers follow the other process's commit")
}
