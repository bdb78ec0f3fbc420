package messages

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
// including the record at Pointer, not yet committed. Committing it stores Pointer and
// Number for Source in the same transaction as its deltas and histories.
type Epoch struct {
	Source      string
	Number      int64
	Pointer     Pointer
	Records     int64
	Deltas      *Deltas
	Histories   []HistorySnapshot
	DeadLetters []DeadLetter
}
