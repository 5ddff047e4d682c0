//go:build !purego

package asm

import "github.com/klauspost/cpuid/v2"

// hasAssembly: this build has the assembly paths of its GOARCH.
const hasAssembly = true

// archKernels lists the SIMD implementations this CPU supports, slowest
// first: "avx2" needs AVX2, FMA3 and F16C; "avx512" additionally needs
// AVX512F, AVX512BW and AVX512VL. cpuid reports AVX and AVX-512 only when the
// OS also saves the wider registers (XGETBV), so a listed implementation
// never faults.
func archKernels() []*Kernels {
	cpu := cpuid.CPU
	if !cpu.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.F16C) {
		return nil
	}
	list := []*Kernels{withQuantAVX2(avx2().kernels())}
	if cpu.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL) {
		list = append(list, withQuantAVX2(avx512().kernels()))
	}
	return list
}

// The GEMM micro-kernels keep the whole MR×NR tile of C in vector registers
// for the k loop, so each k step costs NR/width vector loads of B and MR
// broadcasts of A for MR·NR/width FMAs:
//
//	avx2:    6×16, 12 Y accumulators (2 loads + 6 broadcasts per 12 FMAs)
//	avx512:  8×32, 16 Z accumulators (2 loads + 8 broadcasts per 16 FMAs)
//
// Each accumulator lane starts at zero and sums its products with FMAs in k
// order; the sum is added to C at the end, like gemmMicroGeneric. The
// FMA-peak loops run twelve independent chains of VFMADD231PS, enough to
// cover the FMA latency on two pipes.

func avx2() *simdAsm { return avx2Prefetching(rowsPrefetchPays(cpuid.CPU.VendorID)) }

// avx2Prefetching is the AVX2 table with (pf) or without the software
// prefetch in the matvec kernels; both give the same bits.
func avx2Prefetching(pf bool) *simdAsm {
	s := &simdAsm{
		name:      "avx2",
		width:     8,
		dotF32:    dotF32AVX2,
		dotF16:    dotF16AVX2,
		dotBF16:   dotBF16AVX2,
		sum:       sumAVX2,
		max:       maxAVX2,
		rowsF32:   rowsF32AVX2,
		rowsF16:   rowsF16AVX2,
		rowsBF16:  rowsBF16AVX2,
		f16ToF32:  f16ToF32AVX2,
		bf16ToF32: bf16ToF32AVX2,
		f32ToF16:  f32ToF16AVX2,
		axpy:      axpyAVX2,
		axpyF16:   axpyF16AVX2,
		axpyBF16:  axpyBF16AVX2,
		scale:     scaleAVX2,
		add:       addAVX2,
		mul:       mulAVX2,
		expSub:    expSubAVX2,
		silu:      siluAVX2,
		swiglu:    swigluAVX2,

		gemmMR: 6, gemmNR: 16, gemm: gemm6x16AVX2,
		packChunk: 8, packF32: gemmPackT8F32AVX2, packF16: gemmPackT8F16AVX2, packBF16: gemmPackT8BF16AVX2,
		packColsF16: gemmPackC16F16AVX2, packColsBF16: gemmPackC16BF16AVX2,
		fmaPeak: fmaPeakAVX2, peakFlops: 12 * 8 * 2,

		rows2F32: rows2F32AVX2, rows2F16: rows2F16AVX2, rows2BF16: rows2BF16AVX2,
		rows3F32: rows3F32AVX2, rows3F16: rows3F16AVX2, rows3BF16: rows3BF16AVX2,
	}
	if pf {
		s.rowsPrefetch = true
		s.rowsF32, s.rowsF16, s.rowsBF16 = rowsF32PfAVX2, rowsF16PfAVX2, rowsBF16PfAVX2
		s.rows2F32, s.rows2F16, s.rows2BF16 = rows2F32PfAVX2, rows2F16PfAVX2, rows2BF16PfAVX2
		s.rows3F32, s.rows3F16, s.rows3BF16 = rows3F32PfAVX2, rows3F16PfAVX2, rows3BF16PfAVX2
	}
	return s
}

// rowsPrefetchPays says whether the AVX2 matvec kernels should prefetch
// their weights in software (the *Pf variants, rows_avx2_amd64.s). On AMD
// Zen 3 a core streamed a matvec 10-20 % faster with a prefetch 1 KiB ahead
// (1 thread; 2048- and 5632-wide f16 rows of a 1 GiB matrix); on an Intel
// Xeon an earlier prefetching kernel streamed slower, so Intel and unknown
// vendors keep the plain loop.
func rowsPrefetchPays(v cpuid.Vendor) bool { return v == cpuid.AMD || v == cpuid.Hygon }

