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
// allocation for the text of every line of the batch.
type lineBatch struct {
	buf   []byte
	items []lineItem
	dead  []messages.DeadLetter // the reader's, referred to by items

	recs []messages.Record // scratch of parse, per item
	errs []error
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

// parse parses the lines and calls record or dead, in log order, for each item.
func (b *lineBatch) parse(record func(messages.Record), dead func(messages.DeadLetter)) {
	text := string(b.buf) // every record of the batch shares this one copy
	n := len(b.items)
	b.recs = append(b.recs[:0], make([]messages.Record, n)...)
	b.errs = append(b.errs[:0], make([]error, n)...)
	parseRange := func(from, to int) {
		for i := from; i < to; i++ {
			if it := &b.items[i]; it.dead < 0 {
				b.recs[i], b.errs[i] = messages.ParseString(text[it.start:it.end])
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
	for i := range b.items {
		it := &b.items[i]
		switch {
		case it.dead >= 0:
			dead(b.dead[it.dead])
		case b.errs[i] != nil:
			dead(messages.DeadLetter{Raw: strings.Clone(text[it.start:it.end]), Ptr: it.ptr, Reason: b.errs[i].Error()})
		default:
			rec := b.recs[i]
			rec.Ptr = it.ptr
			record(rec)
		}
	}
	clear(b.recs) // keep no line alive
	clear(b.errs)
}
