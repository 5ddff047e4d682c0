//go:build !purego

package asm

// archKernels lists the SIMD implementations this CPU supports, slowest first.
func archKernels() []*Kernels { return nil }
