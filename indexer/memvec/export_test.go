package memvec

import "testing"

// DotGo and Dot expose the portable and the selected inner product to the
// external tests.
var (
	DotGo = dotGo
	Dot   = func(a, b []float32) float32 { return dot(a, b) }
)

// UsePortableDot makes the store use the portable inner product until the
// test or benchmark ends: the same-run baseline of the assembly one.
func UsePortableDot(tb testing.TB) {
	old := dot
	dot = dotGo
	tb.Cleanup(func() { dot = old })
}
