//go:build !purego

package asm

import "math"

// Go side of the NEON kernels. The assembly (dot_arm64.s, rows_arm64.s,
// vec_arm64.s, exp_arm64.s) only ever sees whole 4-lane vectors: n is a
// multiple of 4. The wrappers below hand it the largest such prefix and finish
// the last len%4 elements themselves:
//   - reductions (dot products, sums, max) add the tail in scalar Go;
//   - element-wise kernels copy the tail into a zero-padded 4-lane buffer on
//     the stack and run the same assembly on it, so every element goes through
//     the same instructions (same rounding, same NaN handling).
// Pointers are taken only when n4 > 0, so empty and short slices are fine.

// Reductions and dot products (dot_arm64.s, vec_arm64.s).

//go:noescape
func neonDotF32(a, b *float32, n int) float32

//go:noescape
func neonDotF16(w *uint16, x *float32, n int) float32

//go:noescape
func neonDotBF16(w *uint16, x *float32, n int) float32

//go:noescape
func neonSum(x *float32, n int) float32

//go:noescape
func neonMax(x *float32, n int) float32

// Four weight rows at once (rows_arm64.s): y[i] = dot(w[i*stride:], x) for
// i < 4 over the first n elements; stride counts elements, not bytes.

//go:noescape
func neonRows4F32(w *float32, stride int, x *float32, n int, y *float32)

//go:noescape
func neonRows4F16(w *uint16, stride int, x *float32, n int, y *float32)

//go:noescape
func neonRows4BF16(w *uint16, stride int, x *float32, n int, y *float32)

// Conversions and element-wise kernels (vec_arm64.s, exp_arm64.s).

//go:noescape
func neonF16ToF32(dst *float32, src *uint16, n int)

//go:noescape
func neonBF16ToF32(dst *float32, src *uint16, n int)

//go:noescape
func neonF32ToF16(dst *uint16, src *float32, n int)

//go:noescape
func neonAxpy(a float32, x, y *float32, n int)

//go:noescape
func neonAxpyF16(a float32, x *uint16, y *float32, n int)

//go:noescape
func neonAxpyBF16(a float32, x *uint16, y *float32, n int)

//go:noescape
func neonScale(a float32, x *float32, n int)

//go:noescape
func neonAdd(dst, a, b *float32, n int)

//go:noescape
func neonMul(dst, a, b *float32, n int)

//go:noescape
func neonExpSub(dst, x *float32, n int, m float32) float32

//go:noescape
func neonSiLU(dst, x *float32, n int)

//go:noescape
func neonSwiGLU(dst, gate, up *float32, n int)

func dotF32NEON(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	n4 := n &^ 3
	var s float32
	if n4 > 0 {
		s = neonDotF32(&a[0], &b[0], n4)
	}
	for i := n4; i < n; i++ {
		s += a[i] * b[i]
	}
	return s
}

func dotF16NEON(w []uint16, x []float32) float32 {
	n := len(x)
	w = w[:n]
	n4 := n &^ 3
	var s float32
	if n4 > 0 {
		s = neonDotF16(&w[0], &x[0], n4)
	}
	for i := n4; i < n; i++ {
		s += F16(w[i]) * x[i]
	}
	return s
}

func dotBF16NEON(w []uint16, x []float32) float32 {
	n := len(x)
	w = w[:n]
	n4 := n &^ 3
	var s float32
	if n4 > 0 {
		s = neonDotBF16(&w[0], &x[0], n4)
	}
	for i := n4; i < n; i++ {
		s += BF16(w[i]) * x[i]
	}
	return s
}

// The Rows kernels run the 4-row assembly over groups of four rows (x is
// loaded once per group), then finish leftover rows with the dot product.

func rowsF32NEON(w []float32, stride int, x, y []float32) {
	rowsCheck(len(w), stride, len(x), len(y))
	n := len(x)
	n4 := n &^ 3
	r := 0
	for ; r+4 <= len(y); r += 4 {
		if n4 > 0 {
			neonRows4F32(&w[r*stride], stride, &x[0], n4, &y[r])
		} else {
			y[r], y[r+1], y[r+2], y[r+3] = 0, 0, 0, 0
		}
		for j := r; j < r+4; j++ {
			row := w[j*stride : j*stride+n]
			for i := n4; i < n; i++ {
				y[j] += row[i] * x[i]
			}
		}
	}
	for ; r < len(y); r++ {
		y[r] = dotF32NEON(w[r*stride:r*stride+n], x)
	}
}

