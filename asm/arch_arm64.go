//go:build !purego

package asm

import "github.com/klauspost/cpuid/v2"

// archKernels lists the SIMD implementations this CPU supports, slowest first.
//
// Advanced SIMD (NEON) is mandatory in ARMv8-A, so "neon" is always offered
// unless cpuid positively reports a CPU without it. When cpuid could not read
// the features at all (it then reports neither FP nor ASIMD) we trust the
// architecture. The kernels use only ARMv8.0 instructions: half precision is
// converted with FCVTL/FCVTN, never computed with (no asimdhp needed).
func archKernels() []*Kernels {
	knowsFeatures := cpuid.CPU.Supports(cpuid.FP) || cpuid.CPU.Supports(cpuid.ASIMD)
	if knowsFeatures && !cpuid.CPU.Supports(cpuid.ASIMD) {
		return nil
	}
	neon := &Kernels{
		Name:      "neon",
		DotF32:    dotF32NEON,
		DotF16:    dotF16NEON,
		DotBF16:   dotBF16NEON,
		RowsF32:   rowsF32NEON,
		RowsF16:   rowsF16NEON,
		RowsBF16:  rowsBF16NEON,
		F16ToF32:  f16ToF32NEON,
		BF16ToF32: bf16ToF32NEON,
		F32ToF16:  f32ToF16NEON,
		Axpy:      axpyNEON,
		AxpyF16:   axpyF16NEON,
		AxpyBF16:  axpyBF16NEON,
		Scale:     scaleNEON,
		Add:       addNEON,
		Mul:       mulNEON,
		Sum:       sumNEON,
		SumSq:     sumSqNEON,
		Max:       maxNEON,
		ExpSub:    expSubNEON,
		SiLU:      siluNEON,
		SwiGLU:    swigluNEON,
	}
	setGemmNEON(neon)
	return []*Kernels{neon}
}
