package ops

import (
	"fmt"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// GemmRows is Gemm with the rows of X, not the rows of W, split over the
// pool: each worker runs the whole GEMM, single-threaded, on its own block
// of rows. Gemm's split over W's rows makes every worker pack all of X;
// this one makes every worker widen and pack all of W instead. For a whole
// sequence at once (a vision encoder's 576 patches) X's packing is the
// larger cost, and it is the one that did not shrink with more threads.
//
// The result equals Gemm's bit for bit for any split (each element is
// computed by the same micro-kernel over the same k blocks, edge tiles
// included), so it does not depend on the thread count either. Blocks are
// multiples of the micro-kernel's row count, so no extra edge tiles arise.
func GemmRows(p *runtime.Pool, w *Mat, x []float32, m int, y []float32) {
	checkMat("ops.GemmRows", w)
	if m < 0 || len(x) < m*w.Cols || len(y) < m*w.Rows {
		panic(fmt.Sprintf("ops.GemmRows: m=%d with W %d×%d needs len(x) >= %d and len(y) >= %d, have %d and %d",
			m, w.Rows, w.Cols, m*w.Cols, m*w.Rows, len(x), len(y)))
	}
	mr := asm.Active().GemmMR
	if p == nil || p.Threads() == 1 || m < 2*mr {
		Gemm(p, w, x, m, y)
		return
	}
	t := gemmRowsTasks.get()
	*t = gemmRowsTask{w: w, x: x, y: y}
	p.RunGrain(m, mr, t)
	*t = gemmRowsTask{}
	gemmRowsTasks.put(t)
}

type gemmRowsTask struct {
	w    *Mat
	x, y []float32
}

func (t *gemmRowsTask) Run(lo, hi int) {
	K, N := t.w.Cols, t.w.Rows
	Gemm(nil, t.w, t.x[lo*K:hi*K], hi-lo, t.y[lo*N:hi*N])
}

var gemmRowsTasks gemmFreeList[gemmRowsTask]
