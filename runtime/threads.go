package runtime

import (
	"fmt"
	"os"
	goruntime "runtime"
	"strconv"
)

// threadsPerCPU and maxThreads bound the thread count a user may ask for.
// Each thread costs a goroutine, a job channel and, in the kernels, scratch
// space, so an unchecked count (--threads 2147483647) exhausts memory before
// any work starts. More threads than CPUs only helps while some of them
// wait (page faults on mapped weights), and beyond a few per CPU the
// spinning workers of this pool slow each other down; 1024 is the most any
// machine this runs on would use.
const (
	threadsPerCPU = 4
	maxThreads    = 1024
)

// MaxThreads is the most threads a pool accepts on this machine:
// 4 × the CPUs this process may use, and at most 1024.
func MaxThreads() int { return min(threadsPerCPU*goruntime.NumCPU(), maxThreads) }

func threadLimitText() string {
	cpus := goruntime.NumCPU()
	if threadsPerCPU*cpus > maxThreads {
		return fmt.Sprintf("at most %d", maxThreads)
	}
	return fmt.Sprintf("at most %d on this machine (%d × %d CPUs)", threadsPerCPU*cpus, threadsPerCPU, cpus)
}

// CheckThreads validates a --threads value: 0 (the default) or 1 to
// MaxThreads(). The error names the flag and the limit, e.g.
// "--threads 2147483647: at most 8 on this machine (4 × 2 CPUs)".
func CheckThreads(n int) error {
	if n < 0 {
		return fmt.Errorf("--threads %d: must be positive (or 0 for the default)", n)
	}
	if n > MaxThreads() {
		return fmt.Errorf("--threads %d: %s", n, threadLimitText())
	}
	return nil
}

// EnvThreads is the thread count DefaultThreads uses, and why
// CHATUMM_THREADS, if set, was not taken as it is: a value that is not a
// positive integer is ignored (the CPU count is used), one above
// MaxThreads() is lowered to it. The error is one line for the caller to
// print as a warning; it is nil when the variable is unset or valid.
func EnvThreads() (int, error) {
	s, ok := os.LookupEnv("CHATUMM_THREADS")
	if !ok || s == "" {
		return goruntime.NumCPU(), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return goruntime.NumCPU(), fmt.Errorf("CHATUMM_THREADS=%q is not a positive integer; using %d threads (the CPU count)",
			s, goruntime.NumCPU())
	}
	if n > MaxThreads() {
		return MaxThreads(), fmt.Errorf("CHATUMM_THREADS=%d: %s; using %d threads", n, threadLimitText(), MaxThreads())
	}
	return n, nil
}

// DefaultThreads is CHATUMM_THREADS when it is a positive integer (at most
// MaxThreads()), else the number of CPUs. EnvThreads says why a value set
// there was not used.
func DefaultThreads() int {
	n, _ := EnvThreads()
	return n
}
