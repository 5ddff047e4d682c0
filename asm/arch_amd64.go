//go:build !purego

package asm

import "github.com/klauspost/cpuid/v2"

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
	avx2 := avx2Asm.kernels("avx2")
	setGemmAVX2(avx2)
	list := []*Kernels{avx2}
	if cpu.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL) {
		avx512 := avx512Asm.kernels("avx512")
		setGemmAVX512(avx512)
		list = append(list, avx512)
	}
	return list
}

var avx2Asm = &x86Asm{
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
}

var avx512Asm = &x86Asm{
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