func rowsF16NEON(w []uint16, stride int, x, y []float32) {
	rowsCheck(len(w), stride, len(x), len(y))
	n := len(x)
	n4 := n &^ 3
	r := 0
	for ; r+4 <= len(y); r += 4 {
		if n4 > 0 {
			neonRows4F16(&w[r*stride], stride, &x[0], n4, &y[r])
		} else {
			y[r], y[r+1], y[r+2], y[r+3] = 0, 0, 0, 0
		}
		for j := r; j < r+4; j++ {
			row := w[j*stride : j*stride+n]
			for i := n4; i < n; i++ {
				y[j] += F16(row[i]) * x[i]
			}
		}
	}
	for ; r < len(y); r++ {
		y[r] = dotF16NEON(w[r*stride:r*stride+n], x)
	}
}

func rowsBF16NEON(w []uint16, stride int, x, y []float32) {
	rowsCheck(len(w), stride, len(x), len(y))
	n := len(x)
	n4 := n &^ 3
	r := 0
	for ; r+4 <= len(y); r += 4 {
		if n4 > 0 {
			neonRows4BF16(&w[r*stride], stride, &x[0], n4, &y[r])
		} else {
			y[r], y[r+1], y[r+2], y[r+3] = 0, 0, 0, 0
		}
		for j := r; j < r+4; j++ {
			row := w[j*stride : j*stride+n]
			for i := n4; i < n; i++ {
				y[j] += BF16(row[i]) * x[i]
			}
		}
	}
	for ; r < len(y); r++ {
		y[r] = dotBF16NEON(w[r*stride:r*stride+n], x)
	}
}

func sumNEON(x []float32) float32 {
	n := len(x)
	n4 := n &^ 3
	var s float32
	if n4 > 0 {
		s = neonSum(&x[0], n4)
	}
	for i := n4; i < n; i++ {
		s += x[i]
	}
	return s
}

func sumSqNEON(x []float32) float32 { return dotF32NEON(x, x) }

// maxNEON uses FMAXNM, which skips quiet NaNs like the generic "v > m" loop.
func maxNEON(x []float32) float32 {
	n := len(x)
	n4 := n &^ 3
	m := float32(math.Inf(-1))
	if n4 > 0 {
		m = neonMax(&x[0], n4)
	}
	for i := n4; i < n; i++ {
		if x[i] > m {
			m = x[i]
		}
	}
	return m
}

// Element-wise kernels: whole vectors in place, the tail through a padded
// stack buffer (see the file comment).

func f16ToF32NEON(dst []float32, src []uint16) {
	n := len(dst)
	src = src[:n]
	n4 := n &^ 3
	if n4 > 0 {
		neonF16ToF32(&dst[0], &src[0], n4)
	}
	if n4 < n {
		var h [4]uint16
		var f [4]float32
		copy(h[:], src[n4:])
		neonF16ToF32(&f[0], &h[0], 4)
		copy(dst[n4:], f[:])
	}
}

func bf16ToF32NEON(dst []float32, src []uint16) {
	n := len(dst)
	src = src[:n]
	n4 := n &^ 3
	if n4 > 0 {
		neonBF16ToF32(&dst[0], &src[0], n4)
	}
	if n4 < n {
		var h [4]uint16
		var f [4]float32
		copy(h[:], src[n4:])
		neonBF16ToF32(&f[0], &h[0], 4)
		copy(dst[n4:], f[:])
	}
}

func f32ToF16NEON(dst []uint16, src []float32) {
	n := len(dst)
	src = src[:n]
	n4 := n &^ 3
	if n4 > 0 {
		neonF32ToF16(&dst[0], &src[0], n4)
	}
	if n4 < n {
		var f [4]float32
		var h [4]uint16
		copy(f[:], src[n4:])
		neonF32ToF16(&h[0], &f[0], 4)
		copy(dst[n4:], h[:])
	}
}

