//go:build !purego

package asm

// setGemmAVX2 and setGemmAVX512 install the GEMM micro-kernels into an
// implementation; archKernels calls them.
func setGemmAVX2(k *Kernels)   {}
func setGemmAVX512(k *Kernels) {}
