package dashboard_test

import (
	"os"
	"testing"

	"github.com/manhattan-analytics/manhattan/persistence/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
