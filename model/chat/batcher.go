package chat

import (
	"fmt"
	"sync"
	"time"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/ops"
	"github.com/klauspost/cpuid/v2"
)

// A Batcher steps the decoding conversations of one model together: the
// decode step of each conversation attached to it (one row for a text
// token, two or three for a guided image token) waits until every
// conversation that is generating has asked for its step, and then all of
// them run as one Model.StepBatch, so each weight matrix is read from memory
// once per step for all of them instead of once per conversation. On a
// model whose weights do not fit the caches a decode step is bound by that
// read, so N conversations step in about the time of one.
//
// Each row of a batch is computed exactly as it is alone (the decoder's
// multi-vector matvec gives every vector the bits of a single matvec, up to
// maxBatchRows rows), so a conversation generates the same tokens with or
// without a Batcher and whoever else is generating.
//
// A Conversation uses its Batcher only while it is in Reply's decode loop,
// and stands aside (is not waited for) while it prefills, draws
// speculatively or hands a finished picture to its caller. Its own step
// then runs alone.
type Batcher struct {
	m *model.Model

	mu      sync.Mutex
	queue   []*stepRequest
	active  int           // conversations in a decode loop, not standing aside
	first   time.Time     // when the oldest queued request came
	free    time.Time     // when the last forward ended
	wait    time.Duration // how long a step may wait for the others
	running bool          // a forward is under way (the loop's or a lone step's)
	closed  bool
	wake    chan struct{} // a request came, a generator left, a forward ended, or Close

	// The views of one forward, reused every step.
	batch   []*stepRequest
	states  []*decoder.State
	ids     []int
	logits  [][]float32
	batches int // forwards the loop ran (tests see that steps were batched)
	rows    int // rows they covered
	alone   int // steps of a lone generator, run at once on its own goroutine
	done    chan struct{}
}

// maxBatchRows is the most rows one batched forward takes. The decoder
// multiplies up to four rows with the multi-vector matvec, which computes
// every row as a single matvec does; more rows take the GEMM, whose
// blocked sums differ in the last bits for float weights. More waiting
// rows run as several forwards of at most four.
const maxBatchRows = 4

// How long the waiting steps wait for the other generators: a quarter of
// the last forward pass, at least batchWait and at most maxBatchWait,
// counted from when the oldest came or the last forward ended, whichever
// is later. A generator that has not asked by then is busy with something
// else and the steps that are waiting run without it, which costs them at
// most a quarter of a step. The wait must outlast the sampling and
// streaming every generator does between two steps (milliseconds on two
// busy cores): with a fixed 2 ms one slot could miss it, run alone, and
// two slots then alternated single-row forwards for the rest of their
// replies. It is counted from the end of the last forward, not from when a
// step came, because a step that came while a forward ran has not waited
// for anyone: the generators in that forward were not free to ask. Counted
// from its arrival, it ran alone at once after every forward while the
// others were still sampling, and four slots settled into alternating
// forwards of one and three rows.
const (
	batchWait    = 2 * time.Millisecond
	maxBatchWait = 50 * time.Millisecond
)

// stepRequest is one conversation's step: its states (the conversation's
// own first, then any guidance sequences), one token each and where their
// logits go. A Conversation owns one and reuses it every step.
type stepRequest struct {
	states []*decoder.State
	ids    []int
	logits [][]float32
	joined bool // from a generator the batcher counts as active
	err    error
	done   chan struct{} // receives when the step has run
}

func newStepRequest() *stepRequest { return &stepRequest{done: make(chan struct{}, 1)} }

