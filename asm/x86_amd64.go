//go:build !purego

package asm

// Go side of the amd64 kernels. The assembly (dot_amd64.s, rows_amd64.s,
// vec_amd64.s, exp_amd64.s) only ever sees whole vectors: n is a multiple of
// the vector width, 8 floats for AVX2 and 16 for AVX-512. The wrappers below
// hand it the largest such prefix and finish the last n%width elements with
// the generic twin, which computes the same thing in the same arithmetic:
// conversions, Add, Mul, Scale and Axpy (unfused multiply then add) come out
// bit for bit, exp-based kernels within an ulp. The tails need no buffers, so
// nothing allocates, and pointers are taken only when the prefix is non-empty
// so empty and short slices are fine.

// x86Asm is one instruction set's assembly, called through the wrappers.
type x86Asm struct {
	width int // elements per vector; every n passed to the assembly is a multiple

	dotF32  func(a, b *float32, n int) float32
	dotF16  func(w *uint16, x *float32, n int) float32
	dotBF16 func(w *uint16, x *float32, n int) float32
	sum     func(x *float32, n int) float32
	max     func(x *float32, n int) float32

	// rows* compute y[r] = dot(w[r*stride:], x) over the first n elements
	// for r < m; stride counts elements.
	rowsF32  func(w *float32, stride int, x *float32, n int, y *float32, m int)
	rowsF16  func(w *uint16, stride int, x *float32, n int, y *float32, m int)
	rowsBF16 func(w *uint16, stride int, x *float32, n int, y *float32, m int)

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
}

// kernels wraps the assembly into a Kernels table named name.
func (s *x86Asm) kernels(name string) *Kernels {
	return &Kernels{
		Name:      name,
		DotF32:    s.dotF32Slices,
		DotF16:    s.dotF16Slices,
		DotBF16:   s.dotBF16Slices,
		RowsF32:   s.rowsF32Slices,
		RowsF16:   s.rowsF16Slices,
		RowsBF16:  s.rowsBF16Slices,
		F16ToF32:  s.f16ToF32Slices,
		BF16ToF32: s.bf16ToF32Slices,
		F32ToF16:  s.f32ToF16Slices,
		Axpy:      s.axpySlices,
		AxpyF16:   s.axpyF16Slices,
		AxpyBF16:  s.axpyBF16Slices,
		Scale:     s.scaleSlices,
		Add:       s.addSlices,
		Mul:       s.mulSlices,
		Sum:       s.sumSlices,
		SumSq:     func(x []float32) float32 { return s.dotF32Slices(x, x) },
		Max:       s.maxSlices,
		ExpSub:    s.expSubSlices,
		SiLU:      s.siluSlices,
		SwiGLU:    s.swigluSlices,
	}
}

// vec is the whole-vector prefix of n.
func (s *x86Asm) vec(n int) int { return n &^ (s.width - 1) }

func (s *x86Asm) dotF32Slices(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	nv := s.vec(n)
	var sum float32
	if nv > 0 {
		sum = s.dotF32(&a[0], &b[0], nv)
	}
	return sum + dotF32Generic(a[nv:], b[nv:])
}

func (s *x86Asm) dotF16Slices(w []uint16, x []float32) float32 {
	n := len(x)
	w = w[:n]
	nv := s.vec(n)
	var sum float32
	if nv > 0 {
		sum = s.dotF16(&w[0], &x[0], nv)
	}
	return sum + dotF16Generic(w[nv:], x[nv:])
}

