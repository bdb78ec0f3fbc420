// Package ownership holds the rules by which ingest processes own the partitions of a
// log source (docs/ownership.md, docs/scale-out.md), apart from the store that enforces them and the pipeline
// that follows them.
//
// Every partition of a source has one pointer row, which names its owner, the fencing
// token of the owner's grant and the end of its lease. The store grants a partition to a
// process when nobody owns it, when the owner's lease has ended, or on an explicit
// takeover; each grant to another owner gets a new, larger token. A commit carries the
// tokens of the partitions it advances and is refused, under the rows' locks, unless
// they are current. So two processes can never both advance one pointer, and a process
// that was paused past its lease cannot commit when it wakes up. An owner of this host
// that no longer runs (GoneFromThisHost) may be taken over at once by a restart on the
// same host; owners on other hosts, and processes that run, never are.
//
// With automatic sharing, every live process renews a membership lease and its
// partition leases; each aims at FairShare of the partitions, claims free ones when it
// has fewer and releases its highest ones when it has more (Plan). A dead process's
// leases end and the others take its partitions over within a lease period.
package ownership
