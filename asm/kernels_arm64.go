//go:build !purego

package asm

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// hasAssembly: this build has the assembly paths of its GOARCH.
const hasAssembly = true

// archKernels lists the SIMD implementations this CPU supports, slowest first.
//
// Advanced SIMD (NEON) is mandatory in ARMv8-A, so "neon" is always offered
// unless cpuid positively reports a CPU without it. When cpuid could not read
// the features at all (it then reports neither FP nor ASIMD) we trust the
// architecture. The kernels use only ARMv8.0 instructions (half precision is
// converted with FCVTL/FCVTN, never computed with: no asimdhp needed), except
// the quantized dot products, which use SDOT where cpuid reports dotprod and
// ARMv8.0 widening multiplies elsewhere (quant_arm64.go).
func archKernels() []*Kernels {
	knowsFeatures := cpuid.CPU.Supports(cpuid.FP) || cpuid.CPU.Supports(cpuid.ASIMD)
	if knowsFeatures && !cpuid.CPU.Supports(cpuid.ASIMD) {
		return nil
	}
	k := neon().kernels()
	setQuantNEON(k, cpuid.CPU.Supports(cpuid.ASIMDDP))
	return []*Kernels{k}
}

// The NEON GEMM micro-kernel is 8×8: sixteen .4S accumulators (row i in
// V(2i), V(2i+1)) hold the whole tile for the k loop. Each k step loads two
// vectors of A and two of B and issues sixteen FMLA-by-element, so A needs
// no broadcasts. Lanes start at zero, sum their products in k order and are
// added to C at the end, like gemmMicroGeneric. There are no NEON packers or
// Winograd transforms: those fields are the generic twins (the column-major
// packing widens with the NEON conversion). The FMA-peak loop runs sixteen
// independent FMLA .4S chains.
func neon() *simdAsm {
	return &simdAsm{
		name:    "neon",
		width:   4,
		dotF32:  dotF32NEON,
		dotF16:  dotF16NEON,
		dotBF16: dotBF16NEON,
		sum:     sumNEON,
		max:     maxNEON,
		rowsF32: func(w *float32, stride int, x *float32, n int, y *float32, m int) {
			rowsBy4(rows4F32NEON, dotF32NEON, w, stride, x, n, y, m)
		},
		rowsF16: func(w *uint16, stride int, x *float32, n int, y *float32, m int) {
			rowsBy4(rows4F16NEON, dotF16NEON, w, stride, x, n, y, m)
		},
		rowsBF16: func(w *uint16, stride int, x *float32, n int, y *float32, m int) {
			rowsBy4(rows4BF16NEON, dotBF16NEON, w, stride, x, n, y, m)
		},
		f16ToF32:  f16ToF32NEON,
		bf16ToF32: bf16ToF32NEON,
		f32ToF16:  f32ToF16NEON,
		axpy:      axpyNEON,
		axpyF16:   axpyF16NEON,
		axpyBF16:  axpyBF16NEON,
		scale:     scaleNEON,
		add:       addNEON,
		mul:       mulNEON,
		expSub:    expSubNEON,
		silu:      siluNEON,
		swiglu:    swigluNEON,

		gemmMR: 8, gemmNR: 8, gemm: gemm8x8NEON,
		fmaPeak: fmaPeakNEON, peakFlops: 16 * 4 * 2,
	}
}

// rowsBy4 gives the four-row kernels the m-row shape of simdAsm.rows*: groups
// of four rows (x loaded once per group), then the dot kernel for the last
// m%4 rows. n is a multiple of 4 and the caller checked that w holds the rows.
func rowsBy4[T uint16 | float32](rows4 func(w *T, stride int, x *float32, n int, y *float32),
	dot func(w *T, x *float32, n int) float32, w *T, stride int, x *float32, n int, y *float32, m int) {
	row := func(r int) *T { return (*T)(unsafe.Add(unsafe.Pointer(w), uintptr(r*stride)*unsafe.Sizeof(*w))) }
	out := unsafe.Slice(y, m)
	r := 0
	for ; r+4 <= m; r += 4 {
		rows4(row(r), stride, x, n, &out[r])
	}
	for ; r < m; r++ {
		out[r] = dot(row(r), x, n)
	}
}

// Assembly prototypes: n is a multiple of 4.

//go:noescape
func dotF32NEON(a, b *float32, n int) float32

//go:noescape
func dotF16NEON(w *uint16, x *float32, n int) float32

//go:noescape
func dotBF16NEON(w *uint16, x *float32, n int) float32

//go:noescape
func sumNEON(x *float32, n int) float32

//go:noescape
func maxNEON(x *float32, n int) float32

// y[i] = dot(w[i*stride:], x) for i < 4 over the first n elements; stride
// counts elements, not bytes (rows_arm64.s).
//
//go:noescape
func rows4F32NEON(w *float32, stride int, x *float32, n int, y *float32)

//go:noescape
func rows4F16NEON(w *uint16, stride int, x *float32, n int, y *float32)

//go:noescape
func rows4BF16NEON(w *uint16, stride int, x *float32, n int, y *float32)

//go:noescape
func f16ToF32NEON(dst *float32, src *uint16, n int)

//go:noescape
func bf16ToF32NEON(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16NEON(dst *uint16, src *float32, n int)

//go:noescape
func axpyNEON(a float32, x, y *float32, n int)

//go:noescape
func axpyF16NEON(a float32, x *uint16, y *float32, n int)

//go:noescape
func axpyBF16NEON(a float32, x *uint16, y *float32, n int)

//go:noescape
func scaleNEON(a float32, x *float32, n int)

//go:noescape
func addNEON(dst, a, b *float32, n int)

//go:noescape
func mulNEON(dst, a, b *float32, n int)

//go:noescape
func expSubNEON(dst, x *float32, n int, m float32) float32

//go:noescape
func siluNEON(dst, x *float32, n int)

//go:noescape
func swigluNEON(dst, gate, up *float32, n int)

// k >= 1; a holds k*8 floats, b k*8, c rows of 8 at a stride of ldc floats.
//
//go:noescape
func gemm8x8NEON(k int, a, b, c *float32, ldc int)

//go:noescape
func fmaPeakNEON(iters int)
