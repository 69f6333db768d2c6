package gctune

import (
	"runtime/debug"
	"testing"
)

func TestSoftLimit(t *testing.T) {
	for in, want := range map[string]int64{"1073741824\n": 858993456, "500": 400} {
		if got, ok := softLimit(in); !ok || got != want {
			t.Errorf("softLimit(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"max\n", "", "-1", "0", "lots"} {
		if got, ok := softLimit(in); ok {
			t.Errorf("softLimit(%q) = %d, want no limit", in, got)
		}
	}
}

// Apply sets the GC target unless GOGC is set, which it leaves alone.
func TestApplyRespectsGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	debug.SetGCPercent(100)
	Apply()
	if got := debug.SetGCPercent(100); got != Percent {
		t.Errorf("GC percent after Apply = %d, want %d", got, Percent)
	}
	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150)
	Apply()
	if got := debug.SetGCPercent(100); got != 150 {
		t.Errorf("GC percent with GOGC=150 = %d, want 150 (left alone)", got)
	}
}