func avx512() *simdAsm {
	return &simdAsm{
		name:      "avx512",
		width:     16,
		dotF32:    dotF32AVX512,
		dotF16:    dotF16AVX512,
		dotBF16:   dotBF16AVX512,
		sum:       sumAVX512,
		max:       maxAVX512,
		rowsF32:   rowsF32AVX512,
		rowsF16:   rowsF16AVX512,
		rowsBF16:  rowsBF16AVX512,
		f16ToF32:  f16ToF32AVX512,
		bf16ToF32: bf16ToF32AVX512,
		f32ToF16:  f32ToF16AVX512,
		axpy:      axpyAVX512,
		axpyF16:   axpyF16AVX512,
		axpyBF16:  axpyBF16AVX512,
		scale:     scaleAVX512,
		add:       addAVX512,
		mul:       mulAVX512,
		expSub:    expSubAVX512,
		silu:      siluAVX512,
		swiglu:    swigluAVX512,

		gemmMR: 8, gemmNR: 32, gemm: gemm8x32AVX512, gemmSet: gemm8x32SetAVX512,
		packChunk: 16, packF32: gemmPackT16F32AVX512, packF16: gemmPackT16F16AVX512, packBF16: gemmPackT16BF16AVX512,
		packColsF16: gemmPackC32F16AVX512, packColsBF16: gemmPackC32BF16AVX512,
		winoIn16: winoIn16AVX512, winoOut16: winoOut16AVX512,
		fmaPeak: fmaPeakAVX512, peakFlops: 12 * 16 * 2,
	}
}

// Assembly prototypes: n is a multiple of the vector width (8 for AVX2,
// 16 for AVX-512) and may be 0 only where noted in the .s files.

//go:noescape
func dotF32AVX2(a, b *float32, n int) float32

//go:noescape
func dotF16AVX2(w *uint16, x *float32, n int) float32

//go:noescape
func dotBF16AVX2(w *uint16, x *float32, n int) float32

//go:noescape
func sumAVX2(x *float32, n int) float32

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func rowsF32AVX2(w *float32, stride int, x *float32, n int, y *float32, m int)

//go:noescape
func rowsF16AVX2(w *uint16, stride int, x *float32, n int, y *float32, m int)

//go:noescape
func rowsBF16AVX2(w *uint16, stride int, x *float32, n int, y *float32, m int)

//go:noescape
func f16ToF32AVX2(dst *float32, src *uint16, n int)