// NewBatcher starts the batcher of m; Close stops it. A family whose
// decode steps take input vectors or have their own heads (Janus) is not
// batched across conversations and gets an error, as does a model whose
// MLP width the SIMD activation kernels would split differently for a
// batch than for one row.
func NewBatcher(m *model.Model) (*Batcher, error) {
	if m.T == nil {
		return nil, fmt.Errorf("%s: the checkpoint has no transformer", m.Path)
	}
	if m.Janus != nil {
		return nil, fmt.Errorf("%s: %s models are not batched across conversations", m.Path, m.Family().Name())
	}
	// SwiGLU runs over the rows of a batch as one vector; every row starts
	// on a SIMD boundary (so gets the bits it gets alone) only when the
	// width is a multiple of the widest vector (16 floats).
	if m.Cfg.FFN%16 != 0 {
		return nil, fmt.Errorf("%s: MLP width %d is not a multiple of 16, so a batched step would round differently", m.Path, m.Cfg.FFN)
	}
	b := &Batcher{m: m, wait: batchWait, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go b.loop()
	return b, nil
}

// BatchingPays reports whether stepping the conversations of m together
// is worth it on this machine: when one decode step reads more weight
// bytes than the last-level cache holds, each step streams them from
// memory and a batch shares that read. A model that stays in the cache is
// bound by arithmetic, which a batch does not share, and would only pay
// for the waiting.
func BatchingPays(m *model.Model) bool {
	cache := max(cpuid.CPU.Cache.L3, cpuid.CPU.Cache.L2, 8<<20)
	return m.T != nil && m.Janus == nil && StepWeightBytes(m.T) > int64(cache)
}

// StepWeightBytes is how many bytes of weights one decode step of t reads:
// every layer's matrices (all experts of a Mixture-of-Transformers model,
// the most a batch can touch) and the output head.
func StepWeightBytes(t *decoder.Transformer) int64 {
	n := matBytes(t.LMHead)
	for li := range t.Layers {
		for _, e := range t.Layers[li].Experts {
			for _, w := range []*ops.Mat{e.Q, e.K, e.V, e.O, e.Gate, e.Up, e.Down} {
				n += matBytes(w)
			}
		}
	}
	return n
}

func matBytes(w *ops.Mat) int64 {
	switch {
	case w == nil:
		return 0
	case w.Quantized():
		return int64(w.Rows) * int64(w.RowBytes())
	}
	return int64(w.Rows) * int64(w.Cols) * int64(w.DType.Size())
}

// Close stops the batcher once the steps already asked for have run. A
// step asked for afterwards runs alone.
func (b *Batcher) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.mu.Unlock()
	b.signal()
	<-b.done
}

// Stats reports how many batched forwards ran and how many rows they
// covered in all.
func (b *Batcher) Stats() (forwards, rows int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.batches, b.rows
}

// LoneSteps reports how many steps ran at once on their generator's own
// goroutine because no other generator was active (no wait, no batch).
func (b *Batcher) LoneSteps() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.alone
}

func (b *Batcher) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// join counts a generator as active: its steps are waited for.
func (b *Batcher) join() {
	b.mu.Lock()
	b.active++
	b.mu.Unlock()
}

// leave stops waiting for a generator; steps waiting for it may run now.
func (b *Batcher) leave() {
	b.mu.Lock()
	b.active--
	b.mu.Unlock()
	b.signal()
}

// step runs r in the next batch and returns its own error. A lone
// generator (no other is active, none is queued, no forward is under way)
// steps at once on its own goroutine, with no wait and no hand-off. It
// does not watch a context: once queued the step takes at most the
// forward under way, maxBatchWait and its own forward, and the states
// must not change while a forward may use them, so a cancelled generation
// stops after its step (Reply checks its context between tokens).
func (b *Batcher) step(r *stepRequest) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return b.m.StepBatch(r.states, r.ids, r.logits)
	}
	if b.active <= 1 && len(b.queue) == 0 && !b.running {
		return b.stepAlone(r)
	}
	if len(b.queue) == 0 {
		b.first = time.Now()
	}
	b.queue = append(b.queue, r)
	b.mu.Unlock()
	b.signal()
	<-r.done
	return r.err
}

// stepAlone runs a lone generator's step; b.mu is held and is released.
// While it runs, a generator that joins queues its step for the loop,
// which waits for this one to ask again before it steps them together.
func (b *Batcher) stepAlone(r *stepRequest) error {
	b.running = true
	b.alone++
	b.mu.Unlock()
	start := time.Now()
	err := b.m.StepBatch(r.states, r.ids, r.logits)
	b.finished(time.Since(start))
	return err
}

// finished records the end of a forward that took d.
func (b *Batcher) finished(d time.Duration) {
	b.mu.Lock()
	b.running = false
	b.free = time.Now()
	b.wait = min(max(d/4, batchWait), maxBatchWait)
	b.mu.Unlock()
	b.signal()
}

// deadline is when the queued steps stop waiting for the others.
func (b *Batcher) deadline() time.Time {
	from := b.first
	if b.free.After(from) {
		from = b.free
	}
	return from.Add(b.wait)
}

// ready says whether the queued steps should run now: no forward is under
// way, and every active generator has asked, a full batch is waiting, the
// deadline has passed, or the batcher is closing.
func (b *Batcher) ready() bool {
	switch {
	case len(b.queue) == 0:
		return false
	case b.closed:
		return true // a lone step may still run; the queued ones need not wait for it
	case b.running:
		return false
	}
	joined, rows := 0, 0
	for _, r := range b.queue {
		if r.joined {
			joined++
		}
		rows += len(r.states)
	}
	return joined >= b.active || rows >= maxBatchRows || !time.Now().Before(b.deadline())
}

