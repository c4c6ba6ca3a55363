// Package gctune sets the garbage collector the way the search server runs
// it, so that benchmarks measure what `handbook serve` does.
//
// A search allocates a few megabytes (bleve's searchers and document
// matches, stored fields of the candidates) and keeps almost nothing; the
// live heap of a server is mostly the loaded content. With Go's default
// GOGC=100 and a small live heap the collector runs every few searches and
// took about a third of the CPU time of a search on the built-in content
// (docs/BENCHMARKS.md). GOGC=400 lets the heap grow to five times the live
// data between collections instead of twice.
package gctune

import (
	"os"
	"runtime/debug"
)

// Percent is the GOGC value the server runs with unless GOGC is set.
const Percent = 400

// Apply sets GOGC to Percent unless the environment sets GOGC (an operator
// on a small machine may lower it, or set GOMEMLIMIT). It returns the GOGC
// in effect, -1 meaning off.
func Apply() int {
	if v := os.Getenv("GOGC"); v != "" {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	debug.SetGCPercent(Percent)
	return Percent
}
