package ops

import (
	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// Quantized matvec: ggml's scheme. Each input vector is quantized once per
// call, before the rows are split over the pool, into the 8-bit block
// format the weight type's integer dot product reads (asm.QuantizeAct);
// every row is then one asm.RowsQ over the same bytes whichever thread
// computes it, so results are identical for any thread count. The buffers
// live in the pooled matvecTask and grow to the largest call seen, so a
// decode step allocates nothing.

// actFormat groups the weight types whose dot products read the same
// quantized activations (ggml's vec_dot_type, asm contract A.1): q8_0 for
// Q4_0, Q5_0 and Q8_0; q8_1 for Q4_1 and Q5_1; q8_K for the K types. A
// fused call over, say, Q4_K q/k and a Q6_K v quantizes its input once.
func actFormat(q asm.QType) int {
	switch q {
	case asm.Q4_1, asm.Q5_1:
		return 1
	case asm.Q4_K, asm.Q5_K, asm.Q6_K:
		return 2
	}
	return 0
}

// quantizeInputs fills t.xq for the quantized matrices of t.ws.
func (t *matvecTask) quantizeInputs() {
	nx := len(t.xs)
	// First the byte count: one copy of the inputs per activation format.
	var seen [3]bool
	need := 0
	for _, w := range t.ws {
		if w.Quantized() && !seen[actFormat(w.Q)] {
			seen[actFormat(w.Q)] = true
			need += nx * asm.ActBytes(w.Q, w.Cols)
		}
	}
	if need == 0 {
		return
	}
	if cap(t.qbuf) < need {
		t.qbuf = make([]byte, need)
	}
	if n := len(t.ws) * nx; cap(t.xq) < n {
		t.xq = make([][]byte, n)
	} else {
		t.xq = t.xq[:n]
	}
	var first [3]int // the first matrix of each format, plus one
	at := 0
	for i, w := range t.ws {
		if !w.Quantized() {
			continue
		}
		f := actFormat(w.Q)
		if k := first[f] - 1; k >= 0 {
			copy(t.xq[i*nx:(i+1)*nx], t.xq[k*nx:(k+1)*nx])
			continue
		}
		first[f] = i + 1
		size := asm.ActBytes(w.Q, w.Cols)
		for j, x := range t.xs {
			xq := t.qbuf[at : at+size : at+size]
			asm.QuantizeAct(w.Q, xq, x)
			t.xq[i*nx+j] = xq
			at += size
		}
	}
}

// quantGemmWidens makes Gemm of a quantized W widen it into f32 panels
// (gemmPackQuant) instead of running the integer dot products: exact
// weights times unquantized activations, but not llama.cpp's numerics.
// Off; kept for comparing the two in tests and benchmarks.
var quantGemmWidens = false

// gemmQuant is Gemm for a quantized w: the m rows of x as the vectors of
// one multi-vector matvec (each weight grain is read once for all of them).
// The row views live in the pooled task, so it allocates nothing in steady
// state.
func gemmQuant(p *runtime.Pool, w *Mat, x []float32, m int, y []float32) {
	t := matvecTasks.Get().(*matvecTask)
	t.gx, t.gy = t.gx[:0], t.gy[:0]
	for i := 0; i < m; i++ {
		t.gx = append(t.gx, x[i*w.Cols:(i+1)*w.Cols])
		t.gy = append(t.gy, y[i*w.Rows:(i+1)*w.Rows])
	}
	t.oneW[0] = w
	t.ws, t.xs, t.ys = t.oneW[:1], t.gx, t.gy
	t.tiled = m >= tileMinVectors && asm.HasTile(w.Q)
	t.run(p)
}

// tileMinVectors is the fewest vectors a quantized Gemm runs through packed
// tiles for: packing reads and writes each weight row once, which pays
// when the tile serves at least two groups of four vectors.
const tileMinVectors = 8

// growTiles gives each part of t's split a tile worker with scratch for
// its matrices' rows.
func (t *matvecTask) growTiles() {
	need := 0
	for _, w := range t.ws {
		need = max(need, asm.TileScratchBytes(w.Q, w.Cols))
	}
	for len(t.tiles) < len(t.ranges) {
		t.tiles = append(t.tiles, tileWorker{})
	}
	for k := range t.tiles {
		t.tiles[k].t = t
		if cap(t.tiles[k].scratch) < need {
			t.tiles[k].scratch = make([]byte, need)
		}
		t.tiles[k].scratch = t.tiles[k].scratch[:cap(t.tiles[k].scratch)]
	}
}
