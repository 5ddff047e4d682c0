// Package runtime is chatumm's execution layer: a persistent worker pool with
// a parallel-for over output rows. Workers live for the life of the pool, so
// an op costs a wake-up, not a goroutine; the split of rows depends only on
// the row count, the grain and the thread count, and every row is computed by
// exactly one worker, so results never depend on how many threads ran.
//
// Dispatch follows ggml's hybrid poll: the caller publishes a job by bumping
// an atomic generation word and runs the first chunk itself; workers that
// finished the previous op are still spinning for a few microseconds and pick
// it up at once, workers that gave up spinning are parked on a channel and
// woken one by one. A decode step issues its ops back to back, so the spin
// catches almost all of them; an idle pool costs no CPU.
package runtime

import (
	"fmt"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Task is work over a range of rows. Hot paths pass a pointer to a reusable
// struct, which converts to an interface without allocating.
type Task interface{ Run(lo, hi int) }

// FuncTask adapts a function to Task.
type FuncTask func(lo, hi int)

// Run calls f.
func (f FuncTask) Run(lo, hi int) { f(lo, hi) }

// spinFor is how long an idle worker (and the caller waiting for workers)
// polls before parking. Long enough to bridge the gap between two ops of a
// decode step, short enough that an oversubscribed machine does not lose
// much to spinning (runtime-anchors §4.6 measured pure spinning as harmful).
const spinFor = 5 * time.Microsecond

// The generation word packs a sequence number (high 32 bits) and the number
// of chunks of the current job (low 32 bits), so a worker learns from one
// atomic load whether a new job exists and whether it takes part.
const (
	genSeqOne  = 1 << 32
	genPartsMx = 1<<32 - 1
	quitParts  = genPartsMx // parts value that tells workers to exit
)

// PanicError is what Run panics with when a task panicked on a worker
// goroutine: the original value and the worker's stack.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("panic in pool task: %v\n\nworker stack:\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic value if it is an error (errors.Is/As see through).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// worker is one parked-or-spinning goroutine's wake-up state.
type worker struct {
	sleeping atomic.Int32  // 1 while parked (or about to park) on wake
	wake     chan struct{} // buffered 1: a token means "look at gen again"
	_        [48]byte      // keep workers' flags on separate cache lines
}

// Pool runs tasks on a fixed set of worker goroutines plus the caller.
// A nil *Pool is valid and runs everything inline on the caller.
type Pool struct {
	threads int
	workers []worker

	mu sync.Mutex // one parallel-for at a time

	// The current job; written by the caller before gen is published.
	task     Task
	n, grain int
	blocks   int

	// gen (polled by idle workers) and pending (polled by the waiting
	// caller, written by every worker) sit on separate cache lines so the
	// two kinds of polling do not invalidate each other.
	_       [64]byte
	gen     atomic.Uint64
	_       [56]byte
	pending atomic.Int32 // worker chunks not yet finished
	waiting atomic.Int32 // 1 while the caller is parked on done
	_       [56]byte

	done         chan struct{}
	panicMu      sync.Mutex
	panicked     *PanicError
	callerPanic  any
	callerFailed bool
	closed       bool
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
	p := &Pool{threads: threads, done: make(chan struct{}, 1)}
	p.workers = make([]worker, threads-1)
	for i := range p.workers {
		p.workers[i].wake = make(chan struct{}, 1)
		go p.loop(i)
	}
	return p
}

// Threads is the number of threads a parallel-for uses (1 for a nil pool).
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Close stops the workers. Later calls run tasks inline on the caller.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	p.gen.Store((p.gen.Load()&^genPartsMx + genSeqOne) | quitParts)
	for i := range p.workers {
		p.wakeWorker(i)
	}
}

// Run splits [0,n) into at most Threads() contiguous chunks and runs t on
// each, returning when all are done.
func (p *Pool) Run(n int, t Task) { p.RunGrain(n, 1, t) }

// For is Run for a function; convenient where an allocation per call is fine.
func (p *Pool) For(n int, fn func(lo, hi int)) { p.Run(n, FuncTask(fn)) }

