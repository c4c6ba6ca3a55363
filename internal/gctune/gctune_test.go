package gctune

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestApply(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	if gogc, limit := Apply(); gogc != Percent || limit != MemoryLimit {
		t.Errorf("Apply without GOGC and GOMEMLIMIT = %d, %d; want %d, %d", gogc, limit, Percent, MemoryLimit)
	}
	// What the runtime read from the environment at start.
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(1 << 30)
	if gogc, limit := Apply(); gogc != 150 || limit != 1<<30 {
		t.Errorf("Apply with GOGC=150 GOMEMLIMIT=1GiB = %d, %d; want the operator's values kept", gogc, limit)
	}
}
