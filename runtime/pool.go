// Package runtime is chatumm's execution layer: a persistent worker pool with
// a parallel-for over output rows. Workers live for the life of the pool, so
// an op costs a wake-up, not a goroutine; the split of rows depends only on
// the row count, the grain and the thread count, and every row is computed by
// exactly one worker, so results never depend on how many threads ran.
//
// The protocol is deliberately simple, so it is correct by construction:
// each worker has a one-slot job channel, and every job chunk it receives is
// answered by exactly one token on the pool's done channel; the caller runs
// chunk 0 itself and then takes exactly as many tokens as it handed out, so
// no token of one job can be mistaken for another's. Waiting polls the
// channel for a few microseconds before blocking, which bridges the gap
// between the back-to-back ops of a decode step without burning an idle CPU.
//
// Faults: tasks read weights that may be mapped from files. Workers, and
// the caller for the duration of a Run, have debug.SetPanicOnFault set, so
// a read of a mapped file truncated meanwhile panics (on the caller's
// goroutine, as a *PanicError for a worker's chunk) instead of killing the
// process with SIGBUS; weights.Set.FaultError turns that panic into an
// error naming the file. Code that touches mapped weights outside a Run
// sets the flag on its own goroutine.
//
// Threads: a pool never has more than MaxThreads() threads (4 per CPU, at
// most 1024); CheckThreads and EnvThreads give the errors that say so.
package runtime

import (
	"fmt"
	goruntime "runtime"
	"runtime/debug"
	"sync"
	"time"
)

// Task is work over a range of rows. Hot paths pass a pointer to a reusable
// struct, which converts to an interface without allocating.
type Task interface{ Run(lo, hi int) }

// FuncTask adapts a function to Task.
type FuncTask func(lo, hi int)

// Run calls f.
func (f FuncTask) Run(lo, hi int) { f(lo, hi) }

// spinFor is how long an idle worker, and the caller waiting for workers,
// polls before parking (runtime-anchors §4.6: pure spinning hurts on an
// oversubscribed machine, pure parking costs a wake-up per op). It must
// bridge the serial work between two matvecs of a decode step (norms,
// attention, sampling): at a few microseconds a worker parks between most
// ops of a decode step and pays a wake-up each time; 200 µs covers the gap
// (alternating `bench model -t 2` rounds, docs/PERFORMANCE.md) and an idle
// pool still parks within 0.2 ms.
const spinFor = 200 * time.Microsecond

// PanicError is what Run panics with when a task panicked on a worker
// goroutine: the original value and the worker's stack.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("panic in pool task: %v\n\nworker stack:\n%s", e.Value, e.Stack)
}

// Unwrap exposes an error value a task panicked with.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

type job struct {
	t      Task
	lo, hi int
}

// Pool runs parallel-fors on threads-1 persistent workers plus the caller.
type Pool struct {
	threads int
	work    []chan job       // one slot per worker
	done    chan *PanicError // one token per chunk handed out (nil: no panic)
	mu      sync.Mutex       // held for one parallel-for at a time
	closed  bool
}

// NewPool starts threads-1 workers (the caller is the last thread);
// threads <= 0 means DefaultThreads(), and a count above MaxThreads() is
// lowered to it, so nothing here is ever sized by an unchecked number
// (a command checks its flag with CheckThreads first, to say so).
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = DefaultThreads()
	}
	threads = min(threads, MaxThreads())
	p := &Pool{threads: threads, done: make(chan *PanicError, threads)}
	p.work = make([]chan job, threads-1)
	for i := range p.work {
		p.work[i] = make(chan job, 1)
		go p.worker(p.work[i])
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

// Close stops the workers; later Runs execute inline. Safe to call twice.
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
	for _, ch := range p.work {
		close(ch)
	}
}

// receive takes a value from ch, polling for spinFor before blocking.
func receive[T any](ch chan T) (T, bool) {
	select {
	case v, ok := <-ch:
		return v, ok
	default:
	}
	start := time.Now()
	for n := 0; ; n++ {
		select {
		case v, ok := <-ch:
			return v, ok
		default:
		}
		if n&15 == 15 {
			if time.Since(start) > spinFor {
				break
			}
			goruntime.Gosched()
		}
	}
	v, ok := <-ch
	return v, ok
}

func (p *Pool) worker(ch chan job) {
	// Tasks read weights mapped from files; if such a file is truncated
	// under us, the read faults. With this the fault is a panic (a
	// runtime.Error with an Addr method) that runChunk hands to the caller
	// as a *PanicError, instead of a SIGBUS that kills the process.
	debug.SetPanicOnFault(true)
	for {
		j, ok := receive(ch)
		if !ok {
			return
		}
		p.done <- runChunk(j)
	}
}

// runChunk runs one chunk, turning a panic into a PanicError so the worker
// survives and the caller can re-raise it.
func runChunk(j job) (pe *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			pe = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	j.t.Run(j.lo, j.hi)
	return nil
}

// Run splits [0,n) into at most Threads() contiguous chunks and runs t on
// each, returning when all are done.
func (p *Pool) Run(n int, t Task) { p.RunGrain(n, 1, t) }

// RunGrain is Run with chunk boundaries at multiples of grain (the last chunk
// takes the remainder), for kernels that work on blocks of rows. Chunk i of
// k is [bound(i), bound(i+1)) with bound(i) = min(grain·⌊blocks·i/k⌋, n).
// A nested call from inside a task, or a call while another goroutine's
// parallel-for runs, executes inline instead of waiting.
func (p *Pool) RunGrain(n, grain int, t Task) {
	if n <= 0 {
		return
	}
	// The caller's share of the work faults into a panic too, as the
	// workers' does (see worker); its own setting is restored after.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	if grain < 1 {
		grain = 1
	}
	blocks := (n + grain - 1) / grain
	parts := p.Threads()
	if parts > blocks {
		parts = blocks
	}
	if parts <= 1 || !p.mu.TryLock() {
		t.Run(0, n)
		return
	}
	defer p.mu.Unlock()
	if p.closed {
		t.Run(0, n)
		return
	}
	bound := func(i int) int { return min(blocks*i/parts*grain, n) }
	for i := 1; i < parts; i++ {
		p.work[i-1] <- job{t, bound(i), bound(i + 1)}
	}
	// The caller's own chunk; a panic here is re-raised only after every
	// worker has answered, so no token is left behind for the next job.
	var callerPanic any
	func() {
		defer func() { callerPanic = recover() }()
		t.Run(0, bound(1))
	}()
	var first *PanicError
	for i := 1; i < parts; i++ {
		pe, _ := receive(p.done)
		if pe != nil && first == nil {
			first = pe
		}
	}
	if callerPanic != nil {
		panic(callerPanic)
	}
	if first != nil {
		panic(first)
	}
}

// For is Run for a function; convenient where an allocation per call is fine.
func (p *Pool) For(n int, fn func(lo, hi int)) { p.Run(n, FuncTask(fn)) }
