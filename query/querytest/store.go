// Package querytest is an in-memory query.Store for unit tests of the query front ends
// (the API, the command line, the dashboard): it answers from counter deltas, such as
// those of internal/reference.Accumulate over a fixture log, with the reference
// semantics of docs/semantics.md, so tests need no database.
//
// Invariants: the counters are read-only after New and test configurations are guarded
// by a mutex (safe for concurrent use); its
// answers are those of package reference for the same deltas; Err, when set, is the
// answer of every method, as a failing database would give.
package querytest

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/internal/reference"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// Store answers queries from deltas in memory.
type Store struct {
	d       *messages.Deltas
	mu      sync.Mutex // guards configs
	configs map[string]persistence.TestConfig
	// DeadLetterList are the dead letters of the source "default", newest first.
	DeadLetterList []messages.DeadLetter
	// Err, when set, is returned by every method.
	Err error
}

// New returns a store answering from d, which it must not be changed afterwards.
func New(d *messages.Deltas) *Store {
	return &Store{d: d, configs: map[string]persistence.TestConfig{}}
}

func refQuery(q persistence.Query) reference.Query {
	return reference.Query{Goal: q.Goal, Test: q.Test, Population: q.Population, Rollup: q.Rollup, Bucket: q.Bucket, Site: q.Site}
}

// Count implements query.Store.
func (s *Store) Count(_ context.Context, q persistence.Query) (int64, error) {
	if s.Err != nil {
		return 0, s.Err
	}
	return reference.Count(s.d, refQuery(q))
}

// GoalValue implements query.Store.
func (s *Store) GoalValue(_ context.Context, q persistence.Query) (decimal.Decimal, error) {
	if s.Err != nil {
		return decimal.Zero, s.Err
	}
	return reference.GoalValue(s.d, refQuery(q))
}

// Tests implements query.Store.
func (s *Store) Tests(context.Context) ([]persistence.TestInfo, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	var out []persistence.TestInfo
	for _, t := range reference.Tests(s.d) {
		out = append(out, persistence.TestInfo(t))
	}
	return out, nil
}