//go:noescape
func bf16ToF32AVX2(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func axpyAVX2(a float32, x, y *float32, n int)

//go:noescape
func axpyF16AVX2(a float32, x *uint16, y *float32, n int)

//go:noescape
func axpyBF16AVX2(a float32, x *uint16, y *float32, n int)

//go:noescape
func scaleAVX2(a float32, x *float32, n int)

//go:noescape
func addAVX2(dst, a, b *float32, n int)

//go:noescape
func mulAVX2(dst, a, b *float32, n int)

//go:noescape
func expSubAVX2(dst, x *float32, n int, m float32) float32

//go:noescape
func siluAVX2(dst, x *float32, n int)

//go:noescape
func swigluAVX2(dst, gate, up *float32, n int)

//go:noescape
func dotF32AVX512(a, b *float32, n int) float32

//go:noescape
func dotF16AVX512(w *uint16, x *float32, n int) float32

//go:noescape
func dotBF16AVX512(w *uint16, x *float32, n int) float32

//go:noescape
func sumAVX512(x *float32, n int) float32

//go:noescape
func maxAVX512(x *float32, n int) float32

//go:noescape
func rowsF32AVX512(w *float32, stride int, x *float32, n int, y *float32, m int)

//go:noescape
func rowsF16AVX512(w *uint16, stride int, x *float32, n int, y *float32, m int)

//go:noescape
func rowsBF16AVX512(w *uint16, stride int, x *float32, n int, y *float32, m int)

//go:noescape
func f16ToF32AVX512(dst *float32, src *uint16, n int)

//go:noescape
func bf16ToF32AVX512(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16AVX512(dst *uint16, src *float32, n int)

//go:noescape
func axpyAVX512(a float32, x, y *float32, n int)

//go:noescape
func axpyF16AVX512(a float32, x *uint16, y *float32, n int)

//go:noescape
func axpyBF16AVX512(a float32, x *uint16, y *float32, n int)

//go:noescape
func scaleAVX512(a float32, x *float32, n int)

//go:noescape
func addAVX512(dst, a, b *float32, n int)

//go:noescape
func mulAVX512(dst, a, b *float32, n int)

//go:noescape
func expSubAVX512(dst, x *float32, n int, m float32) float32

//go:noescape
func siluAVX512(dst, x *float32, n int)

//go:noescape
func swigluAVX512(dst, gate, up *float32, n int)

// k >= 1; a holds k*6 floats, b k*16, c rows of 16 at a stride of ldc floats.
//
//go:noescape
func gemm6x16AVX2(k int, a, b, c *float32, ldc int)

// k >= 1; a holds k*8 floats, b k*32, c rows of 32 at a stride of ldc floats.
//
//go:noescape
func gemm8x32AVX512(k int, a, b, c *float32, ldc int)

// gemm8x32SetAVX512 is gemm8x32AVX512 storing A·B over C instead of adding.
//
//go:noescape
func gemm8x32SetAVX512(k int, a, b, c *float32, ldc int)

// The transposing packers handle chunks (>= 1) of 16 k values of 32 rows
// (AVX-512) or 8 values of 16 rows (AVX2) at a stride of stride elements:
// dst[p*nr+j] = widen(src[j*stride+p]).
//
//go:noescape
func gemmPackT16F32AVX512(dst, src *float32, stride, chunks int)

//go:noescape
func gemmPackT16F16AVX512(dst *float32, src *uint16, stride, chunks int)

//go:noescape
func gemmPackT16BF16AVX512(dst *float32, src *uint16, stride, chunks int)

//go:noescape
func gemmPackT8F32AVX2(dst, src *float32, stride, chunks int)

//go:noescape
func gemmPackT8F16AVX2(dst *float32, src *uint16, stride, chunks int)

//go:noescape
func gemmPackT8BF16AVX2(dst *float32, src *uint16, stride, chunks int)

// Winograd transforms of 16 tiles (winograd.go); strides in floats.
//
//go:noescape
func winoIn16AVX512(src *float32, rowStride int, dst *float32, vStride int)

//go:noescape
func winoOut16AVX512(m *float32, mStride int, top, bot *float32, bias float32)

// Column-major panels (GemmPackColsF16): kc rows of one full panel width
// (16 for AVX2, 32 for AVX-512) widened from src[p*stride:], kc > 0.

//go:noescape
func gemmPackC16F16AVX2(dst *float32, src *uint16, stride, kc int)

//go:noescape
func gemmPackC16BF16AVX2(dst *float32, src *uint16, stride, kc int)

//go:noescape
func gemmPackC32F16AVX512(dst *float32, src *uint16, stride, kc int)

//go:noescape
func gemmPackC32BF16AVX512(dst *float32, src *uint16, stride, kc int)

//go:noescape
func fmaPeakAVX2(iters int)

//go:noescape
func fmaPeakAVX512(iters int)

//go:noescape
func rows2F32AVX2(w *float32, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)

//go:noescape
func rows3F32AVX2(w *float32, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)

//go:noescape
func rows2F16AVX2(w *uint16, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)

//go:noescape
func rows3F16AVX2(w *uint16, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)

//go:noescape
func rows2BF16AVX2(w *uint16, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)

//go:noescape
func rows3BF16AVX2(w *uint16, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)

//go:noescape
func rowsF32PfAVX2(w *float32, stride int, x *float32, n int, y *float32, m int)

//go:noescape
func rows2F32PfAVX2(w *float32, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)

//go:noescape
func rows3F32PfAVX2(w *float32, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)

//go:noescape
func rowsF16PfAVX2(w *uint16, stride int, x *float32, n int, y *float32, m int)

//go:noescape
func rows2F16PfAVX2(w *uint16, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)

//go:noescape
func rows3F16PfAVX2(w *uint16, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)

//go:noescape
func rowsBF16PfAVX2(w *uint16, stride int, x *float32, n int, y *float32, m int)

//go:noescape
func rows2BF16PfAVX2(w *uint16, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)

//go:noescape
func rows3BF16PfAVX2(w *uint16, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)
