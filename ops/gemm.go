package ops

import (
	"fmt"
	"sync"
	"time"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// Register-tiled GEMM in the style of GotoBLAS/BLIS, around the asm
// micro-kernel (Kernels.GemmMicro: C[MR×NR] += A·B over packed panels).
//
// The driver computes C[M×N] (+)= A[M×K]·B[K×N]. A is always rows of a
// matrix (activations for a Linear layer, conv weights for a convolution);
// B is either rows of a matrix taken transposed (Linear weights) or the
// im2col view of an image (convolution), packed on the fly so no im2col
// buffer exists. Loops, outermost first:
//
//	worker:  a range of N columns (multiples of NR), so each weight row is
//	         widened by exactly one worker
//	i0:      blocks of gemmMC rows of A
//	k0:      blocks of kc <= gemmKCMax along k; A[i0 block, k0 block] is
//	         packed once into MR-row strips
//	j0:      NR-column panels; B[k0 block, panel] is widened and packed once
//	         (kc×NR floats, L1/L2-resident) and reused by every strip
//	strip:   one micro-kernel call per MR×NR tile of C
//
// C starts at zero (or at a per-row bias) and each k block adds its part,
// in the same order for every element. Tiles at the bottom or right edge go
// through a zero-padded MR×NR scratch tile holding C's current values, so
// they see exactly the arithmetic of a full tile. Every element is thus
// computed by the same operations wherever the worker boundaries fall:
// results are bit-identical for any thread count.

const (
	gemmKCMax = 384 // longest k block: a kc×32 float B panel is at most 48 KiB
	gemmMC    = 512 // row block: A blocks of up to 512×kc floats
)

// gemmKC splits k into equal blocks of at most gemmKCMax, so C is revisited
// as few times as possible (K = 1152 of a 128-channel 3×3 conv is three
// passes, not nine). It depends on K alone, never on the thread count.
func gemmKC(K int) int {
	if K <= gemmKCMax {
		return max(K, 1)
	}
	blocks := (K + gemmKCMax - 1) / gemmKCMax
	return (K + blocks - 1) / blocks
}

// Gemm computes Y = X·Wᵀ: y[i*w.Rows+o] = Σ_c x[i*w.Cols+c]·W[o][c] for
// i < m, o < w.Rows; X is m×w.Cols and Y m×w.Rows, both row-major, and
// they must not overlap. A block-quantized W multiplies as ggml does: each
// row of X is quantized once and every output is an integer dot product
// (gemmQuant): the one the matvec computes, so a prefill gives, row for
// row, the logits of token-by-token decoding; or, from tileMinVectors rows
// of X on a path with packed tiles for W's type (asm.HasTile: Q8_0, Q4_0,
// Q4_K and Q5_K on AVX2), the generic twin's, which for Q4_0 is the
// matvec's too and for the others differs from the AVX2 matvec's in rounding
// only. An F32, F16 or BF16 W is widened to
// float32 panel by panel (once per call, or once per 512 rows of X for larger m) in
// per-worker scratch reused across calls, so nothing allocates in steady
// state. Work is split over output columns (weight rows), so each weight is
// read by one worker and the result does not depend on the pool's thread
// count. p may be nil (single-threaded). Slices too short for the shapes are
// a programming error and panic with a message.
func Gemm(p *runtime.Pool, w *Mat, x []float32, m int, y []float32) {
	checkMat("ops.Gemm", w)
	if m < 0 || len(x) < m*w.Cols || len(y) < m*w.Rows {
		panic(fmt.Sprintf("ops.Gemm: m=%d with W %d×%d needs len(x) >= %d and len(y) >= %d, have %d and %d",
			m, w.Rows, w.Cols, m*w.Cols, m*w.Rows, len(x), len(y)))
	}
	if m == 0 || w.Rows == 0 {
		return
	}
	if w.Quantized() && !quantGemmWidens {
		gemmQuant(p, w, x, m, y)
		return
	}
	j := gemmJobs.get()
	j.setup(m, w.Rows, w.Cols, y, w.Rows, nil)
	if w.Quantized() {
		j.kc = gemmKCBlocks(w.Cols, w.Q.BlockElems())
	}
	j.a = Mat{DType: F32, Rows: m, Cols: w.Cols, F32: x}
	j.b, j.im = *w, nil
	j.run(p)
	gemmJobs.put(j)
}

// gemmKCBlocks is gemmKC for a block-quantized B: k blocks of whole
// quantization blocks (be values), as long as fits in gemmKCMax (one block
// where a block alone is longer), split as evenly as gemmKC splits.
func gemmKCBlocks(K, be int) int {
	nb := K / be
	per := max(1, gemmKCMax/be)
	chunks := max(1, (nb+per-1)/per)
	return (nb + chunks - 1) / chunks * be
}

// checkMat panics when a matrix's storage is shorter than Rows×Cols.
func checkMat(op string, w *Mat) {
	n := w.Rows * w.Cols
	ok := w.Rows >= 0 && w.Cols >= 0
	if w.Quantized() {
		if !ok || w.ColMajor || w.Cols%w.Q.BlockElems() != 0 || len(w.Raw) < w.Rows*w.RowBytes() {
			panic(fmt.Sprintf("%s: %v weight %d×%d: rows not whole blocks or too little data (%d bytes)",
				op, w.Q, w.Rows, w.Cols, len(w.Raw)))
		}
		return
	}
	switch w.DType {
	case F32:
		ok = ok && len(w.F32) >= n
	case F16, BF16:
		ok = ok && len(w.U16) >= n
	default:
		ok = false
	}
	if !ok {
		panic(fmt.Sprintf("%s: %v weight %d×%d has too little data (%d f32, %d u16 values)",
			op, w.DType, w.Rows, w.Cols, len(w.F32), len(w.U16)))
	}
}

// gemmJob is one C (+)= A·B, shared by the workers; it is recycled through
// gemmJobs so a call allocates nothing.
type gemmJob struct {
	kern    *asm.Kernels
	mr, nr  int
	kc      int // k block
	M, N, K int
	a       Mat        // A: M rows of K
	b       Mat        // B as N rows of K (B = bᵀ), used when im == nil
	im      *convInput // else B = im2col(image), K×N
	conv    convInput  // storage im points at for Conv2D
	c       []float32  // C: M rows at a stride of ldc
	ldc     int
	bias    []float32 // C's initial value per row; nil means zero
}

func (j *gemmJob) setup(M, N, K int, c []float32, ldc int, bias []float32) {
	j.kern = asm.Active()
	j.mr, j.nr = j.kern.GemmMR, j.kern.GemmNR
	j.M, j.N, j.K = M, N, K
	j.kc = gemmKC(K)
	j.c, j.ldc, j.bias = c, ldc, bias
}

// run splits the N columns over the pool in multiples of NR.
func (j *gemmJob) run(p *runtime.Pool) {
	if p == nil {
		j.Run(0, j.N)
	} else {
		p.RunGrain(j.N, j.nr, j)
	}
	j.a, j.b, j.im, j.c, j.bias = Mat{}, Mat{}, nil, nil, nil // drop references
}

// Run computes columns [lo, hi) of C for all M rows.
func (j *gemmJob) Run(lo, hi int) {
	mr, nr, c, ldc := j.mr, j.nr, j.c, j.ldc
	s := gemmScratches.get()
	s.fit(mr, nr, j.kc)
	for i := 0; i < j.M; i++ {
		row := c[i*ldc+lo : i*ldc+hi]
		if j.bias == nil {
			clear(row)
		} else {
			for t := range row {
				row[t] = j.bias[i]
			}
		}
	}
	micro := j.kern.GemmMicro
	for i0 := 0; i0 < j.M; i0 += gemmMC {
		mc := min(gemmMC, j.M-i0)
		strips := (mc + mr - 1) / mr
		for k0 := 0; k0 < j.K; k0 += j.kc {
			kc := min(j.kc, j.K-k0)
			apack := s.a[:strips*mr*kc]
			gemmPackRows(apack, &j.a, i0, mc, k0, kc, mr)
			bpack := s.b[:kc*nr]
			for j0 := lo; j0 < hi; j0 += nr {
				cols := min(nr, hi-j0)
				switch {
				case j.im != nil:
					j.im.pack(bpack, j0, cols, k0, kc, nr)
				case j.b.Quantized():
					s.deq = gemmPackQuant(bpack, s.deq, &j.b, j0, cols, k0, kc, nr)
				default:
					gemmPackRows(bpack, &j.b, j0, cols, k0, kc, nr)
				}
				for st := 0; st < strips; st++ {
					i := i0 + st*mr
					ap := apack[st*mr*kc : (st+1)*mr*kc]
					if rows := min(mr, j.M-i); rows < mr || cols < nr {
						j.edgeTile(s.tile, ap, bpack, kc, i, j0, rows, cols)
					} else {
						micro(kc, ap, bpack, c[i*ldc+j0:], ldc)
					}
				}
			}
		}
	}
	gemmScratches.put(s)
}

// edgeTile runs the micro-kernel on a tile that sticks out of C: the valid
// rows×cols of C are copied into a zeroed MR×NR tile, updated, and copied
// back, so they get the same arithmetic as in a full tile.
func (j *gemmJob) edgeTile(tile, ap, bp []float32, kc, i, j0, rows, cols int) {
	mr, nr := j.mr, j.nr
	tile = tile[:mr*nr]
	clear(tile)
	for r := 0; r < rows; r++ {
		copy(tile[r*nr:r*nr+cols], j.c[(i+r)*j.ldc+j0:])
	}
	j.kern.GemmMicro(kc, ap, bp, tile, nr)
	for r := 0; r < rows; r++ {
		copy(j.c[(i+r)*j.ldc+j0:(i+r)*j.ldc+j0+cols], tile[r*nr:])
	}
}

// gemmPackRows packs rows [r0, r0+rows) × columns [k0, k0+kc) of m into
// k-major panels of width columns: row r goes to panel r/width, lane
// r%width, so dst[(r/width)*width*kc + p*width + r%width] = m[r0+r][k0+p].
// Lanes past the last row are zero. asm.GemmPack* widen and transpose.
func gemmPackRows(dst []float32, m *Mat, r0, rows, k0, kc, width int) {
	if m.ColMajor {
		gemmPackColMajor(dst, m, r0, rows, k0, kc, width)
		return
	}
	for pi := 0; pi*width < rows; pi++ {
		panel := dst[pi*width*kc : (pi+1)*width*kc]
		n := min(width, rows-pi*width)
		off := (r0+pi*width)*m.Cols + k0
		switch m.DType {
		case F16:
			asm.GemmPackF16(panel, m.U16[off:], m.Cols, n, kc, width)
		case BF16:
			asm.GemmPackBF16(panel, m.U16[off:], m.Cols, n, kc, width)
		default:
			asm.GemmPackF32(panel, m.F32[off:], m.Cols, n, kc, width)
		}
	}
}

// gemmPackColMajor is gemmPackRows for a column-major m: the lanes of one k
// are contiguous in its storage, so each is one widening copy. Widening is
// exact, so the panels, and the GEMM, equal those of the row-major matrix.
func gemmPackColMajor(dst []float32, m *Mat, r0, rows, k0, kc, width int) {
	for pi := 0; pi*width < rows; pi++ {
		panel := dst[pi*width*kc : (pi+1)*width*kc]
		n := min(width, rows-pi*width)
		off := k0*m.Rows + r0 + pi*width
		switch m.DType {
		case F16:
			asm.GemmPackColsF16(panel, m.U16[off:], m.Rows, n, kc, width)
		case BF16:
			asm.GemmPackColsBF16(panel, m.U16[off:], m.Rows, n, kc, width)
		default:
			asm.GemmPackColsF32(panel, m.F32[off:], m.Rows, n, kc, width)
		}
	}
}

// gemmPackQuant is gemmPackRows for a block-quantized m (k0 and kc whole
// blocks, gemmKCBlocks), for the widening path (quantGemmWidens): each
// row's k block is dequantized exactly, as ggml's dequantize_row_* does,
// into deq and packed like f32 rows, so the f32 micro-kernel runs on the
// stored weights' exact values, widened once per call (per 512 rows of X).
// deq is the worker's scratch, returned grown to width×kc if it was
// shorter.
func gemmPackQuant(dst, deq []float32, m *Mat, r0, rows, k0, kc, width int) []float32 {
	if len(deq) < width*kc {
		deq = make([]float32, width*kc)
	}
	be, bb, rb := m.Q.BlockElems(), m.Q.BlockBytes(), m.RowBytes()
	for pi := 0; pi*width < rows; pi++ {
		panel := dst[pi*width*kc : (pi+1)*width*kc]
		n := min(width, rows-pi*width)
		for r := 0; r < n; r++ {
			off := (r0+pi*width+r)*rb + k0/be*bb
			asm.DequantizeRow(m.Q, deq[r*kc:(r+1)*kc], m.Raw[off:off+kc/be*bb])
		}
		asm.GemmPackF32(panel, deq, kc, n, kc, width)
	}
	return deq
}

// gemmScratch is one worker's packing space, recycled through
// gemmScratches; sized for the largest tile shape seen so far.
type gemmScratch struct {
	a, b, tile []float32
	deq        []float32 // dequantized weight rows (gemmPackQuant)
}

func (s *gemmScratch) fit(mr, nr, kc int) {
	grow := func(buf []float32, n int) []float32 {
		if len(buf) < n {
			return make([]float32, n)
		}
		return buf
	}
	s.a = grow(s.a, (gemmMC+mr-1)/mr*mr*kc)
	s.b = grow(s.b, kc*nr)
	s.tile = grow(s.tile, mr*nr)
}

// gemmFreeList hands out recycled values; after warm-up get and put do not
// allocate.
type gemmFreeList[T any] struct {
	mu    sync.Mutex
	items []*T
}

func (f *gemmFreeList[T]) get() *T {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.items); n > 0 {
		t := f.items[n-1]
		f.items = f.items[:n-1]
		return t
	}
	return new(T)
}