func (s *x86Asm) dotBF16Slices(w []uint16, x []float32) float32 {
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
// in the 32 KiB L1 next to the row: a forward sweep over slightly more than
// the cache evicts each line of x just before its next use. Every cure tried
// here measured worse than the 16 GB/s of the plain walk (25-29 for
// narrower rows): column blocks over groups of 4 to 256 rows 8.4-10.7 GB/s,
// the same after a linear touch pass 16-18.5, two rows side by side 12.5,
// and a zigzag (every other row read back to front, so it starts on the
// part of x the row before ended on) 10.9 against 16.7 in the same run.
// ops stores such matrices column-major instead (ops.ColMajorPays), where only
// the output stays in L1.
func rowsLinear[T uint16 | float32](s *x86Asm, kernel func(w *T, stride int, x *float32, n int, y *float32, m int),
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

func (s *x86Asm) rowsF32Slices(w []float32, stride int, x, y []float32) {
	rowsLinear(s, s.rowsF32, dotF32Generic, w, stride, x, y)
}

func (s *x86Asm) rowsF16Slices(w []uint16, stride int, x, y []float32) {
	rowsLinear(s, s.rowsF16, dotF16Generic, w, stride, x, y)
}

func (s *x86Asm) rowsBF16Slices(w []uint16, stride int, x, y []float32) {
	rowsLinear(s, s.rowsBF16, dotBF16Generic, w, stride, x, y)
}

func (s *x86Asm) sumSlices(x []float32) float32 {
	nv := s.vec(len(x))
	var sum float32
	if nv > 0 {
		sum = s.sum(&x[0], nv)
	}
	return sum + sumGeneric(x[nv:])
}

// maxSlices: the assembly skips NaNs like the generic "v > m" loop.
func (s *x86Asm) maxSlices(x []float32) float32 {
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

func (s *x86Asm) f16ToF32Slices(dst []float32, src []uint16) {
	n := len(dst)
	src = src[:n]
	nv := s.vec(n)
	for i := 0; i < nv; i += convertChunk {
		s.f16ToF32(&dst[i], &src[i], min(convertChunk, nv-i))
	}
	f16ToF32Generic(dst[nv:], src[nv:])
}

func (s *x86Asm) bf16ToF32Slices(dst []float32, src []uint16) {
	n := len(dst)
	src = src[:n]
	nv := s.vec(n)
	for i := 0; i < nv; i += convertChunk {
		s.bf16ToF32(&dst[i], &src[i], min(convertChunk, nv-i))
	}
	bf16ToF32Generic(dst[nv:], src[nv:])
}

func (s *x86Asm) f32ToF16Slices(dst []uint16, src []float32) {
	n := len(dst)
	src = src[:n]
	nv := s.vec(n)
	for i := 0; i < nv; i += convertChunk {
		s.f32ToF16(&dst[i], &src[i], min(convertChunk, nv-i))
	}
	f32ToF16Generic(dst[nv:], src[nv:])
}

func (s *x86Asm) axpySlices(a float32, x, y []float32) {
	n := len(y)
	x = x[:n]
	nv := s.vec(n)
	if nv > 0 {
		s.axpy(a, &x[0], &y[0], nv)
	}
	axpyGeneric(a, x[nv:], y[nv:])
}

func (s *x86Asm) axpyF16Slices(a float32, x []uint16, y []float32) {
	s.axpy16(s.axpyF16, axpyF16Generic, a, x, y)
}

func (s *x86Asm) axpyBF16Slices(a float32, x []uint16, y []float32) {
	s.axpy16(s.axpyBF16, axpyBF16Generic, a, x, y)
}

// axpy16 runs an f16 or bf16 axpy kernel over the whole-vector prefix and
// its generic twin over the rest.
func (s *x86Asm) axpy16(kernel func(a float32, x *uint16, y *float32, n int),
	tail func(a float32, x []uint16, y []float32), a float32, x []uint16, y []float32) {
	n := len(y)
	x = x[:n]
	nv := s.vec(n)
	if nv > 0 {
		kernel(a, &x[0], &y[0], nv)
	}
	tail(a, x[nv:], y[nv:])
}

func (s *x86Asm) scaleSlices(a float32, x []float32) {
	nv := s.vec(len(x))
	if nv > 0 {
		s.scale(a, &x[0], nv)
	}
	scaleGeneric(a, x[nv:])
}

func (s *x86Asm) addSlices(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	nv := s.vec(n)
	if nv > 0 {
		s.add(&dst[0], &a[0], &b[0], nv)
	}
	addGeneric(dst[nv:], a[nv:], b[nv:])
}

func (s *x86Asm) mulSlices(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	nv := s.vec(n)
	if nv > 0 {
		s.mul(&dst[0], &a[0], &b[0], nv)
	}
	mulGeneric(dst[nv:], a[nv:], b[nv:])
}

func (s *x86Asm) expSubSlices(dst, x []float32, m float32) float32 {
	n := len(dst)
	x = x[:n]
	nv := s.vec(n)
	var sum float32
	if nv > 0 {
		sum = s.expSub(&dst[0], &x[0], nv, m)
	}
	return sum + expSubGeneric(dst[nv:], x[nv:], m)
}

func (s *x86Asm) siluSlices(dst, x []float32) {
	n := len(dst)
	x = x[:n]
	nv := s.vec(n)
	if nv > 0 {
		s.silu(&dst[0], &x[0], nv)
	}
	siluGeneric(dst[nv:], x[nv:])
}

func (s *x86Asm) swigluSlices(dst, gate, up []float32) {
	n := len(dst)
	gate, up = gate[:n], up[:n]
	nv := s.vec(n)
	if nv > 0 {
		s.swiglu(&dst[0], &gate[0], &up[0], nv)
	}
	swigluGeneric(dst[nv:], gate[nv:], up[nv:])
}
