package ops

import (
	"sync"
	"sync/atomic"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// rowGrain is how many weight rows are applied to every vector before moving
// on: 16 rows of a 2048-wide f16 matrix are 64 KiB, which stay in L2 while
// the other vectors of a batch read them.
const rowGrain = 16

// claimRows is how many rows a thread claims at a time. The chunks are dealt
// out as one contiguous range per thread, which each thread claims from the
// front, so every thread reads its part of the weights as one linear stream.
// That streamed faster than one shared counter (chunks interleaved between
// the threads) at 2 threads on cold weights (docs/PERFORMANCE.md). A thread
// that runs out steals single chunks from the back of the others' ranges,
// so a thread the OS descheduled (a busy machine) does not leave the other
// one waiting: the one that runs takes over the rest. 64 rows of a
// 2048-wide f16 matrix are 256 KiB, so a claim (one compare-and-swap) is
// rare next to the streaming. Chunk boundaries depend on the shapes alone,
// never on the thread count, so every row is computed the same way whoever
// claims it.
const claimRows = 64

// maxMatVecMats bounds how many matrices one fused matvec covers (q/k/v).
const maxMatVecMats = 4

// matvecTask computes ys[i*len(xs)+j] = ws[i]·xs[j] over the rows of all
// ws, which share their column count. Tasks come from a sync.Pool so a call
// allocates nothing in steady state.
type matvecTask struct {
	ws     []*Mat
	xs, ys [][]float32
	// firstChunk[i] is the index of ws[i]'s first chunk; the last entry is
	// the total.
	firstChunk [maxMatVecMats + 1]int
	ranges     []chunkRange // one per part of the pool's split

	oneW       [maxMatVecMats]*Mat // backing for the slices of simple calls
	oneX, oneY [maxMatVecMats][]float32

	// xq[i*len(xs)+j] is xs[j] quantized for quantized ws[i] (nil for
	// the others), carved out of qbuf (quant.go).
	xq   [][]byte
	qbuf []byte
	// gx, gy: the row views of a quantized Gemm (gemmQuant).
	gx, gy [][]float32
	// tiled: a quantized Gemm through packed tiles (asm.RowsQTiled), each
	// part k of the split packing into tiles[k]'s scratch.
	tiled bool
	tiles []tileWorker
}

// tileWorker computes chunks through packed tiles with its own scratch.
type tileWorker struct {
	t       *matvecTask
	scratch []byte
}

func (w *tileWorker) chunk(c int) { w.t.chunkTiled(c, w.scratch) }

var matvecTasks = sync.Pool{New: func() any { return new(matvecTask) }}

// rows computes y[r] for r in [lo, hi) of one vector.
func rows(w *Mat, x, y []float32, lo, hi int) {
	if lo >= hi {
		return
	}
	c := w.Cols
	switch w.DType {
	case F16:
		asm.RowsF16(w.U16[lo*c:hi*c], c, x, y[lo:hi])
	case BF16:
		asm.RowsBF16(w.U16[lo*c:hi*c], c, x, y[lo:hi])
	default:
		asm.RowsF32(w.F32[lo*c:hi*c], c, x, y[lo:hi])
	}
}

// rowsMulti computes ys[j][r] = W·xs[j] for r in [lo, hi) and every j.
func rowsMulti(w *Mat, xs, ys [][]float32, lo, hi int) {
	switch w.DType {
	case F16:
		asm.RowsF16Multi(w.U16, w.Cols, xs, ys, lo, hi)
	case BF16:
		asm.RowsBF16Multi(w.U16, w.Cols, xs, ys, lo, hi)
	default:
		asm.RowsF32Multi(w.F32, w.Cols, xs, ys, lo, hi)
	}
}

// chunkRange is the unclaimed chunks [front, back) of one thread's part,
// packed into one word (front in the low half) so that the owner taking
// the front and a thief taking the back cannot both get the last chunk.
type chunkRange struct {
	fb atomic.Uint64
	_  [56]byte // one cache line each: the owners claim side by side
}

func (r *chunkRange) set(front, back int) { r.fb.Store(uint64(back)<<32 | uint64(front)) }

// take claims the front chunk (fromBack false) or the back one; ok is false
// when the range is empty.
func (r *chunkRange) take(fromBack bool) (c int, ok bool) {
	for {
		v := r.fb.Load()
		front, back := uint32(v), uint32(v>>32)
		if front >= back {
			return 0, false
		}
		next, chunk := v+1, int(front)
		if fromBack {
			next, chunk = v-1<<32, int(back-1)
		}
		if r.fb.CompareAndSwap(v, next) {
			return chunk, true
		}
	}
}

// dealRanges splits chunks [0, total) into one contiguous range per thread
// of p (at least one), reusing ranges' storage.
func dealRanges(ranges []chunkRange, total int, p *runtime.Pool) []chunkRange {
	parts := max(1, min(p.Threads(), total))
	if cap(ranges) < parts {
		ranges = make([]chunkRange, parts)
	}
	ranges = ranges[:parts]
	for k := range ranges {
		ranges[k].set(total*k/parts, total*(k+1)/parts)
	}
	return ranges
}

// chunkWorker computes one chunk of a task split by dealRanges.
type chunkWorker interface{ chunk(c int) }

// claimChunks computes the chunks of parts [lo, hi) front to back, then
// steals what is left of the other parts from their backs.
func claimChunks(ranges []chunkRange, lo, hi int, w chunkWorker) {
	for k := lo; k < hi; k++ {
		for {
			c, ok := ranges[k].take(false)
			if !ok {
				break
			}
			w.chunk(c)
		}
	}
	for k := range ranges {
		for {
			c, ok := ranges[k].take(true)
			if !ok {
				break
			}
			w.chunk(c)
		}
	}
}

// Run computes this thread's part (see claimChunks).
func (t *matvecTask) Run(lo, hi int) {
	if t.tiled {
		claimChunks(t.ranges, lo, hi, &t.tiles[lo])
		return
	}
	claimChunks(t.ranges, lo, hi, t)
}

// chunkOf returns the matrix index and rows [r0, r1) of chunk c.
func (t *matvecTask) chunkOf(c int) (i, r0, r1 int) {
	for c >= t.firstChunk[i+1] {
		i++
	}
	r0 = (c - t.firstChunk[i]) * claimRows
	return i, r0, min(r0+claimRows, t.ws[i].Rows)
}

// chunkTiled computes chunk c of a quantized matrix for every vector
// through packed tiles, all of its rows at once (each tile is packed once
// and read for every vector).
func (t *matvecTask) chunkTiled(c int, scratch []byte) {
	nx := len(t.xs)
	i, r0, r1 := t.chunkOf(c)
	w := t.ws[i]
	asm.RowsQTiled(w.Q, w.Raw, w.RowBytes(), t.xq[i*nx:(i+1)*nx], w.Cols, t.ys[i*nx:(i+1)*nx], r0, r1, scratch)
}

// chunk computes chunk c: claimRows rows of one matrix for every vector.
func (t *matvecTask) chunk(c int) {
	nx := len(t.xs)
	i, r0, r1 := t.chunkOf(c)
	w := t.ws[i]
	for b := r0; b < r1; b += rowGrain {
		e := min(b+rowGrain, r1)
		if w.Quantized() {
			// Each weight block read once for up to four vectors (guided
			// decoding, prefill); every result has the bits of one RowsQ.
			asm.RowsQMulti(w.Q, w.Raw, w.RowBytes(), t.xq[i*nx:(i+1)*nx], w.Cols, t.ys[i*nx:(i+1)*nx], b, e)
			continue
		}
		if nx == 1 {
			rows(w, t.xs[0], t.ys[i], b, e)
			continue
		}
		// Each weight row read once for up to three vectors; every result
		// has the bits of rows.
		rowsMulti(w, t.xs, t.ys[i*nx:(i+1)*nx], b, e)
	}
}

// run splits the chunks of t.ws over the pool and returns t to the free list.
func (t *matvecTask) run(p *runtime.Pool) {
	total := 0
	for i, w := range t.ws {
		t.firstChunk[i] = total
		total += (w.Rows + claimRows - 1) / claimRows
	}
	t.firstChunk[len(t.ws)] = total
	t.quantizeInputs()
	t.ranges = dealRanges(t.ranges, total, p)
	if t.tiled {
		t.growTiles()
	}
	p.RunGrain(len(t.ranges), 1, t)
	t.ws, t.xs, t.ys, t.tiled = nil, nil, nil, false
	clear(t.xq)
	clear(t.gx)
	clear(t.gy)
	t.oneW, t.oneX, t.oneY = [maxMatVecMats]*Mat{}, [maxMatVecMats][]float32{}, [maxMatVecMats][]float32{}
	matvecTasks.Put(t)
}

func checkMatVec(w *Mat, x, y []float32) {
	if len(x) != w.Cols || len(y) != w.Rows {
		panic("ops: MatVec shapes do not match the weight matrix")
	}
}

// MatVec computes y = W·x, splitting the rows over the pool. Every row is a
// dot product computed the same way whatever the split, so results are
// identical for any thread count.
func MatVec(p *runtime.Pool, w *Mat, x, y []float32) {
	checkMatVec(w, x, y)
	if w.ColMajor {
		colMatVec(p, w, x, y)
		return
	}
	t := matvecTasks.Get().(*matvecTask)
	t.oneW[0], t.oneX[0], t.oneY[0] = w, x, y
	t.ws, t.xs, t.ys = t.oneW[:1], t.oneX[:1], t.oneY[:1]
	t.run(p)
}

// MatVecMulti computes ys[i] = W·xs[i] for a few vectors (the sequences of
// classifier-free guidance, or a short prefill) with one pass over the
// weights.
func MatVecMulti(p *runtime.Pool, w *Mat, xs, ys [][]float32) {
	if len(xs) != len(ys) {
		panic("ops: MatVecMulti needs as many outputs as inputs")
	}
	for i := range xs {
		checkMatVec(w, xs[i], ys[i])
	}
	if w.ColMajor {
		colMatVecMulti(p, w, xs, ys)
		return
	}
	t := matvecTasks.Get().(*matvecTask)
	t.oneW[0] = w
	t.ws, t.xs, t.ys = t.oneW[:1], xs, ys
	t.run(p)
}

// MatVecFused computes ys[i*len(xs)+j] = ws[i]·xs[j] for up to four
// matrices of equal width applied to the same few vectors (the q, k and v
// projections, or gate and up) as one parallel pass: one hand-off to the
// pool instead of one per matrix, and the small matrices (k and v of
// grouped-query attention) no longer leave a thread idle at their end. Each
// row is computed exactly as MatVecMulti computes it.
func MatVecFused(p *runtime.Pool, ws []*Mat, xs, ys [][]float32) {
	if len(ws) == 0 || len(ws) > maxMatVecMats || len(ys) != len(ws)*len(xs) {
		panic("ops: MatVecFused needs 1 to 4 matrices and one output per matrix and input")
	}
	for i, w := range ws {
		for j, x := range xs {
			checkMatVec(w, x, ys[i*len(xs)+j])
		}
	}
	for _, w := range ws {
		if w.ColMajor { // not a fused layout: each matrix on its own
			for k, v := range ws {
				MatVecMulti(p, v, xs, ys[k*len(xs):(k+1)*len(xs)])
			}
			return
		}
	}
	t := matvecTasks.Get().(*matvecTask)
	t.ws, t.xs, t.ys = ws, xs, ys
	t.run(p)
}
