//go:build !purego && (amd64 || arm64)

package asm

// The Go side of every assembly path (avx2, avx512, neon): one wrapper,
// simdAsm, turns a path's assembly into a Kernels table.
//
// One tail strategy on every arch: the assembly only ever sees whole vectors
// (n a multiple of the path's width: 16 floats for AVX-512, 8 for AVX2, 4 for
// NEON) and the wrapper finishes the last n%width elements with the generic
// twin. It is the simplest strategy (no buffers, no copies in and out, no
// second call into assembly) and the fastest for the few elements a tail
// has; the twins compute the same arithmetic, so conversions, Add, Mul,
// Scale and Axpy (unfused multiply then add) come out bit for bit and the
// exp-based kernels within an ulp (kernels_test.go checks both). Nothing
// allocates, and pointers are taken only when the whole-vector prefix is
// non-empty, so empty and short slices are fine.

// simdAsm is one path's assembly. Every kernel but those marked optional must
// be set; an optional one left nil is the generic twin in the table.
type simdAsm struct {
	name  string
	width int // elements per vector; every n passed to the assembly is a multiple

	dotF32  func(a, b *float32, n int) float32
	dotF16  func(w *uint16, x *float32, n int) float32
	dotBF16 func(w *uint16, x *float32, n int) float32
	sum     func(x *float32, n int) float32
	max     func(x *float32, n int) float32

	// rows* compute y[r] = dot(w[r*stride:], x) over the first n elements
	// for r < m (m >= 1); stride counts elements.
	rowsF32  func(w *float32, stride int, x *float32, n int, y *float32, m int)
	rowsF16  func(w *uint16, stride int, x *float32, n int, y *float32, m int)
	rowsBF16 func(w *uint16, stride int, x *float32, n int, y *float32, m int)
	// rows2*/rows3* (optional, all six or none) do the same for two or
	// three vectors with each vector's bits as rows* gives them.
	rows2F32            func(w *float32, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)
	rows2F16, rows2BF16 func(w *uint16, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)
	rows3F32            func(w *float32, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)
	rows3F16, rows3BF16 func(w *uint16, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)
	// rowsPrefetch: the rows kernels prefetch their weights in software.
	rowsPrefetch bool

	f16ToF32  func(dst *float32, src *uint16, n int)
	bf16ToF32 func(dst *float32, src *uint16, n int)
	f32ToF16  func(dst *uint16, src *float32, n int)
	axpy      func(a float32, x, y *float32, n int)
	axpyF16   func(a float32, x *uint16, y *float32, n int)
	axpyBF16  func(a float32, x *uint16, y *float32, n int)
	scale     func(a float32, x *float32, n int)
	add       func(dst, a, b *float32, n int)
	mul       func(dst, a, b *float32, n int)
	expSub    func(dst, x *float32, n int, m float32) float32
	silu      func(dst, x *float32, n int)
	swiglu    func(dst, gate, up *float32, n int)

	// The GEMM micro-kernel of a gemmMR×gemmNR tile, k >= 1; gemmSet
	// (optional) stores A·B instead of adding it.
	gemmMR, gemmNR int
	gemm, gemmSet  func(k int, a, b, c *float32, ldc int)

	// Transposing packers (optional, all three or none) for a full panel of
	// gemmNR rows, whole chunks (>= 1) of packChunk k values each:
	// dst[p*nr+j] = widen(src[j*stride+p]).
	packChunk                 int
	packF32                   func(dst, src *float32, stride, chunks int)
	packF16, packBF16         func(dst *float32, src *uint16, stride, chunks int)
	packColsF16, packColsBF16 func(dst *float32, src *uint16, stride, kc int) // optional: kc (>= 1) rows of a full panel

	// Winograd transforms of 16 tiles (optional; winograd.go).
	winoIn16  func(src *float32, rowStride int, dst *float32, vStride int)
	winoOut16 func(m *float32, mStride int, top, bot *float32, bias float32)

	// fmaPeak runs iters iterations of peakFlops float32 flops each.
	fmaPeak   func(iters int)
	peakFlops int
}

