package actors_test

import (
	"testing"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/internal/storetest"
)

// The in-memory store the pipeline's tests use keeps the Store contract.
func TestMemStoreKeepsTheStoreContract(t *testing.T) {
	storetest.Contract(t, func(*testing.T) actors.Store { return actors.NewMemStore() })
}
