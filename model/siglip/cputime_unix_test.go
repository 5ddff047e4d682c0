//go:build unix

package siglip

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used: on a
// shared machine it shows what a run costs whatever else competes for the
// cores.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
