package ownership_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/ownership"
)

func claims(owner string, parts ...int) []messages.Claim {
	var cs []messages.Claim
	for _, p := range parts {
		cs = append(cs, messages.Claim{Partition: p, Owner: owner})
	}
	return cs
}

func TestFairShare(t *testing.T) {
	assert.Equal(t, 64, ownership.FairShare(64, 1))
	assert.Equal(t, 32, ownership.FairShare(64, 2))
	assert.Equal(t, 22, ownership.FairShare(64, 3))
	assert.Equal(t, 1, ownership.FairShare(1, 5))
	assert.Equal(t, 5, ownership.FairShare(5, 0))
}

func TestPlanSplitsThePartitions(t *testing.T) {
	// Alone: claim everything.
	want, give := ownership.Plan(8, 1, nil, nil)
	assert.Equal(t, 8, want)
	assert.Empty(t, give)

	// A second process joins: the first gives its highest half back; the newcomer waits
	// for free partitions.
	a := claims("a", 0, 1, 2, 3, 4, 5, 6, 7)
	want, give = ownership.Plan(8, 2, a, a)
	assert.Zero(t, want)
	assert.Equal(t, claims("a", 4, 5, 6, 7), give)
	want, give = ownership.Plan(8, 2, a, nil)
	assert.Zero(t, want, "nothing is free yet")
	assert.Empty(t, give)
	want, _ = ownership.Plan(8, 2, a[:4], nil)
	assert.Equal(t, 4, want)

	// A dead process's partitions are free once its leases ended: the survivor takes
	// them, up to the fair share of the members still alive.
	want, _ = ownership.Plan(8, 1, claims("b", 0, 1, 2, 3), claims("b", 0, 1, 2, 3))
	assert.Equal(t, 4, want)
}