// loop runs batches until Close.
func (b *Batcher) loop() {
	defer close(b.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		b.mu.Lock()
		for !b.ready() {
			if b.closed {
				b.mu.Unlock()
				return
			}
			var timeout <-chan time.Time
			if len(b.queue) > 0 && !b.running {
				timer.Reset(time.Until(b.deadline()))
				timeout = timer.C
			}
			b.mu.Unlock()
			select {
			case <-b.wake:
			case <-timeout:
			}
			timer.Stop()
			b.mu.Lock()
		}
		b.take()
		b.mu.Unlock()
		b.run()
	}
}

// take moves the oldest queued requests, up to maxBatchRows rows (always
// at least one request), into b.batch. b.mu is held.
func (b *Batcher) take() {
	b.batch = b.batch[:0]
	rows, n := 0, 0
	for _, r := range b.queue {
		if n > 0 && rows+len(r.states) > maxBatchRows {
			break
		}
		b.batch = append(b.batch, r)
		rows += len(r.states)
		n++
	}
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	b.running = true // the rest wait behind this forward (deadline counts from its end)
	b.batches++
	b.rows += rows
}

// run steps b.batch as one forward and wakes each requester. When the
// batch fails (a state whose context is full, a bad token) nothing has
// changed, so each request runs alone and gets its own error: one bad
// request cannot fail the others.
func (b *Batcher) run() {
	b.states, b.ids, b.logits = b.states[:0], b.ids[:0], b.logits[:0]
	for _, r := range b.batch {
		b.states = append(b.states, r.states...)
		b.ids = append(b.ids, r.ids...)
		b.logits = append(b.logits, r.logits...)
	}
	start := time.Now()
	if len(b.batch) > 1 && b.m.StepBatch(b.states, b.ids, b.logits) == nil {
		for _, r := range b.batch {
			r.err = nil
		}
	} else {
		for _, r := range b.batch {
			r.err = b.m.StepBatch(r.states, r.ids, r.logits)
		}
	}
	b.finished(time.Since(start))
	for _, r := range b.batch {
		r.done <- struct{}{}
	}
	clear(b.batch)
	clear(b.states)
	clear(b.logits)
}

// The Conversation's side.

// batchJoin counts c as a generator its Batcher waits for (Reply's decode
// loop).
func (c *Conversation) batchJoin() {
	if c.Batcher != nil && !c.inBatch {
		c.Batcher.join()
		c.inBatch = true
	}
}

// batchLeave stops c's Batcher waiting for it.
func (c *Conversation) batchLeave() {
	if c.inBatch {
		c.Batcher.leave()
		c.inBatch = false
	}
}

// standAside leaves the batch for a piece of work that is not a decode
// step (a prefill, speculative drawing, handing out a picture), so the
// other generators do not wait for c meanwhile; it reports whether c must
// rejoin (batchJoin) afterwards.
func (c *Conversation) standAside() bool {
	if !c.inBatch {
		return false
	}
	c.batchLeave()
	return true
}

// stepBatch is Model.StepBatch through c's Batcher while c is in a decode
// loop, so the step shares its forward pass with the other generators'.
func (c *Conversation) stepBatch(states []*decoder.State, ids []int, logits [][]float32) error {
	if !c.inBatch {
		return c.M.StepBatch(states, ids, logits)
	}
	if c.breq == nil {
		c.breq = newStepRequest()
	}
	r := c.breq
	r.states, r.ids, r.logits, r.joined = states, ids, logits, true
	err := c.Batcher.step(r)
	r.states, r.ids, r.logits = nil, nil, nil
	return err
}

// syncStep is sync for the one token feed appended: a decode step, shared
// with the other generators when c is in a batch.
func (c *Conversation) syncStep() error {
	if !c.inBatch || c.cached != len(c.tokens)-1 || c.state.Len != c.cached || c.M.Proto.Image.Features {
		return c.sync()
	}
	c.one.states[0], c.one.ids[0], c.one.logits[0] = c.state, c.tokens[c.cached], c.logits
	c.prefilled++
	err := c.stepBatch(c.one.states[:], c.one.ids[:], c.one.logits[:])
	c.one.states[0], c.one.logits[0] = nil, nil
	if err != nil {
		c.logitsValid = false
		return err
	}
	c.cached++
	c.logitsValid = true
	return nil
}

// oneStep is the backing of a one-state step's slices, reused every token.
type oneStep struct {
	states [1]*decoder.State
	ids    [1]int
	logits [1][]float32
}
