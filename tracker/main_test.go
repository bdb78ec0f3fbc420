package tracker_test

import (
	"os"
	"testing"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
)

// TestMain provides the PostgreSQL server of the end-to-end test (started on first use).
func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