// kernels wraps the assembly into a Kernels table.
func (s *simdAsm) kernels() *Kernels {
	k := &Kernels{
		Name:         s.name,
		RowsPrefetch: s.rowsPrefetch,
		DotF32:       s.dotF32Slices,
		DotF16:       s.dotF16Slices,
		DotBF16:      s.dotBF16Slices,
		RowsF32:      s.rowsF32Slices,
		RowsF16:      s.rowsF16Slices,
		RowsBF16:     s.rowsBF16Slices,
		F16ToF32:     s.f16ToF32Slices,
		BF16ToF32:    s.bf16ToF32Slices,
		F32ToF16:     s.f32ToF16Slices,
		Axpy:         s.axpySlices,
		AxpyF16:      s.axpyF16Slices,
		AxpyBF16:     s.axpyBF16Slices,
		Scale:        s.scaleSlices,
		Add:          s.addSlices,
		Mul:          s.mulSlices,
		Sum:          s.sumSlices,
		SumSq:        func(x []float32) float32 { return s.dotF32Slices(x, x) },
		Max:          s.maxSlices,
		ExpSub:       s.expSubSlices,
		SiLU:         s.siluSlices,
		SwiGLU:       s.swigluSlices,

		GemmMR:    s.gemmMR,
		GemmNR:    s.gemmNR,
		GemmMicro: s.gemmMicro,
		FMAPeak:   peakLoop(s.fmaPeak, s.peakFlops),
	}
	if s.gemmSet != nil {
		k.GemmMicroSet = s.gemmMicroSet
	}
	if s.packF32 != nil {
		k.GemmPackF32, k.GemmPackF16, k.GemmPackBF16 = s.gemmPackF32, s.gemmPackF16, s.gemmPackBF16
	}
	k.GemmPackColsF16, k.GemmPackColsBF16 = s.gemmPackColsF16, s.gemmPackColsBF16
	if s.rows2F32 != nil {
		k.RowsF32Multi = func(w []float32, stride int, xs, ys [][]float32, lo, hi int) {
			rowsMultiLinear(s, s.rowsF32, s.rows2F32, s.rows3F32, dotF32Generic, w, stride, xs, ys, lo, hi)
		}
		k.RowsF16Multi = func(w []uint16, stride int, xs, ys [][]float32, lo, hi int) {
			rowsMultiLinear(s, s.rowsF16, s.rows2F16, s.rows3F16, dotF16Generic, w, stride, xs, ys, lo, hi)
		}
		k.RowsBF16Multi = func(w []uint16, stride int, xs, ys [][]float32, lo, hi int) {
			rowsMultiLinear(s, s.rowsBF16, s.rows2BF16, s.rows3BF16, dotBF16Generic, w, stride, xs, ys, lo, hi)
		}
	}
	if s.winoIn16 != nil {
		k.WinogradInput16, k.WinogradOutput16 = s.winogradInput16, s.winogradOutput16
	}
	return k
}

// vec is the whole-vector prefix of n.
func (s *simdAsm) vec(n int) int { return n &^ (s.width - 1) }

func (s *simdAsm) dotF32Slices(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	nv := s.vec(n)
	var sum float32
	if nv > 0 {
		sum = s.dotF32(&a[0], &b[0], nv)
	}
	return sum + dotF32Generic(a[nv:], b[nv:])
}

func (s *simdAsm) dotF16Slices(w []uint16, x []float32) float32 {
	n := len(x)
	w = w[:n]
	nv := s.vec(n)
	var sum float32
	if nv > 0 {
		sum = s.dotF16(&w[0], &x[0], nv)
	}
	return sum + dotF16Generic(w[nv:], x[nv:])
}

func (s *simdAsm) dotBF16Slices(w []uint16, x []float32) float32 {
	n := len(x)
	w = w[:n]
	nv := s.vec(n)
	var sum float32
	if nv > 0 {
		sum = s.dotBF16(&w[0], &x[0], nv)
	}
	return sum + dotBF16Generic(w[nv:], x[nv:])
}

