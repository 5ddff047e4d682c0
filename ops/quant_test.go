package ops

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

var allQTypes = []asm.QType{asm.Q4_0, asm.Q4_1, asm.Q5_0, asm.Q5_1, asm.Q8_0, asm.Q4_K, asm.Q5_K, asm.Q6_K}

// randQuantMat makes a rows×cols matrix of q whose blocks are random bytes
// with sane f16 scales (and mins) where ggml's block layout puts them, so
// every nibble, high bit and sub-block scale pattern occurs.
func randQuantMat(rng *rand.Rand, q asm.QType, rows, cols int) *Mat {
	m := &Mat{Q: q, Rows: rows, Cols: cols}
	m.Raw = make([]byte, rows*m.RowBytes())
	for i := range m.Raw {
		m.Raw[i] = byte(rng.Uint32())
	}
	scale := func(b []byte, off int, v float64) {
		binary.LittleEndian.PutUint16(b[off:], asm.ToF16(float32(v)))
	}
	bb := q.BlockBytes()
	for at := 0; at < len(m.Raw); at += bb {
		b := m.Raw[at : at+bb]
		d := 0.002 + 0.01*rng.Float64()
		switch q {
		case asm.Q4_1, asm.Q5_1:
			scale(b, 0, d)
			scale(b, 2, -0.05+0.1*rng.Float64()) // m
		case asm.Q4_K, asm.Q5_K:
			scale(b, 0, d/8)
			scale(b, 2, d/16) // dmin
		case asm.Q6_K:
			scale(b, 208, d/16)
		default:
			scale(b, 0, d)
		}
	}
	return m
}

// dequantized is m's f32 copy through asm.DequantizeRow: the reference
// weights.
func dequantized(m *Mat) *Mat {
	out := &Mat{DType: F32, Rows: m.Rows, Cols: m.Cols, F32: make([]float32, m.Rows*m.Cols)}
	for r := 0; r < m.Rows; r++ {
		m.RowInto(out.F32[r*m.Cols:(r+1)*m.Cols], r)
	}
	return out
}

// actBlock is the block length of the activation format q reads.
func actBlock(q asm.QType) int { return q.BlockElems() }

// refMatVec computes, for each row, dot(w, x) in float64 from the
// dequantized weights, and the largest error activation quantization can
// add to it. Each activation block is rounded to 8 bits with step
// d = amax/127, so |x - x̂| <= d/2 = amax/254 per value; d is stored in
// f16 for q8_0 and q8_1 (a relative error up to 2^-11 on each x̂, at most
// amax/1024 more). q8_1 also carries s = d·Σq in f16, which Q4_1 and Q5_1
// multiply by their block minimum m: |m|·32·amax/2048 more per block. On
// top, float32 summation: 1e-5 of Σ|w·x|.
func refMatVec(q asm.QType, deq *Mat, raw []byte, x []float32) (want, tol []float64) {
	be := actBlock(q)
	want, tol = make([]float64, deq.Rows), make([]float64, deq.Rows)
	rb := deq.Cols / q.BlockElems() * q.BlockBytes()
	for r := 0; r < deq.Rows; r++ {
		w := deq.F32[r*deq.Cols : (r+1)*deq.Cols]
		var sum, abs, bound float64
		for b0 := 0; b0 < deq.Cols; b0 += be {
			var amax, wabs float64
			for i := b0; i < b0+be; i++ {
				amax = max(amax, math.Abs(float64(x[i])))
				wabs += math.Abs(float64(w[i]))
				sum += float64(w[i]) * float64(x[i])
				abs += math.Abs(float64(w[i]) * float64(x[i]))
			}
			bound += amax * wabs * (1.0/254 + 1.0/1024)
			if q == asm.Q4_1 || q == asm.Q5_1 {
				off := r*rb + b0/be*q.BlockBytes() + 2
				m := float64(asm.F16(binary.LittleEndian.Uint16(raw[off:])))
				bound += math.Abs(m) * 32 * amax / 2048
			}
		}
		want[r], tol[r] = sum, bound+1e-5*abs+1e-6
	}
	return want, tol
}

// checkAgainst fails when a row is off by more than its bound and returns
// the largest |diff|/bound seen.
func checkAgainst(t *testing.T, label string, got []float32, want, tol []float64) float64 {
	t.Helper()
	worst := 0.0
	for r := range want {
		d := math.Abs(float64(got[r]) - want[r])
		if !(d <= tol[r]) {
			t.Fatalf("%s: row %d = %g, dequantized f32 reference %g (|diff| %.3g > bound %.3g)", label, r, got[r], want[r], d, tol[r])
		}
		worst = max(worst, d/tol[r])
	}
	return worst
}

