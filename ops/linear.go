package ops

import (
	"sync"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// rowGrain is how many weight rows a worker takes at a time: 16 rows of a
// 2048-wide f16 matrix are 64 KiB, enough to amortise the hand-off.
const rowGrain = 16

// matvecTask computes y[lo:hi] of one or several vectors. Tasks come from a
// sync.Pool so a call allocates nothing in steady state.
type matvecTask struct {
	w      *Mat
	xs, ys [][]float32
	one    [1][]float32 // backing for the single-vector case
	oneY   [1][]float32
}

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

// Run takes blocks of rowGrain rows and applies each block to every vector
// before moving on, so the block is read from memory once and stays in
// cache for the other vectors.
func (t *matvecTask) Run(lo, hi int) {
	for b := lo; b < hi; b += rowGrain {
		e := min(b+rowGrain, hi)
		for i, x := range t.xs {
			rows(t.w, x, t.ys[i], b, e)
		}
	}
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
	t := matvecTasks.Get().(*matvecTask)
	t.w = w
	t.one[0], t.oneY[0] = x, y
	t.xs, t.ys = t.one[:], t.oneY[:]
	p.RunGrain(w.Rows, rowGrain, t)
	*t = matvecTask{}
	matvecTasks.Put(t)
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
	t := matvecTasks.Get().(*matvecTask)
	t.w, t.xs, t.ys = w, xs, ys
	p.RunGrain(w.Rows, rowGrain, t)
	*t = matvecTask{}
	matvecTasks.Put(t)
}
