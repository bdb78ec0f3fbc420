package ownership

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/manhattan-analytics/manhattan/messages"
)

// DefaultLease is how long a grant lasts unless renewed; a running pipeline renews its
// leases every third of it.
const DefaultLease = 30 * time.Second

// ClaimRequest asks the store for partitions of a source for one owner.
type ClaimRequest struct {
	Source     string
	Owner      string // the claiming process, e.g. "host:pid"
	Partitions []int
	Lease      time.Duration // how long the grant lasts unless renewed
	// Takeover grants partitions that another owner holds with a lease that has not
	// ended yet (the operator's --takeover). Their token changes, so the other owner's
	// commits are refused from then on.
	Takeover bool
	// Some grants the partitions that are free (no owner, an ended lease, or already
	// the claimant's) and skips the others, up to Max of them (0: no bound), instead of
	// all or nothing.
	Some bool
	Max  int
}

// ErrNotOwner is wrapped by the errors for a commit, renewal or claim on a partition that
// another process owns (see NotOwnerError).
var ErrNotOwner = errors.New("partition is owned by another process")

// NotOwnerError says that a partition of a source is owned by someone else than the one
// who acted on it, by whom, and until when.
type NotOwnerError struct {
	Source    string
	Partition int
	Owner     string    // the current owner ("" when nobody owns it now)
	Until     time.Time // the end of the current owner's lease
	Token     int64     // the current fencing token
	Claim     messages.Claim
}

func (e *NotOwnerError) Error() string {
	held := fmt.Sprintf("owned by %s (lease until %s, token %d)", e.Owner, e.Until.UTC().Format(time.RFC3339), e.Token)
	if e.Owner == "" {
		held = fmt.Sprintf("owned by nobody now (token %d)", e.Token)
	}
	if e.Claim.Owner == "" {
		return fmt.Sprintf("source %q partition %d is %s", e.Source, e.Partition, held)
	}
	return fmt.Sprintf("source %q partition %d is %s; the claim of %s with token %d is not current",
		e.Source, e.Partition, held, e.Claim.Owner, e.Claim.Token)
}

// Is makes errors.Is(err, ErrNotOwner) hold.
func (e *NotOwnerError) Is(target error) bool { return target == ErrNotOwner }

// DefaultOwner names this process: "host:pid".
func DefaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// FairShare is the number of partitions, of n, that each of members live processes
// should own at most: n/members rounded up (all of them for one member or none).
func FairShare(n, members int) int {
	if members <= 1 {
		return n
	}
	return (n + members - 1) / members
}

// Plan decides, for process me sharing n partitions with members live processes (me
// included), given the current live claims of everyone (owners) and its own (mine):
// how many more partitions to claim among the free ones (want), and which of its own to
// release (give, its highest partitions beyond the fair share).
func Plan(n, members int, owners, mine []messages.Claim) (want int, give []messages.Claim) {
	fair := FairShare(n, members)
	if len(mine) > fair {
		sorted := slices.Clone(mine)
		slices.SortFunc(sorted, func(a, b messages.Claim) int { return a.Partition - b.Partition })
		return 0, sorted[fair:]
	}
	free := n
	for _, o := range owners {
		if o.Partition >= 0 && o.Partition < n {
			free--
		}
	}
	return min(fair-len(mine), max(free, 0)), nil
}

// Partitions returns the partitions 0..n-1.
func Partitions(n int) []int {
	ps := make([]int, n)
	for i := range ps {
		ps[i] = i
	}
	return ps
}