// quantShapes: rows that end mid-chunk and mid-grain; columns of one
// block, several blocks, and (32-value types) an odd count of blocks.
func quantShapes(q asm.QType) [][2]int {
	if q.BlockElems() == 256 {
		return [][2]int{{3, 256}, {2*claimRows + 19, 768}}
	}
	return [][2]int{{3, 32}, {claimRows + 7, 96}, {2*claimRows + 19, 512}}
}

// TestQuantMatVec: MatVec, MatVecMulti and MatVecFused of every block type
// against the dequantize-to-f32 reference, within the activation
// quantization error bound; RowInto is DequantizeRow of the row.
func TestQuantMatVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 1))
	p := runtime.NewPool(2)
	defer p.Close()
	for _, q := range allQTypes {
		for _, sh := range quantShapes(q) {
			rows, cols := sh[0], sh[1]
			label := fmt.Sprintf("%v %d×%d", q, rows, cols)
			w := randQuantMat(rng, q, rows, cols)
			deq := dequantized(w)
			row := make([]float32, cols)
			asm.DequantizeRow(q, row, w.Raw[(rows-1)*w.RowBytes():])
			for c := range row {
				if deq.F32[(rows-1)*cols+c] != row[c] {
					t.Fatalf("%s: RowInto differs from DequantizeRow at %d", label, c)
				}
			}
			xs := [][]float32{coreVec(rng, cols), coreVec(rng, cols), coreVec(rng, cols)}
			xs[2][cols/2] = 40 // one outlier: its block's step is coarse
			y := make([]float32, rows)
			MatVec(p, w, xs[0], y)
			want, tol := refMatVec(q, deq, w.Raw, xs[0])
			worst := checkAgainst(t, label+" MatVec", y, want, tol)
			ys := [][]float32{make([]float32, rows), make([]float32, rows), make([]float32, rows)}
			MatVecMulti(p, w, xs, ys)
			for j := range xs {
				want, tol := refMatVec(q, deq, w.Raw, xs[j])
				worst = max(worst, checkAgainst(t, fmt.Sprintf("%s MatVecMulti[%d]", label, j), ys[j], want, tol))
			}
			// The bound is a worst case; typical errors are a fraction of it,
			// but not a vanishing one (activations really are quantized).
			t.Logf("%s: largest |diff| is %.2f of the bound", label, worst)
			if worst < 1e-3 {
				t.Errorf("%s: errors are %.2g of the bound: were the activations quantized at all?", label, worst)
			}
		}
	}
}

// TestQuantMatVecFusedMixed: one fused call over matrices of different
// types and activation formats (as a Q4_K_M file mixes Q4_K and Q6_K, and
// a model may mix f16) gives for each what MatVecMulti gives alone.
func TestQuantMatVecFusedMixed(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 2))
	const cols = 512
	ws := []*Mat{randQuantMat(rng, asm.Q4_K, claimRows+3, cols), randQuantMat(rng, asm.Q6_K, 17, cols),
		randQuantMat(rng, asm.Q5_1, 40, cols), randMatOf(rng, F16, 9, cols)}
	xs := [][]float32{coreVec(rng, cols), coreVec(rng, cols)}
	var want [][]float32
	for _, w := range ws {
		ys := [][]float32{make([]float32, w.Rows), make([]float32, w.Rows)}
		MatVecMulti(nil, w, xs, ys)
		want = append(want, ys...)
	}
	for _, threads := range []int{1, 2, 3} {
		p := runtime.NewPool(threads)
		var got [][]float32
		for _, w := range ws {
			got = append(got, make([]float32, w.Rows), make([]float32, w.Rows))
		}
		MatVecFused(p, ws, xs, got)
		p.Close()
		for i := range want {
			for r := range want[i] {
				if got[i][r] != want[i][r] {
					t.Fatalf("threads=%d: output %d (%s) row %d = %g, MatVecMulti gives %g", threads, i, ws[i/2].TypeString(), r, got[i][r], want[i][r])
				}
			}
		}
	}
}

