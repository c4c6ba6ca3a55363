package gctune

import (
	"runtime/debug"
	"testing"
)

func TestApply(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	if got := Apply(); got != Percent || debug.SetGCPercent(Percent) != Percent {
		t.Errorf("Apply without GOGC = %d, want %d in effect", got, Percent)
	}
	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150) // what the runtime read from GOGC at start
	if got := Apply(); got != 150 {
		t.Errorf("Apply with GOGC=150 = %d, want the operator's 150 kept", got)
	}
}
