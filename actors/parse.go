package actors

import (
	"runtime"
	"strings"
	"sync"

	"github.com/manhattan-analytics/manhattan/messages"
)

// lineBatch collects what the source read for one batch, in log order: raw lines, copied
// back to back into one buffer, and the reader's dead letters between them. parse then
// turns the lines into records on several goroutines (parsing is most of the source's
// work: done on one goroutine it would be the pipeline's one serial stage), with one
// allocation for the text of every line of the batch, hashes each visitor id once (the
// hash picks the shard and keys the shard's cache) and puts each record straight into
// its shard's part: a record is copied once, from the parser's scratch into its part.
type lineBatch struct {
	buf   []byte
	items []lineItem
	dead  []messages.DeadLetter // the reader's, referred to by items

	recs   []messages.Record // scratch of parse, per item
	errs   []error
	hashes []uint64
}

// lineItem is a line, buf[start:end], when dead < 0; else the reader's dead letter dead.
type lineItem struct {
	start, end int
	dead       int
	ptr        messages.Pointer
}

// minParsePerWorker is the fewest lines worth a goroutine of their own.
const minParsePerWorker = 256

func (b *lineBatch) reset() {
	b.buf, b.items, b.dead = b.buf[:0], b.items[:0], b.dead[:0]
}

func (b *lineBatch) len() int { return len(b.items) }

func (b *lineBatch) addLine(raw []byte, ptr messages.Pointer) {
	start := len(b.buf)
	b.buf = append(b.buf, raw...)
	b.items = append(b.items, lineItem{start: start, end: len(b.buf), dead: -1, ptr: ptr})
}

func (b *lineBatch) addDeadLetter(dl messages.DeadLetter) {
	b.items = append(b.items, lineItem{dead: len(b.dead), ptr: dl.Ptr})
	b.dead = append(b.dead, dl)
}

// parse parses the lines into parts, one per shard, each with the records of the visitors
// that shard owns (ShardOf) in log order and the hash of each record's visitor id; it
// calls record with the pointer of each record and dead with each dead letter, in log
// order.
func (b *lineBatch) parse(parts []*messages.ShardBatch, pool *partPool, record func(messages.Pointer), dead func(messages.DeadLetter)) {
	text := string(b.buf) // every record of the batch shares this one copy
	n := len(b.items)
	b.recs = append(b.recs[:0], make([]messages.Record, n)...)
	b.errs = append(b.errs[:0], make([]error, n)...)
	b.hashes = append(b.hashes[:0], make([]uint64, n)...)
	parseRange := func(from, to int) {
		for i := from; i < to; i++ {
			if it := &b.items[i]; it.dead < 0 {
				if b.recs[i], b.errs[i] = messages.ParseString(text[it.start:it.end]); b.errs[i] == nil {
					b.hashes[i] = vidHash(b.recs[i].VID)
				}
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), n/minParsePerWorker)
	if workers <= 1 {
		parseRange(0, n)
	} else {
		var wg sync.WaitGroup
		per := (n + workers - 1) / workers
		for from := 0; from < n; from += per {
			wg.Add(1)
			go func(from, to int) {
				defer wg.Done()
				parseRange(from, to)
			}(from, min(from+per, n))
		}
		wg.Wait()
	}
	shards := uint64(len(parts))
	counts := make([]int, len(parts))
	for i := range b.items {
		if b.items[i].dead < 0 && b.errs[i] == nil {
			counts[b.hashes[i]%shards]++
		}
	}
	for k := range parts {
		parts[k] = pool.get(counts[k])
	}
	for i := range b.items {
		it := &b.items[i]
		switch {
		case it.dead >= 0:
			dead(b.dead[it.dead])
		case b.errs[i] != nil:
			dead(messages.DeadLetter{Raw: strings.Clone(text[it.start:it.end]), Ptr: it.ptr, Reason: b.errs[i].Error()})
		default:
			h := b.hashes[i]
			p := parts[h%shards]
			p.Records = append(p.Records, b.recs[i])
			p.Records[len(p.Records)-1].Ptr = it.ptr
			p.Hashes = append(p.Hashes, h)
			record(it.ptr)
		}
	}
	clear(b.recs) // keep no line alive
	clear(b.errs)
}
