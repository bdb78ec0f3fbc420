package persistence_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
)

// The complex goals an ingest stores are read back as stored, each store returning the
// ones before it; nothing stored is told apart from none stored.
func TestComplexGoalsAreStoredWithTheSchema(t *testing.T) {
	store := pgtest.NewStore(t)
	ctx := t.Context()
	flags, stored, err := store.ComplexGoals(ctx)
	require.NoError(t, err)
	assert.False(t, stored)
	assert.Empty(t, flags)

	first := []string{"abandoned cart|add to cart|began checkout", "odd\nname|a|"}
	before, stored, err := store.SetComplexGoals(ctx, first)
	require.NoError(t, err)
	assert.False(t, stored)
	assert.Empty(t, before)
	flags, stored, err = store.ComplexGoals(ctx)
	require.NoError(t, err)
	assert.True(t, stored)
	assert.Equal(t, first, flags)

	before, stored, err = store.SetComplexGoals(ctx, nil)
	require.NoError(t, err)
	assert.True(t, stored)
	assert.Equal(t, first, before)
	flags, stored, err = store.ComplexGoals(ctx)
	require.NoError(t, err)
	assert.True(t, stored, "none is stored as none")
	assert.Empty(t, flags)
}
