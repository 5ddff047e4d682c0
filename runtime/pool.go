// Package runtime is chatumm's execution layer: a persistent worker pool with
// a parallel-for over output rows. Workers live for the life of the pool, so
// an op costs a wake-up, not a goroutine; the split of rows depends only on
// the row count, the grain and the thread count, and every row is computed by
// exactly one worker, so results never depend on how many threads ran.
package runtime

import (
	"os"
	goruntime "runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// Task is work over a range of rows. Hot paths pass a pointer to a reusable
// struct, which converts to an interface without allocating.
type Task interface{ Run(lo, hi int) }

// FuncTask adapts a function to Task.
type FuncTask func(lo, hi int)

func (f FuncTask) Run(lo, hi int) { f(lo, hi) }

type job struct {
	t      Task
	lo, hi int
}

// Pool runs tasks on a fixed set of worker goroutines plus the caller.
type Pool struct {
	threads int
	work    []chan job
	pending atomic.Int32
	done    chan struct{}
	mu      sync.Mutex // one parallel-for at a time
	closed  bool
}

// DefaultThreads is CHATUMM_THREADS when set to a positive integer, else the
// number of CPUs.
func DefaultThreads() int {
	if s := os.Getenv("CHATUMM_THREADS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return goruntime.NumCPU()
}

// NewPool starts threads-1 workers (the caller is the last thread);
// threads <= 0 means DefaultThreads().
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = DefaultThreads()
	}
	p := &Pool{threads: threads, done: make(chan struct{}, threads)}
	p.work = make([]chan job, threads-1)
	for i := range p.work {
		ch := make(chan job, 1)
		p.work[i] = ch
		go p.worker(ch)
	}
	return p
}

func (p *Pool) worker(ch chan job) {
	for j := range ch {
		j.t.Run(j.lo, j.hi)
		if p.pending.Add(-1) == 0 {
			p.done <- struct{}{}
		}
	}
}

// Threads is the number of threads a parallel-for uses.
func (p *Pool) Threads() int { return p.threads }

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for _, ch := range p.work {
		close(ch)
	}
}

// Run splits [0,n) into at most Threads() contiguous chunks and runs t on
// each, returning when all are done.
func (p *Pool) Run(n int, t Task) { p.RunGrain(n, 1, t) }

// RunGrain is Run with chunk boundaries at multiples of grain (the last chunk
// takes the remainder), for kernels that work on blocks of rows.
func (p *Pool) RunGrain(n, grain int, t Task) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	blocks := (n + grain - 1) / grain
	parts := p.threads
	if parts > blocks {
		parts = blocks
	}
	if parts <= 1 || p == nil {
		t.Run(0, n)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending.Store(int32(parts - 1))
	bound := func(i int) int {
		b := (blocks * i / parts) * grain
		if b > n {
			b = n
		}
		return b
	}
	for i := 1; i < parts; i++ {
		p.work[i-1] <- job{t, bound(i), bound(i + 1)}
	}
	t.Run(0, bound(1))
	<-p.done
}

// For is Run for a function; convenient where an allocation per call is fine.
func (p *Pool) For(n int, fn func(lo, hi int)) { p.Run(n, FuncTask(fn)) }
