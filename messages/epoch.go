package messages

import (
	"errors"
	"time"
)

// ErrStaleEpoch is returned (wrapped) by a store asked to commit an epoch whose number is
// not above the committed epoch of a partition it advances: it, or a later one, is
// already committed. Nothing is written.
var ErrStaleEpoch = errors.New("epoch already committed")

// HistorySnapshot is the encoded state of one visitor history as of the end of an epoch.
// New marks a visitor whose history the store cannot hold yet (it was not found there and
// no earlier epoch wrote it): the store may insert it without looking for an existing row,
// and refuses the commit if there is one after all.
type HistorySnapshot struct {
	VID  string
	Data []byte
	New  bool
}

// DeadLetter is a log line that could not be processed: the raw line, the pointer just
// past it, and why.
type DeadLetter struct {
	Raw    string
	Ptr    Pointer
	Reason string
}

// Epoch is a sealed unit of commit: everything the pipeline derived from the log up to and
// including the lines at the pointers of Advances, not yet committed. Committing it stores
// those pointers and Number for Source in the same transaction as its deltas and
// histories.
type Epoch struct {
	Source string
	Number int64
	// Advances holds, for each partition the epoch covers, the pointer just past the last
	// line of that partition in the epoch: one per partition, in partition order.
	Advances []Advance
	// Claims are the committing process's claims on the partitions of Pointers. The store
	// refuses the commit unless every claim is current (docs/ownership.md, fencing).
	Claims      []Claim
	Records     int64
	Deltas      *Deltas
	Histories   []HistorySnapshot
	DeadLetters []DeadLetter
}

// Advance is how far an epoch (or a batch) moves one partition: Pointer is just past the
// partition's last line in it, Records the number of its records (dead letters of the
// reader not included).
type Advance struct {
	Pointer Pointer
	Records int64
}

// Pointers returns the pointers of advances.
func Pointers(advances []Advance) []Pointer {
	ps := make([]Pointer, len(advances))
	for i, a := range advances {
		ps[i] = a.Pointer
	}
	return ps
}

// Claim is a process's ownership of one partition of a source, as the store granted it:
// the owner's name, the fencing token of the grant and the end of the lease. A token is
// current while the store has not granted the partition to another owner since; a commit
// carries the token and is refused once it is not current.
type Claim struct {
	Partition int
	Owner     string
	Token     int64
	Until     time.Time
}

// ClaimOf returns the claim on partition p among claims.
func ClaimOf(claims []Claim, p int) (Claim, bool) {
	for _, c := range claims {
		if c.Partition == p {
			return c, true
		}
	}
	return Claim{}, false
}
