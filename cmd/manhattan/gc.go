package main

import (
	"os"
	"runtime/debug"
)

// Garbage collector settings of the commands that ingest, chosen by measurement (see
// docs/benchmarks.md, "GC setting"): the in-memory pipeline spends about a fifth less CPU
// with GOGC=400 than with the default 100, for ~10 % more peak RSS, because its live heap
// is mostly the history cache, which survives every cycle. The memory limit keeps a large
// cache from growing the heap to five times its live size: near the limit the collector
// runs as often as it must.
const (
	ingestGCPercent = 400
	limitBase       = 512 << 20 // bytes beside the cache: epochs in flight, batches, the server connections
	limitPerVisitor = 6 << 10   // bytes per cached history: about 1.5× what one takes now
)

// tuneGC applies the ingest GC settings for a cache of cacheSize histories, unless the
// environment sets GOGC or GOMEMLIMIT (those always win).
func tuneGC(cacheSize int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(ingestGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(ingestMemoryLimit(cacheSize))
	}
}

// ingestMemoryLimit is the soft memory limit for a cache of cacheSize histories.
func ingestMemoryLimit(cacheSize int) int64 {
	return limitBase + int64(max(cacheSize, 0))*limitPerVisitor
}
