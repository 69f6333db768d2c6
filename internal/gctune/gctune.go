package gctune

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Percent is the GC target set when GOGC is not.
const Percent = 400

// cgroupMemoryMax is where cgroup v2 publishes the container's memory limit.
const cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// Apply sets the collector as the package documents, leaving alone what the
// environment sets.
func Apply() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if b, err := os.ReadFile(cgroupMemoryMax); err == nil {
			if limit, ok := softLimit(string(b)); ok {
				debug.SetMemoryLimit(limit)
			}
		}
	}
}

// softLimit is 80 % of a cgroup memory.max value, which is a byte count or
// "max" (no limit).
func softLimit(memoryMax string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(memoryMax), 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n / 5 * 4, true
}
