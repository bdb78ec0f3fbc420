package query_test

import (
	"os"
	"testing"

	"github.com/manhattan-analytics/manhattan/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