// TestQuantGemm: the GEMM of a quantized weight gives, bit for bit, what
// the matvec gives for each row of X (so a prefill's logits are those of
// token-by-token decoding), or, where the path runs the type through packed
// tiles (asm.HasTile, m >= tileMinVectors), what the generic path's matvec
// gives; with quantGemmWidens it is the f32 GEMM of the dequantized copy
// (the panels hold the same values).
func TestQuantGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 3))
	p := runtime.NewPool(2)
	defer p.Close()
	defer func() { quantGemmWidens = false }()
	saved := asm.Active().Name
	defer asm.Use(saved)
	for _, q := range allQTypes {
		for _, sh := range [][2]int{{37, 256}, {2*claimRows + 19, 1280}} {
			rows, cols := sh[0], sh[1]
			w := randQuantMat(rng, q, rows, cols)
			for _, m := range []int{5, 9} {
				x := coreVec(rng, m*cols)
				got := make([]float32, m*rows)
				quantGemmWidens = false
				Gemm(p, w, x, m, got)
				ref := saved
				if m >= tileMinVectors && asm.HasTile(q) {
					ref = "generic"
				}
				if err := asm.Use(ref); err != nil {
					t.Fatal(err)
				}
				y := make([]float32, rows)
				for i := 0; i < m; i++ {
					MatVec(p, w, x[i*cols:(i+1)*cols], y)
					for r := range y {
						if got[i*rows+r] != y[r] {
							t.Fatalf("%v %d×%d m=%d: Gemm[%d][%d] = %g, %s MatVec %g", q, rows, cols, m, i, r, got[i*rows+r], ref, y[r])
						}
					}
				}
				if err := asm.Use(saved); err != nil {
					t.Fatal(err)
				}
			}
			const m = 9
			x := coreVec(rng, m*cols)
			got := make([]float32, m*rows)
			// The widening path, against the f32 driver with the same k
			// blocks, so the two sum in the same order.
			quantGemmWidens = true
			Gemm(p, w, x, m, got)
			want := make([]float32, m*rows)
			refGemmKC(p, dequantized(w), gemmKCBlocks(cols, q.BlockElems()), x, m, want)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%v %d×%d widened: Gemm[%d] = %g, f32 GEMM of the dequantized weight %g", q, rows, cols, i, got[i], want[i])
				}
			}
		}
	}
}

// refGemmKC runs the f32 GEMM driver with a given k block.
func refGemmKC(p *runtime.Pool, w *Mat, kc int, x []float32, m int, y []float32) {
	j := gemmJobs.get()
	j.setup(m, w.Rows, w.Cols, y, w.Rows, nil)
	j.kc = kc
	j.a = Mat{DType: F32, Rows: m, Cols: w.Cols, F32: x}
	j.b, j.im = *w, nil
	j.run(p)
	gemmJobs.put(j)
}

// TestQuantThreadsIdentical: MatVec, MatVecMulti and both Gemm paths of
// quantized weights give the same bits on 1, 2 and 3 threads.
func TestQuantThreadsIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 4))
	// m = 9: past tileMinVectors, so Gemm takes the packed tiles where the
	// path has them (a last group of one vector, 5 rows left over).
	const rows, cols, m = 3*claimRows + 5, 512, 9
	for _, q := range []asm.QType{asm.Q8_0, asm.Q4_0, asm.Q4_K, asm.Q6_K} {
		w := randQuantMat(rng, q, rows, cols)
		x := coreVec(rng, m*cols)
		var first []float32
		for _, threads := range []int{1, 2, 3} {
			p := runtime.NewPool(threads)
			out := make([]float32, 3*rows+2*m*rows)
			MatVec(p, w, x[:cols], out[:rows])
			MatVecMulti(p, w, [][]float32{x[cols : 2*cols], x[2*cols : 3*cols]}, [][]float32{out[rows : 2*rows], out[2*rows : 3*rows]})
			Gemm(p, w, x, m, out[3*rows:3*rows+m*rows])
			quantGemmWidens = true
			Gemm(p, w, x, m, out[3*rows+m*rows:])
			quantGemmWidens = false
			p.Close()
			if first == nil {
				first = out
				continue
			}
			for i := range out {
				if out[i] != first[i] {
					t.Fatalf("%v: output %d on %d threads = %g, on 1 thread %g", q, i, threads, out[i], first[i])
				}
			}
		}
	}
}

// TestQuantMatVecNoAllocs: in steady state a quantized matvec (one vector,
// several, fused) or GEMM allocates nothing: the quantized activations live in the
// pooled task.
func TestQuantMatVecNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	rng := rand.New(rand.NewPCG(24, 5))
	p := runtime.NewPool(2)
	defer p.Close()
	const cols = 512
	ws := []*Mat{randQuantMat(rng, asm.Q4_K, 100, cols), randQuantMat(rng, asm.Q6_K, 30, cols)}
	xs := [][]float32{coreVec(rng, cols), coreVec(rng, cols)}
	ys := [][]float32{make([]float32, 100), make([]float32, 100), make([]float32, 30), make([]float32, 30)}
	x8, y8 := coreVec(rng, 8*cols), make([]float32, 8*100)
	allocs := testing.AllocsPerRun(50, func() {
		MatVec(p, ws[0], xs[0], ys[0])
		MatVecMulti(p, ws[1], xs, ys[2:])
		MatVecFused(p, ws, xs, ys)
		Gemm(p, ws[0], x8, 8, y8)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per quantized matvec round, want 0", allocs)
	}
}