// rowsLinear runs kernel over all rows of w, one linear pass (see
// rows_amd64.s), and adds the last n%width elements of every row with the
// generic tail.
//
// Rows wider than about 4096 f32 of x (a 1B model's MLP down projection is
// 5632 wide: 22 KiB of x next to 11 KiB of weights per row) no longer keep x
// in a 32 KiB L1 next to the row: a forward sweep over slightly more than
// the cache evicts each line of x just before its next use. Column blocks,
// a touch pass, two rows side by side and a zigzag walk all measured slower
// than the plain walk on amd64, so ops stores such matrices column-major
// instead (ops.ColMajorPays), where only the output stays in L1.
func rowsLinear[T uint16 | float32](s *simdAsm, kernel func(w *T, stride int, x *float32, n int, y *float32, m int),
	tail func(w []T, x []float32) float32, w []T, stride int, x, y []float32) {
	n := len(x)
	rowsCheck(len(w), stride, n, len(y))
	if len(y) == 0 {
		return
	}
	nv := s.vec(n)
	if nv > 0 {
		kernel(&w[0], stride, &x[0], nv, &y[0], len(y))
	} else {
		clear(y)
	}
	for r := 0; nv < n && r < len(y); r++ {
		y[r] += tail(w[r*stride+nv:r*stride+n], x[nv:])
	}
}

func (s *simdAsm) rowsF32Slices(w []float32, stride int, x, y []float32) {
	rowsLinear(s, s.rowsF32, dotF32Generic, w, stride, x, y)
}

func (s *simdAsm) rowsF16Slices(w []uint16, stride int, x, y []float32) {
	rowsLinear(s, s.rowsF16, dotF16Generic, w, stride, x, y)
}

func (s *simdAsm) rowsBF16Slices(w []uint16, stride int, x, y []float32) {
	rowsLinear(s, s.rowsBF16, dotBF16Generic, w, stride, x, y)
}

func (s *simdAsm) sumSlices(x []float32) float32 {
	nv := s.vec(len(x))
	var sum float32
	if nv > 0 {
		sum = s.sum(&x[0], nv)
	}
	return sum + sumGeneric(x[nv:])
}

// maxSlices: the assembly skips NaNs like the generic "v > m" loop.
func (s *simdAsm) maxSlices(x []float32) float32 {
	nv := s.vec(len(x))
	m := maxGeneric(x[nv:])
	if nv > 0 {
		if v := s.max(&x[0], nv); v > m {
			m = v
		}
	}
	return m
}

// convertChunk bounds one conversion call: assembly is not preemptible, and
// conversions may run over whole weight tensors at load time. It is a
// multiple of every vector width.
const convertChunk = 1 << 16

// convert runs a conversion kernel over the whole-vector prefix in chunks
// and its generic twin over the rest.
func convert[D, S uint16 | float32](s *simdAsm, kernel func(dst *D, src *S, n int), tail func(dst []D, src []S), dst []D, src []S) {
	n := len(dst)
	src = src[:n]
	nv := s.vec(n)
	for i := 0; i < nv; i += convertChunk {
		kernel(&dst[i], &src[i], min(convertChunk, nv-i))
	}
	tail(dst[nv:], src[nv:])
}

func (s *simdAsm) f16ToF32Slices(dst []float32, src []uint16) {
	convert(s, s.f16ToF32, f16ToF32Generic, dst, src)
}

func (s *simdAsm) bf16ToF32Slices(dst []float32, src []uint16) {
	convert(s, s.bf16ToF32, bf16ToF32Generic, dst, src)
}

func (s *simdAsm) f32ToF16Slices(dst []uint16, src []float32) {
	convert(s, s.f32ToF16, f32ToF16Generic, dst, src)
}

// axpyAny runs an axpy kernel over the whole-vector prefix and its generic
// twin over the rest.
func axpyAny[T uint16 | float32](s *simdAsm, kernel func(a float32, x *T, y *float32, n int),
	tail func(a float32, x []T, y []float32), a float32, x []T, y []float32) {
	n := len(y)
	x = x[:n]
	nv := s.vec(n)
	if nv > 0 {
		kernel(a, &x[0], &y[0], nv)
	}
	tail(a, x[nv:], y[nv:])
}