// RunGrain is Run with chunk boundaries at multiples of grain (the last chunk
// takes the remainder), for kernels that work on blocks of rows. Chunk i of k
// is [bound(i), bound(i+1)) with bound(i) = grain*floor(blocks*i/k).
//
// A panic in t is re-raised in the caller after every chunk has stopped (a
// worker's panic as *PanicError); the pool stays usable. If the pool is busy
// (a nested call from inside a task, or another goroutine's job), t runs
// inline on the caller instead of waiting, so nesting can never deadlock.
func (p *Pool) RunGrain(n, grain int, t Task) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	blocks := (n + grain - 1) / grain
	if p == nil || p.threads <= 1 || blocks <= 1 {
		t.Run(0, n)
		return
	}
	if !p.mu.TryLock() {
		t.Run(0, n)
		return
	}
	defer p.mu.Unlock()
	if p.closed {
		t.Run(0, n)
		return
	}
	parts := min(p.threads, blocks)
	p.task, p.n, p.grain, p.blocks = t, n, grain, blocks
	p.pending.Store(int32(parts - 1))
	p.gen.Store(p.gen.Load()&^genPartsMx + genSeqOne | uint64(parts))
	for i := 0; i < parts-1; i++ {
		p.wakeWorker(i)
	}
	p.runCaller(t, bound(n, grain, blocks, parts, 1))
	p.waitWorkers()
	p.task = nil
	p.rethrow()
}

// bound is the start of chunk i of parts.
func bound(n, grain, blocks, parts, i int) int {
	return min(blocks*i/parts*grain, n)
}

// runCaller runs chunk 0, catching a panic so the workers can be waited for.
func (p *Pool) runCaller(t Task, hi int) {
	defer func() {
		if v := recover(); v != nil {
			p.callerPanic, p.callerFailed = v, true
		}
	}()
	t.Run(0, hi)
}

// rethrow re-raises the first panic of the job, if any, on the caller.
func (p *Pool) rethrow() {
	if p.callerFailed {
		v := p.callerPanic
		p.callerPanic, p.callerFailed = nil, false
		p.panicked = nil
		panic(v)
	}
	if e := p.panicked; e != nil {
		p.panicked = nil
		panic(e)
	}
}

// wakeWorker unparks worker i if it is parked. The Dekker-style pairing with
// park (each side stores its flag, then loads the other's; Go atomics are
// sequentially consistent) guarantees a worker never sleeps through a job.
func (p *Pool) wakeWorker(i int) {
	w := &p.workers[i]
	if w.sleeping.Load() == 1 && w.sleeping.CompareAndSwap(1, 0) {
		w.wake <- struct{}{}
	}
}

// waitWorkers returns when all worker chunks of the current job are done.
func (p *Pool) waitWorkers() {
	if spinUntil(func() bool { return p.pending.Load() == 0 }) {
		return
	}
	p.waiting.Store(1)
	if p.pending.Load() == 0 && p.waiting.CompareAndSwap(1, 0) {
		return
	}
	<-p.done // the last worker cleared waiting and sent the token
}

// spinUntil polls cond for about spinFor, yielding the processor between
// polls so other goroutines (or the worker we wait for) can run.
func spinUntil(cond func() bool) bool {
	var start time.Time
	for i := 0; ; i++ {
		for range 32 {
			if cond() {
				return true
			}
		}
		if i == 0 {
			start = time.Now()
		} else if time.Since(start) > spinFor {
			return false
		}
		goruntime.Gosched()
	}
}

// loop is worker i's life: wait for a generation that includes it, run its
// chunk, report, repeat.
func (p *Pool) loop(i int) {
	w := &p.workers[i]
	chunk := i + 1  // the caller runs chunk 0
	var seen uint64 // gen is 0 until the first job, which may precede this line
	newJob := func() bool { return p.gen.Load()&^genPartsMx != seen }
	for {
		if !spinUntil(newJob) {
			w.sleeping.Store(1)
			if newJob() {
				if !w.sleeping.CompareAndSwap(1, 0) {
					<-w.wake // a waker cleared the flag first; eat its token
				}
			} else {
				<-w.wake
			}
		}
		g := p.gen.Load()
		seen = g &^ genPartsMx
		parts := int(g & genPartsMx)
		if parts == quitParts {
			return
		}
		if chunk >= parts {
			continue // this job has fewer chunks than threads
		}
		p.runWorker(chunk, parts)
		if p.pending.Add(-1) == 0 && p.waiting.Load() == 1 && p.waiting.CompareAndSwap(1, 0) {
			p.done <- struct{}{}
		}
	}
}

// runWorker runs one chunk, recording a panic instead of dying with it.
func (p *Pool) runWorker(chunk, parts int) {
	defer func() {
		if v := recover(); v != nil {
			p.panicMu.Lock()
			if p.panicked == nil {
				p.panicked = &PanicError{Value: v, Stack: debug.Stack()}
			}
			p.panicMu.Unlock()
		}
	}()
	n, grain, blocks := p.n, p.grain, p.blocks
	p.task.Run(bound(n, grain, blocks, parts, chunk), bound(n, grain, blocks, parts, chunk+1))
}