func axpyNEON(a float32, x, y []float32) {
	n := len(y)
	x = x[:n]
	n4 := n &^ 3
	if n4 > 0 {
		neonAxpy(a, &x[0], &y[0], n4)
	}
	if n4 < n {
		var xt, yt [4]float32
		copy(xt[:], x[n4:])
		copy(yt[:], y[n4:])
		neonAxpy(a, &xt[0], &yt[0], 4)
		copy(y[n4:], yt[:])
	}
}

func axpyF16NEON(a float32, x []uint16, y []float32) { axpy16NEON(false, a, x, y) }

func axpyBF16NEON(a float32, x []uint16, y []float32) { axpy16NEON(true, a, x, y) }

// axpy16NEON runs the f16 (or, with bf16, the bf16) axpy kernel over whole
// 4-vectors and the last n%4 elements through a padded 4-vector. The
// kernels are called directly, not through a func value, so the padding
// stays on the stack.
func axpy16NEON(bf16 bool, a float32, x []uint16, y []float32) {
	n := len(y)
	x = x[:n]
	n4 := n &^ 3
	if n4 > 0 {
		if bf16 {
			neonAxpyBF16(a, &x[0], &y[0], n4)
		} else {
			neonAxpyF16(a, &x[0], &y[0], n4)
		}
	}
	if n4 < n {
		var xt [4]uint16
		var yt [4]float32
		copy(xt[:], x[n4:])
		copy(yt[:], y[n4:])
		if bf16 {
			neonAxpyBF16(a, &xt[0], &yt[0], 4)
		} else {
			neonAxpyF16(a, &xt[0], &yt[0], 4)
		}
		copy(y[n4:], yt[:])
	}
}

func scaleNEON(a float32, x []float32) {
	n := len(x)
	n4 := n &^ 3
	if n4 > 0 {
		neonScale(a, &x[0], n4)
	}
	if n4 < n {
		var xt [4]float32
		copy(xt[:], x[n4:])
		neonScale(a, &xt[0], 4)
		copy(x[n4:], xt[:])
	}
}

func addNEON(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	n4 := n &^ 3
	if n4 > 0 {
		neonAdd(&dst[0], &a[0], &b[0], n4)
	}
	if n4 < n {
		var dt, at, bt [4]float32
		copy(at[:], a[n4:])
		copy(bt[:], b[n4:])
		neonAdd(&dt[0], &at[0], &bt[0], 4)
		copy(dst[n4:], dt[:])
	}
}

func mulNEON(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	n4 := n &^ 3
	if n4 > 0 {
		neonMul(&dst[0], &a[0], &b[0], n4)
	}
	if n4 < n {
		var dt, at, bt [4]float32
		copy(at[:], a[n4:])
		copy(bt[:], b[n4:])
		neonMul(&dt[0], &at[0], &bt[0], 4)
		copy(dst[n4:], dt[:])
	}
}

// expSubNEON sums the padded tail lanes only up to len(dst): the padding
// holds exp(0-m), which must not reach the result.
func expSubNEON(dst, x []float32, m float32) float32 {
	n := len(dst)
	x = x[:n]
	n4 := n &^ 3
	var s float32
	if n4 > 0 {
		s = neonExpSub(&dst[0], &x[0], n4, m)
	}
	if n4 < n {
		var xt, dt [4]float32
		copy(xt[:], x[n4:])
		neonExpSub(&dt[0], &xt[0], 4, m)
		for i, e := range dt[:n-n4] {
			dst[n4+i] = e
			s += e
		}
	}
	return s
}

func siluNEON(dst, x []float32) {
	n := len(dst)
	x = x[:n]
	n4 := n &^ 3
	if n4 > 0 {
		neonSiLU(&dst[0], &x[0], n4)
	}
	if n4 < n {
		var xt, dt [4]float32
		copy(xt[:], x[n4:])
		neonSiLU(&dt[0], &xt[0], 4)
		copy(dst[n4:], dt[:])
	}
}

func swigluNEON(dst, gate, up []float32) {
	n := len(dst)
	gate, up = gate[:n], up[:n]
	n4 := n &^ 3
	if n4 > 0 {
		neonSwiGLU(&dst[0], &gate[0], &up[0], n4)
	}
	if n4 < n {
		var gt, ut, dt [4]float32
		copy(gt[:], gate[n4:])
		copy(ut[:], up[n4:])
		neonSwiGLU(&dt[0], &gt[0], &ut[0], 4)
		copy(dst[n4:], dt[:])
	}
}
