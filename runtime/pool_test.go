package runtime

import (
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// countTask records how often each index was visited and checks chunk
// starts fall on grain boundaries.
type countTask struct {
	hits  []atomic.Int32
	grain int
	bad   atomic.Int32
}

func (c *countTask) Run(lo, hi int) {
	if lo%c.grain != 0 || lo > hi {
		c.bad.Add(1)
	}
	for i := lo; i < hi; i++ {
		c.hits[i].Add(1)
	}
}

func TestRunCoversEveryIndexOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 5} {
		p := NewPool(threads)
		for _, n := range []int{1, 2, 3, 7, 16, 17, 100, 1001} {
			for _, grain := range []int{1, 4, 16} {
				c := &countTask{hits: make([]atomic.Int32, n), grain: grain}
				for rep := 0; rep < 3; rep++ {
					p.RunGrain(n, grain, c)
				}
				for i := range c.hits {
					if got := c.hits[i].Load(); got != 3 {
						t.Fatalf("threads=%d n=%d grain=%d: index %d visited %d times over 3 runs", threads, n, grain, i, got)
					}
				}
				if c.bad.Load() != 0 {
					t.Fatalf("threads=%d n=%d grain=%d: chunk start not a multiple of the grain", threads, n, grain)
				}
			}
		}
		p.Close()
	}
}

func TestChunksOnePerThread(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	var mu sync.Mutex
	var chunks [][2]int
	p.For(3, func(lo, hi int) {
		mu.Lock()
		chunks = append(chunks, [2]int{lo, hi})
		mu.Unlock()
	})
	if len(chunks) != 3 {
		t.Fatalf("Run(3) on 3 threads made %d chunks, want 3 (one index each): %v", len(chunks), chunks)
	}
	for _, c := range chunks {
		if c[1] != c[0]+1 {
			t.Fatalf("chunk %v is not a single index", c)
		}
	}
}

func TestNilPoolRunsInline(t *testing.T) {
	var p *Pool
	if p.Threads() != 1 {
		t.Fatalf("nil pool Threads() = %d, want 1", p.Threads())
	}
	var got [][2]int
	p.RunGrain(10, 4, FuncTask(func(lo, hi int) { got = append(got, [2]int{lo, hi}) }))
	if len(got) != 1 || got[0] != [2]int{0, 10} {
		t.Fatalf("nil pool chunks %v, want one chunk [0,10)", got)
	}
	p.Close() // must not panic
}

type nopTask struct{ sum atomic.Int64 }

func (t *nopTask) Run(lo, hi int) { t.sum.Add(int64(hi - lo)) }

func TestRunDoesNotAllocate(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	task := &nopTask{}
	p.Run(64, task) // warm up
	allocs := testing.AllocsPerRun(200, func() { p.RunGrain(64, 4, task) })
	if allocs != 0 {
		t.Fatalf("RunGrain allocates %.1f times per call, want 0", allocs)
	}
	if got := task.sum.Load(); got != 64*202 { // Run, AllocsPerRun's warm-up, 200 runs
		t.Fatalf("covered %d indices, want %d", got, 64*202)
	}
}

func TestWorkerPanicPropagates(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	boom := errors.New("boom")
	func() {
		defer func() {
			v := recover()
			pe, ok := v.(*PanicError)
			if !ok {
				t.Fatalf("recovered %T %v, want *PanicError", v, v)
			}
			if !errors.Is(pe, boom) || !strings.Contains(pe.Error(), "boom") {
				t.Fatalf("PanicError %q does not carry the task's error", pe.Error())
			}
		}()
		p.Run(3, FuncTask(func(lo, hi int) {
			if lo == 2 { // the last chunk runs on a worker
				panic(boom)
			}
		}))
		t.Fatal("Run returned normally after a worker panicked")
	}()
	// The caller's own chunk panics with the original value.
	func() {
		defer func() {
			if v := recover(); v != "caller" {
				t.Fatalf("recovered %v, want the caller chunk's value", v)
			}
		}()
		p.Run(3, FuncTask(func(lo, hi int) {
			if lo == 0 {
				panic("caller")
			}
		}))
	}()
	// The pool still works, with every worker alive.
	c := &countTask{hits: make([]atomic.Int32, 3), grain: 1}
	p.Run(3, c)
	for i := range c.hits {
		if c.hits[i].Load() != 1 {
			t.Fatalf("after panics, index %d visited %d times", i, c.hits[i].Load())
		}
	}
}

func TestNestedRunDoesNotDeadlock(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	var total atomic.Int64
	p.Run(4, FuncTask(func(lo, hi int) {
		p.Run(10, FuncTask(func(lo, hi int) { total.Add(int64(hi - lo)) }))
	}))
	if total.Load() != 20 { // two outer chunks, each runs the inner 10
		t.Fatalf("nested runs covered %d indices, want 20", total.Load())
	}
}

