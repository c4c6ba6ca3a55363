package gctune

import (
	"math"
	"runtime"
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

// TestFit: once the live data is near MemoryLimit, the limit moves above the
// memory in use; with the operator's GOMEMLIMIT it stays.
func TestFit(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	Apply()
	// Live data as large as the limit itself, as 100,000 chunks of content.
	live := make([]byte, MemoryLimit)
	for i := 0; i < len(live); i += 4096 {
		live[i] = 1
	}
	inUse, limit := Fit()
	if inUse < MemoryLimit {
		t.Fatalf("Fit saw %d bytes in use with %d live", inUse, len(live))
	}
	if want := int64(inUse) + max(Headroom, int64(inUse)/2); limit != want || debug.SetMemoryLimit(-1) != limit {
		t.Errorf("Fit set the limit to %d (in effect %d); want %d for %d in use", limit, debug.SetMemoryLimit(-1), want, inUse)
	}
	runtime.KeepAlive(live)

	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30)
	Apply()
	if inUse, limit := Fit(); inUse != 0 || limit != 1<<30 {
		t.Errorf("Fit with GOMEMLIMIT=1GiB = %d, %d; want the operator's limit kept", inUse, limit)
	}
}
