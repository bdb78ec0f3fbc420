package stream

import (
	"bytes"
	"strconv"

	"github.com/cespare/xxhash/v2"

	"github.com/manhattan-analytics/manhattan/messages"
)

// vidField is the index of the visitor id among a line's TAB-separated fields.
const vidField = 3

// Partition returns the partition, of n, that holds the lines of visitor vid: xxHash64 of
// the id modulo n. It is independent of the in-process shard hash (FNV-1a), so the
// visitors of one partition spread evenly over an ingest process's shards.
func Partition(vid string, n int) int {
	return int(xxhash.Sum64String(vid) % uint64(n))
}

// Subject returns the subject of partition p under prefix: "<prefix>.<p>".
func Subject(prefix string, p int) string {
	return prefix + "." + strconv.Itoa(p)
}

// LinePartition returns the partition, of n, of a raw log line (without its "\n"): that of
// its decoded visitor id. A line that does not parse falls back to its raw fourth field
// (or the empty id when it has fewer fields): it still travels, and the ingest side
// dead-letters it for what is wrong with it.
func LinePartition(line []byte, n int) int {
	vid, escaped := rawField(line, vidField)
	if !escaped {
		return int(xxhash.Sum64(vid) % uint64(n))
	}
	if rec, err := messages.ParseLine(line); err == nil {
		return Partition(rec.VID, n)
	}
	return int(xxhash.Sum64(vid) % uint64(n))
}

// rawField returns field i of a TAB-separated line as it stands, and whether it holds a
// backslash (an escape the codec decodes). A missing field is empty.
func rawField(line []byte, i int) (field []byte, escaped bool) {
	for ; i > 0; i-- {
		t := bytes.IndexByte(line, '\t')
		if t < 0 {
			return nil, false
		}
		line = line[t+1:]
	}
	if t := bytes.IndexByte(line, '\t'); t >= 0 {
		line = line[:t]
	}
	return line, bytes.IndexByte(line, '\\') >= 0
}
