//go:build !purego

package asm

// setGemmNEON installs the NEON GEMM micro-kernel; archKernels calls it.
func setGemmNEON(k *Kernels) {}