func (f *gemmFreeList[T]) put(t *T) {
	f.mu.Lock()
	f.items = append(f.items, t)
	f.mu.Unlock()
}

var (
	gemmJobs      gemmFreeList[gemmJob]
	gemmScratches gemmFreeList[gemmScratch]
)

// peakIters keeps one FMA-peak call well under a millisecond.
const peakIters = 20000

// peakTask runs the FMA-peak loop on each pool thread until its deadline.
type peakTask struct {
	d     time.Duration
	flops []float64
}

func (t *peakTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		start := time.Now()
		var f float64
		for time.Since(start) < t.d {
			f += asm.FMAPeak(peakIters)
		}
		t.flops[i] = f
	}
}

// MeasureFMAPeak runs the active implementation's FMA-peak loop (asm.FMAPeak)
// on every pool thread for about d and returns the float32 GFLOP/s reached
// together: the arithmetic ceiling GEMM throughput is compared against.
func MeasureFMAPeak(p *runtime.Pool, d time.Duration) (gflops float64) {
	threads := 1
	if p != nil {
		threads = p.Threads()
	}
	t := &peakTask{d: d, flops: make([]float64, threads)}
	start := time.Now()
	if p == nil {
		t.Run(0, 1)
	} else {
		p.Run(threads, t)
	}
	elapsed := time.Since(start).Seconds()
	var total float64
	for _, f := range t.flops {
		total += f
	}
	return total / elapsed / 1e9
}
