package messages

// The messages the pipeline's actors exchange (docs/architecture.md). Each carries Gen, the
// incarnation of the pipeline that produced it: after a rewind a new generation starts and
// messages of an older one are ignored wherever they still arrive.

// RecordBatch carries records read by the source to the router, already split by
// visitor: Parts holds one ShardBatch per shard, in shard order, each with the records of
// the visitors that shard owns in log order (so every visitor's records stay in log
// order). Seq numbers batches of one generation from 1. Records counts the records of all
// parts. Ends holds, for each partition the batch covers, the pointer just past the last
// line of that partition in the batch (records and dead letters alike) and its number of
// records, one per partition.
type RecordBatch struct {
	Gen         int64
	Seq         int64
	Parts       []*ShardBatch
	Records     int
	DeadLetters []DeadLetter
	Ends        []Advance
}

// ShardBatch is the part of a RecordBatch that belongs to one shard, in log order. Every
// shard receives one per RecordBatch, possibly empty, so that progress is acknowledged in
// step. Hashes holds, for each record, the 64-bit hash of its visitor id that chose the
// shard (actors.ShardOf), so that the shard does not hash the id again.
type ShardBatch struct {
	Gen     int64
	Seq     int64
	Records []Record
	Hashes  []uint64
}

// Barrier closes epoch Epoch in a shard's stream: every record before it belongs to Epoch
// or earlier, every record after it to a later epoch. Pointer is the log position the epoch
// ends at.
type Barrier struct {
	Gen     int64
	Epoch   int64
	Pointer Pointer
}

// EpochCut tells the aggregator that the router has injected the barrier of Epoch into
// every shard's stream, with what the router itself accumulated for the epoch: Advances,
// one per partition the epoch covers, in partition order, say where it ends.
type EpochCut struct {
	Gen         int64
	Epoch       int64
	Advances    []Advance
	Records     int64
	DeadLetters []DeadLetter
	// Last marks the final epoch of a finite run (end of input or shutdown).
	Last bool
}

// ShardEpoch is one shard's contribution to an epoch, sent when it reaches the barrier.
type ShardEpoch struct {
	Gen         int64
	Shard       int
	Epoch       int64
	Deltas      *Deltas
	Histories   []HistorySnapshot
	DeadLetters []DeadLetter
	// Humans counts visitors that became human in this epoch; Held counts records held
	// in the queue of a not-yet-human visitor; Replayed counts held records replayed.
	Humans, Held, Replayed int64
}

// ShardProgress acknowledges that a shard has applied batch Seq.
type ShardProgress struct {
	Gen   int64
	Shard int
	Seq   int64
}

// CacheFull reports that a shard's history cache is above its capacity because too many
// histories are pinned by uncommitted epochs; the aggregator answers by cutting an epoch.
type CacheFull struct {
	Gen   int64
	Shard int
}

// CutEpoch asks the router to close the current epoch after the records routed so far.
type CutEpoch struct {
	Gen int64
}

// CaughtUp tells the router, the aggregator (and the supervisor) that the source has
// reached the end of the log: from then on epochs are cut at every flush interval, and by
// size at the smaller size of a pipeline that keeps up with the log.
type CaughtUp struct {
	Gen int64
}

// EndOfInput tells the router that the source has sent its last batch.
type EndOfInput struct {
	Gen int64
}

// Committed reports that Epoch, and every epoch before it, is durable. The committer sends
// it to the aggregator, which forwards it to every shard (so that they unpin histories).
type Committed struct {
	Gen   int64
	Epoch int64
}

// Throttle tells the source to stop (Hold=true) or resume reading, so that the number of
// sealed epochs waiting to be committed stays bounded.
type Throttle struct {
	Gen  int64
	Hold bool
}
