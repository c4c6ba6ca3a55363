// Package gctune sets the garbage collector the way the search server runs
// it, so that benchmarks measure what `handbook serve` does.
//
// A search allocates well under a megabyte (its candidates' records,
// postings, the response) and keeps nothing; the live heap of a server is
// mostly the loaded content and the postings cache. With Go's default
// GOGC=100 and a small live heap the collector runs every few searches and
// took about a third of the CPU time of a search on the built-in content
// (docs/BENCHMARKS.md). GOGC=400 lets the heap grow to five times the live
// data between collections instead of twice; a soft memory limit keeps a
// large knowledge base (100k chunks, ~90 MB live) from growing the heap that
// far: near the limit the collector runs as often as it needs to. That is
// cheap once the live data is mostly pointer-free (the postings cache's
// arrays, the content's strings in a file mapping): a collection has little
// to mark.
package gctune

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
)

const (
	// Percent is the GOGC value the server runs with unless GOGC is set.
	Percent = 400
	// MemoryLimit is the soft limit of the Go heap (GOMEMLIMIT) unless
	// GOMEMLIMIT is set.
	// 192 MiB: with the index's mapped pages a 100k-chunk server stays
	// under 400 MB (docs/BENCHMARKS.md).
	MemoryLimit = 192 << 20
)

// Apply sets GOGC to Percent and the memory limit to MemoryLimit, each
// unless the environment sets it (an operator may choose either). It
// returns the GOGC and the limit in effect; GOGC -1 means off.
func Apply() (gogc int, limit int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
	limitSet.Store(os.Getenv("GOMEMLIMIT") == "")
	if limitSet.Load() {
		debug.SetMemoryLimit(MemoryLimit)
	}
	gogc = debug.SetGCPercent(100)
	debug.SetGCPercent(gogc)
	return gogc, debug.SetMemoryLimit(-1)
}

// limitSet: Apply set the memory limit, so Fit may move it.
var limitSet atomic.Bool

// Headroom is how far, at least, the Go heap may grow past the memory in
// use once that comes near MemoryLimit; with more in use, half of it. Each
// collection marks the live heap, so a smaller headroom makes searches pay
// for it more often: 64 MiB is about half a second of searching at 150
// searches/s between collections.
const Headroom = 64 << 20

// Fit moves the soft memory limit above the memory in use after the content
// is loaded, when that is large: a limit under the live data makes the
// collector run without pause (when the content at 100,000 chunks was
// ~360 MB of heap, over the limit of then, a search spent more time
// collecting than searching). The limit becomes the larger of
// MemoryLimit and the memory in use plus the larger of Headroom and half of
// it. It does nothing unless
// Apply set the limit (not when GOMEMLIMIT is set, nor in tests). It returns
// the memory in use and the limit in effect.
func Fit() (inUse uint64, limit int64) {
	if !limitSet.Load() {
		return 0, debug.SetMemoryLimit(-1)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	inUse = ms.Sys - ms.HeapReleased
	limit = max(MemoryLimit, int64(inUse)+max(Headroom, int64(inUse)/2))
	debug.SetMemoryLimit(limit)
	return inUse, limit
}