func TestConcurrentCallersAndClose(t *testing.T) {
	p := NewPool(3)
	var wg sync.WaitGroup
	var total atomic.Int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				p.Run(30, FuncTask(func(lo, hi int) { total.Add(int64(hi - lo)) }))
			}
		}()
	}
	wg.Wait()
	if total.Load() != 4*50*30 {
		t.Fatalf("concurrent callers covered %d indices, want %d", total.Load(), 4*50*30)
	}
	p.Close()
	p.Close()
	var after int
	p.Run(5, FuncTask(func(lo, hi int) { after += hi - lo }))
	if after != 5 {
		t.Fatalf("Run after Close covered %d indices, want 5", after)
	}
}

// BenchmarkFanOut measures the cost of one parallel-for over trivial work:
// the per-op overhead a decode step pays about 7 times per layer.
func BenchmarkFanOut(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(map[int]string{1: "threads=1", 2: "threads=2"}[threads], func(b *testing.B) {
			p := NewPool(threads)
			defer p.Close()
			task := &nopTask{}
			b.ReportAllocs()
			for b.Loop() {
				p.Run(threads, task)
			}
		})
	}
}

// TestJobBeforeWorkersStart: a job published before the new workers'
// goroutines first run must still be picked up (no lost wake-up).
func TestJobBeforeWorkersStart(t *testing.T) {
	for i := 0; i < 3000; i++ {
		p := NewPool(3)
		p.RunGrain(35, 8, FuncTask(func(lo, hi int) {}))
		p.Close()
	}
}

func TestCheckThreads(t *testing.T) {
	max := MaxThreads()
	if max < 4 || max > 1024 {
		t.Fatalf("MaxThreads() = %d", max)
	}
	for _, n := range []int{0, 1, max} {
		if err := CheckThreads(n); err != nil {
			t.Errorf("CheckThreads(%d) = %v", n, err)
		}
	}
	err := CheckThreads(2147483647)
	want := fmt.Sprintf("--threads 2147483647: at most %d on this machine (4 × %d CPUs)", max, goruntime.NumCPU())
	if max == 1024 {
		want = "--threads 2147483647: at most 1024"
	}
	if err == nil || err.Error() != want {
		t.Errorf("CheckThreads(2147483647) = %v, want %q", err, want)
	}
	if err := CheckThreads(max + 1); err == nil {
		t.Errorf("CheckThreads(%d) accepted", max+1)
	}
	if err := CheckThreads(-1); err == nil || !strings.Contains(err.Error(), "must be positive") {
		t.Errorf("CheckThreads(-1) = %v", err)
	}
}

func TestEnvThreads(t *testing.T) {
	cpus, max := goruntime.NumCPU(), MaxThreads()
	for _, c := range []struct {
		env     string
		want    int
		warning string
	}{
		{"", cpus, ""},
		{"3", 3, ""},
		{"1000000000", max, "CHATUMM_THREADS=1000000000: at most"},
		{"abc", cpus, `CHATUMM_THREADS="abc" is not a positive integer`},
		{"-2", cpus, "not a positive integer"},
		{"0", cpus, "not a positive integer"},
	} {
		t.Setenv("CHATUMM_THREADS", c.env)
		n, err := EnvThreads()
		if n != c.want || DefaultThreads() != c.want {
			t.Errorf("CHATUMM_THREADS=%q: %d threads, want %d", c.env, n, c.want)
		}
		if (c.warning == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.warning)) {
			t.Errorf("CHATUMM_THREADS=%q: warning %v, want one containing %q", c.env, err, c.warning)
		}
	}
}

// TestNewPoolCapsThreads: a huge request (from the flag or the environment)
// gets a pool of MaxThreads(), not an allocation per requested thread.
func TestNewPoolCapsThreads(t *testing.T) {
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	p := NewPool(2147483647)
	defer p.Close()
	goruntime.ReadMemStats(&after)
	if p.Threads() != MaxThreads() {
		t.Errorf("NewPool(2147483647).Threads() = %d, want %d", p.Threads(), MaxThreads())
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("NewPool(2147483647) allocated %d bytes", grew)
	}
	t.Setenv("CHATUMM_THREADS", "1000000000")
	q := NewPool(0)
	defer q.Close()
	if q.Threads() != MaxThreads() {
		t.Errorf("with CHATUMM_THREADS=1000000000, NewPool(0).Threads() = %d, want %d", q.Threads(), MaxThreads())
	}
	n := 0
	var mu sync.Mutex
	q.For(10*MaxThreads(), func(lo, hi int) { mu.Lock(); n += hi - lo; mu.Unlock() })
	if n != 10*MaxThreads() {
		t.Errorf("the capped pool covered %d of %d rows", n, 10*MaxThreads())
	}
}
