package persistence_test

import (
	"testing"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
	"github.com/manhattan-analytics/manhattan/internal/storetest"
)

func TestStoreKeepsTheStoreContract(t *testing.T) {
	storetest.Contract(t, func(t *testing.T) actors.Store { return pgtest.NewStore(t) })
}