func (s *simdAsm) axpySlices(a float32, x, y []float32) { axpyAny(s, s.axpy, axpyGeneric, a, x, y) }

func (s *simdAsm) axpyF16Slices(a float32, x []uint16, y []float32) {
	axpyAny(s, s.axpyF16, axpyF16Generic, a, x, y)
}

func (s *simdAsm) axpyBF16Slices(a float32, x []uint16, y []float32) {
	axpyAny(s, s.axpyBF16, axpyBF16Generic, a, x, y)
}

func (s *simdAsm) scaleSlices(a float32, x []float32) {
	nv := s.vec(len(x))
	if nv > 0 {
		s.scale(a, &x[0], nv)
	}
	scaleGeneric(a, x[nv:])
}

// binary runs dst = op(a, b) over the whole-vector prefix and its generic
// twin over the rest.
func (s *simdAsm) binary(kernel func(dst, a, b *float32, n int), tail func(dst, a, b []float32), dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	nv := s.vec(n)
	if nv > 0 {
		kernel(&dst[0], &a[0], &b[0], nv)
	}
	tail(dst[nv:], a[nv:], b[nv:])
}

func (s *simdAsm) addSlices(dst, a, b []float32) { s.binary(s.add, addGeneric, dst, a, b) }

func (s *simdAsm) mulSlices(dst, a, b []float32) { s.binary(s.mul, mulGeneric, dst, a, b) }

func (s *simdAsm) swigluSlices(dst, gate, up []float32) {
	s.binary(s.swiglu, swigluGeneric, dst, gate, up)
}

func (s *simdAsm) expSubSlices(dst, x []float32, m float32) float32 {
	n := len(dst)
	x = x[:n]
	nv := s.vec(n)
	var sum float32
	if nv > 0 {
		sum = s.expSub(&dst[0], &x[0], nv, m)
	}
	return sum + expSubGeneric(dst[nv:], x[nv:], m)
}

func (s *simdAsm) siluSlices(dst, x []float32) {
	n := len(dst)
	x = x[:n]
	nv := s.vec(n)
	if nv > 0 {
		s.silu(&dst[0], &x[0], nv)
	}
	siluGeneric(dst[nv:], x[nv:])
}

// rowsMultiLinear runs the two- and three-vector kernels (k2, k3) and the
// single one (k1) over rows [lo, hi) of w for every vector, then adds the
// last n%width elements of every row with the generic tail, as rowsLinear
// does for one vector.
func rowsMultiLinear[T uint16 | float32](s *simdAsm,
	k1 func(w *T, stride int, x *float32, n int, y *float32, m int),
	k2 func(w *T, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int),
	k3 func(w *T, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int),
	tail func(w []T, x []float32) float32, w []T, stride int, xs, ys [][]float32, lo, hi int) {
	if lo == hi {
		return
	}
	n := len(xs[0])
	m := hi - lo
	nv := s.vec(n)
	if nv == 0 {
		for _, y := range ys {
			clear(y[lo:hi])
		}
	} else {
		wr := &w[lo*stride]
		for v := 0; v < len(xs); {
			switch left := len(xs) - v; {
			case left == 3 || left >= 5:
				k3(wr, stride, &xs[v][0], &xs[v+1][0], &xs[v+2][0], nv, &ys[v][lo], &ys[v+1][lo], &ys[v+2][lo], m)
				v += 3
			case left >= 2: // 2, or 4 as two pairs
				k2(wr, stride, &xs[v][0], &xs[v+1][0], nv, &ys[v][lo], &ys[v+1][lo], m)
				v += 2
			default:
				k1(wr, stride, &xs[v][0], nv, &ys[v][lo], m)
				v++
			}
		}
	}
	if nv == n {
		return
	}
	for v, x := range xs {
		y := ys[v]
		for r := lo; r < hi; r++ {
			y[r] += tail(w[r*stride+nv:r*stride+n], x[nv:])
		}
	}
}
