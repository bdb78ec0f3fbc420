package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func schemaExists(t *testing.T, st *persistence.Store, schema string) bool {
	t.Helper()
	var ok bool
	require.NoError(t, st.Pool().QueryRow(context.Background(),
		"SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&ok))
	return ok
}

func TestNewStoreIsPrivateMigratedAndDropped(t *testing.T) {
	ctx := context.Background()
	outer := pgtest.NewStore(t)
	var inner string
	t.Run("inner", func(t *testing.T) {
		st := pgtest.NewStore(t)
		inner = st.Schema()
		assert.NotEqual(t, outer.Schema(), inner)
		status, err := st.Status(ctx)
		require.NoError(t, err)
		assert.Equal(t, persistence.LatestVersion(), status.Version)
	})
	assert.True(t, schemaExists(t, outer, outer.Schema()))
	assert.False(t, schemaExists(t, outer, inner), "the inner test's schema is dropped when it ends")
}

func TestURLPrefersTheEnvironment(t *testing.T) {
	real := pgtest.URL(t)
	t.Setenv(pgtest.EnvURL, real+"&application_name=from_env")
	assert.Equal(t, real+"&application_name=from_env", pgtest.URL(t))
}