// Goals implements query.Store.
func (s *Store) Goals(context.Context) ([]persistence.GoalInfo, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	out := make([]persistence.GoalInfo, 0, len(s.d.Goals))
	for name, g := range s.d.Goals {
		out = append(out, persistence.GoalInfo{Name: name, ValueType: g.ValueType, ValueFormat: g.ValueFormat})
	}
	complexGoals := map[string]bool{}
	for k := range s.d.Conversions {
		if _, ok := s.d.Goals[k.Goal]; !ok && k.Rollup == persistence.DefaultRollup {
			complexGoals[k.Goal] = true
		}
	}
	for name := range complexGoals {
		out = append(out, persistence.GoalInfo{Name: name, Complex: true})
	}
	slices.SortFunc(out, func(a, b persistence.GoalInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Results implements query.Store.
func (s *Store) Results(_ context.Context, test string, goals []string, site *int64) (map[string][]decimal.Decimal, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	return reference.Results(s.d, test, goals, site)
}

// TestCounts implements query.Store.
func (s *Store) TestCounts(ctx context.Context, q persistence.CountsQuery) (persistence.TestCounts, error) {
	if s.Err != nil {
		return persistence.TestCounts{}, s.Err
	}
	var out persistence.TestCounts
	if m, ok := s.d.Tests[q.Test]; ok {
		out.Known = true
		for p := range m.Populations {
			out.Populations = append(out.Populations, p)
		}
		slices.Sort(out.Populations)
	}
	out.Goals, _ = s.Goals(ctx)
	out.Config, out.Configured, _ = s.TestConfig(ctx, q.Test)
	if q.Rollup == "" {
		q.Rollup = persistence.DefaultRollup
	}
	keep := func(rollup, bucket string, site int64) bool {
		if rollup != q.Rollup || (q.Bucket != "" && bucket != q.Bucket) || (q.Site != nil && *q.Site != site) {
			return false
		}
		if q.From == nil && q.To == nil {
			return true
		}
		b, err := strconv.ParseInt(bucket, 10, 64)
		return err == nil && (q.From == nil || b >= *q.From) && (q.To == nil || b <= *q.To)
	}
	// siteOf is the site a counter is counted under: its own with BySite, else 0.
	siteOf := func(site int64) int64 {
		if q.BySite {
			return site
		}
		return 0
	}
	imps := map[persistence.ImpressionCount]int64{}
	for k, n := range s.d.Impressions {
		if k.Test == q.Test && keep(k.Rollup, k.Bucket, k.Site) {
			imps[persistence.ImpressionCount{Population: k.Population, Bucket: k.Bucket, Site: siteOf(k.Site)}] += n
		}
	}
	for k, n := range imps {
		k.Count = n
		out.Impressions = append(out.Impressions, k)
	}
	type convKey struct {
		goal, population, bucket string
		site                     int64
	}
	convs := map[convKey]persistence.VariantCount{}
	for k, c := range s.d.VariantConversions {
		wanted := q.Goals == nil || k.Goal == messages.ViewedPage || slices.Contains(q.Goals, k.Goal)
		if k.Test != q.Test || !wanted || !keep(k.Rollup, k.Bucket, k.Site) {
			continue
		}
		key := convKey{k.Goal, k.Population, k.Bucket, siteOf(k.Site)}
		v, ok := convs[key]
		if !ok {
			v = persistence.VariantCount{Goal: k.Goal, Population: k.Population, Bucket: k.Bucket, Site: key.site}
		}
		v.Count += c.Count
		v.Sum = v.Sum.Add(c.Value)
		v.Squares = v.Squares.Add(c.Squares.Decimal)
		v.SquaresKnown = v.SquaresKnown || c.Squares.Valid
		convs[key] = v
	}
	for _, v := range convs {
		out.Conversions = append(out.Conversions, v)
	}
	return out, nil
}

// Series implements query.Store.
func (s *Store) Series(_ context.Context, q persistence.Query) ([]persistence.Point, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	if q.Rollup == "" {
		q.Rollup = persistence.DefaultRollup
	}
	buckets := map[string]bool{}
	s.eachBucket(q, func(b string) { buckets[b] = true })
	points := make([]persistence.Point, 0, len(buckets))
	for b := range buckets {
		bq := refQuery(q)
		bq.Bucket = b
		n, err := reference.Count(s.d, bq)
		if err != nil {
			return nil, err
		}
		p := persistence.Point{Bucket: b, Count: n, Value: decimal.Zero}
		if q.Goal != "" {
			p.Value = s.valueSum(bq)
		}
		points = append(points, p)
	}
	slices.SortFunc(points, func(a, b persistence.Point) int { return persistence.CompareBuckets(a.Bucket, b.Bucket) })
	return points, nil
}

// eachBucket calls fn with the bucket of every counter of q's rollup that q selects.
func (s *Store) eachBucket(q persistence.Query, fn func(string)) {
	site := func(x int64) bool { return q.Site == nil || *q.Site == x }
	switch {
	case q.Goal != "" && q.Test != "":
		for k := range s.d.VariantConversions {
			if k.Goal == q.Goal && k.Test == q.Test && k.Population == q.Population && k.Rollup == q.Rollup && site(k.Site) {
				fn(k.Bucket)
			}
		}
	case q.Goal != "":
		for k := range s.d.Conversions {
			if k.Goal == q.Goal && k.Rollup == q.Rollup && site(k.Site) {
				fn(k.Bucket)
			}
		}
	default:
		for k := range s.d.Impressions {
			if k.Test == q.Test && k.Population == q.Population && k.Rollup == q.Rollup && site(k.Site) {
				fn(k.Bucket)
			}
		}
	}
}

// valueSum is the summed value of q's goal counters in q's bucket.
func (s *Store) valueSum(q reference.Query) decimal.Decimal {
	sum := decimal.Zero
	site := func(x int64) bool { return q.Site == nil || *q.Site == x }
	if q.Test != "" {
		for k, c := range s.d.VariantConversions {
			if k.Goal == q.Goal && k.Test == q.Test && k.Population == q.Population && k.Rollup == q.Rollup && k.Bucket == q.Bucket && site(k.Site) {
				sum = sum.Add(c.Value)
			}
		}
		return sum
	}
	for k, c := range s.d.Conversions {
		if k.Goal == q.Goal && k.Rollup == q.Rollup && k.Bucket == q.Bucket && site(k.Site) {
			sum = sum.Add(c.Value)
		}
	}
	return sum
}

// Catalog implements query.Store.
func (s *Store) Catalog(ctx context.Context, q persistence.Query) (persistence.Catalog, error) {
	if s.Err != nil {
		return persistence.Catalog{}, s.Err
	}
	if q.Rollup == "" {
		q.Rollup = persistence.DefaultRollup
	}
	if q.Bucket == "" {
		q.Bucket = persistence.DefaultBucket
	}
	var c persistence.Catalog
	c.Goals, _ = s.Goals(ctx)
	if m, ok := s.d.Tests[q.Test]; ok {
		c.TestKnown = true
		for p := range m.Populations {
			c.Populations = append(c.Populations, p)
		}
		slices.Sort(c.Populations)
	}
	rollups, buckets := map[string]bool{}, map[string]bool{}
	see := func(rollup, bucket string) {
		rollups[rollup] = true
		if rollup == q.Rollup {
			buckets[bucket] = true
		}
	}
	for k := range s.d.Conversions {
		see(k.Rollup, k.Bucket)
	}
	for k := range s.d.Impressions {
		see(k.Rollup, k.Bucket)
	}
	for r := range rollups {
		c.Rollups = append(c.Rollups, r)
	}
	slices.Sort(c.Rollups)
	c.BucketKnown = buckets[q.Bucket]
	for b := range buckets {
		c.Buckets = append(c.Buckets, b)
	}
	slices.SortFunc(c.Buckets, persistence.CompareBuckets)
	c.Buckets = c.Buckets[:min(len(c.Buckets), persistence.CatalogBuckets)]
	return c, nil
}

// DeadLetters implements query.Store.
func (s *Store) DeadLetters(_ context.Context, source string, limit int) ([]messages.DeadLetter, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	var out []messages.DeadLetter
	for _, d := range s.DeadLetterList {
		if len(out) < limit && (source == "" || source == "default") {
			out = append(out, d)
		}
	}
	return out, nil
}

// Status implements query.Store: an in-memory store has no schema and no pointers.
func (s *Store) Status(context.Context) (persistence.Status, error) {
	if s.Err != nil {
		return persistence.Status{}, s.Err
	}
	return persistence.Status{Schema: "memory", Rows: map[string]int64{
		"tests": int64(len(s.d.Tests)), "goals": int64(len(s.d.Goals)),
		"conversions": int64(len(s.d.Conversions)), "impressions": int64(len(s.d.Impressions)),
		"variant_conversions": int64(len(s.d.VariantConversions)), "dead_letters": int64(len(s.DeadLetterList)),
	}, DeadLetters: int64(len(s.DeadLetterList))}, nil
}

// TestConfig implements query.Store.
func (s *Store) TestConfig(_ context.Context, test string) (persistence.TestConfig, bool, error) {
	if s.Err != nil {
		return persistence.TestConfig{}, false, s.Err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.configs[test]
	if !ok {
		c = persistence.TestConfig{Test: test}
	}
	return c, ok, nil
}

// UpdateTestConfig implements query.Store.
func (s *Store) UpdateTestConfig(_ context.Context, test string, fn func(*persistence.TestConfig, bool) error) (persistence.TestConfig, error) {
	if s.Err != nil {
		return persistence.TestConfig{}, s.Err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.configs[test]
	if !ok {
		c = persistence.TestConfig{Test: test}
	}
	if err := fn(&c, ok); err != nil {
		return persistence.TestConfig{}, err
	}
	c.Test, c.UpdatedAt = test, time.Now()
	s.configs[test] = c
	return c, nil
}

// Ping implements query.Store.
func (s *Store) Ping(context.Context) error { return s.Err }
