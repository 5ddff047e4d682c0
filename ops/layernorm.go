package ops

import (
	"fmt"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// Row-wise helpers for transformers that run on a whole sequence at once (a
// vision encoder): LayerNorm of every row, and the bias of a Linear layer
// added to every row of its GEMM output.

// layerNormTask normalises rows [lo, hi) of a [rows, d] matrix.
type layerNormTask struct {
	dst, x, w, b []float32
	d            int
	eps          float32
}

func (t *layerNormTask) Run(lo, hi int) {
	for r := lo; r < hi; r++ {
		LayerNorm(t.dst[r*t.d:(r+1)*t.d], t.x[r*t.d:(r+1)*t.d], t.w, t.b, t.eps)
	}
}

// LayerNormRows applies LayerNorm (with affine w and b, each of length d =
// len(w)) to each of the rows rows of x, writing dst; dst may alias x. b may
// be nil. Rows are split over the pool and each is computed as LayerNorm
// computes it, so the result does not depend on the thread count.
func LayerNormRows(p *runtime.Pool, dst, x []float32, rows int, w, b []float32, eps float32) {
	d := len(w)
	if rows < 0 || len(x) < rows*d || len(dst) < rows*d || (b != nil && len(b) != d) {
		panic(fmt.Sprintf("ops.LayerNormRows: %d rows of %d need len(x), len(dst) >= %d and a bias of %d, have %d, %d and %d",
			rows, d, rows*d, d, len(x), len(dst), len(b)))
	}
	t := &layerNormTask{dst: dst, x: x, w: w, b: b, d: d, eps: eps}
	if p == nil {
		t.Run(0, rows)
		return
	}
	p.Run(rows, t)
}

// AddBias adds b to each of the rows rows of y ([rows, len(b)]): the bias
// of a Linear layer after the GEMM, which has none.
func AddBias(y []float32, rows int, b []float32) {
	d := len(b)
	if len(y) < rows*d {
		panic(fmt.Sprintf("ops.AddBias: %d rows of %d need len(y) >= %d, have %d", rows, d, rows*d, len(y)))
	}
	for r := 0; r < rows; r++ {
		row := y[r*d : (r+1)*d]
		asm.Add(row, row, b)
	}
}

// AddInto adds x to dst element by element (len(x) == len(dst)): a
// residual connection.
func AddInto(dst, x []float32) {
	if len(x) != len(dst) {
		panic(fmt.Sprintf("ops.AddInto: lengths %d and %d differ", len(dst), len(x)))
	}
	asm.Add(dst, dst, x)
}
