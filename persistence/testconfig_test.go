package persistence_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func TestTestConfigRoundTrip(t *testing.T) {
	st := pgtest.NewStore(t)
	ctx := t.Context()
	c, ok, err := st.TestConfig(ctx, "hero")
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, persistence.TestConfig{Test: "hero"}, c)

	want := persistence.TestConfig{
		Test: "hero", Control: "a", Primary: "signup", Secondary: []string{"x", "y"},
		Guardrails: []persistence.Guardrail{{Goal: "refund", LowerIsBetter: true}, {Goal: "page"}},
		Weights:    map[string]float64{"a": 1, "b": 2.5}, Correction: "bh", Sequential: true, Status: "shipped", Notes: "é\nnote",
	}
	got, err := st.UpdateTestConfig(ctx, "hero", func(c *persistence.TestConfig, existed bool) error {
		assert.False(t, existed)
		*c = want
		return nil
	})
	require.NoError(t, err)
	assert.False(t, got.UpdatedAt.IsZero())
	stored, ok, err := st.TestConfig(ctx, "hero")
	require.NoError(t, err)
	require.True(t, ok)
	want.UpdatedAt = stored.UpdatedAt
	assert.Equal(t, want, stored)

	// A failing change stores nothing and returns fn's error as it is.
	boom := errors.New("boom")
	_, err = st.UpdateTestConfig(ctx, "hero", func(c *persistence.TestConfig, existed bool) error {
		assert.True(t, existed)
		c.Status = "stopped"
		return boom
	})
	assert.Same(t, boom, err)
	_, err = st.UpdateTestConfig(ctx, "new test", func(*persistence.TestConfig, bool) error { return boom })
	assert.Same(t, boom, err)
	_, ok, err = st.TestConfig(ctx, "new test")
	require.NoError(t, err)
	assert.False(t, ok, "a failed first change leaves no row")
	stored, _, err = st.TestConfig(ctx, "hero")
	require.NoError(t, err)
	assert.Equal(t, "shipped", stored.Status)

	// The schema refuses values the query layer would refuse.
	_, err = st.UpdateTestConfig(ctx, "hero", func(c *persistence.TestConfig, _ bool) error { c.Correction = "bonferroni"; return nil })
	assert.Error(t, err)
}

func TestConcurrentTestConfigChangesAreAllKept(t *testing.T) {
	st := pgtest.NewStore(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.UpdateTestConfig(t.Context(), "hero", func(c *persistence.TestConfig, _ bool) error {
				c.Secondary = append(c.Secondary, fmt.Sprint("goal ", i))
				if c.Correction == "" {
					c.Correction, c.Status = "none", "running"
				}
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	c, ok, err := st.TestConfig(t.Context(), "hero")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Len(t, c.Secondary, n, "no change is lost: %q", c.Secondary)
}
