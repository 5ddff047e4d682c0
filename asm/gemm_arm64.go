//go:build !purego

package asm

// The NEON GEMM micro-kernel is 8×8: sixteen .4S accumulators (row i in
// V(2i), V(2i+1)) hold the whole tile for the k loop. Each k step loads two
// vectors of A and two of B and issues sixteen FMLA-by-element, so A needs
// no broadcasts. Lanes start at zero, sum their products in k order and are
// added to C at the end, like gemmMicroGeneric.

const gemmMRNEON, gemmNRNEON = 8, 8

// setGemmNEON installs the NEON GEMM micro-kernel; archKernels calls it.
func setGemmNEON(k *Kernels) {
	k.GemmMR, k.GemmNR, k.GemmMicro = gemmMRNEON, gemmNRNEON, gemmMicroNEON
}

func gemmMicroNEON(k int, a, b, c []float32, ldc int) {
	if k < 0 || ldc < gemmNRNEON || len(a) < k*gemmMRNEON || len(b) < k*gemmNRNEON ||
		len(c) < (gemmMRNEON-1)*ldc+gemmNRNEON {
		panic("asm: GemmMicro: slice too short for the tile")
	}
	if k == 0 {
		return
	}
	gemm8x8NEON(k, &a[0], &b[0], &c[0], ldc)
}

// k >= 1; a holds k*8 floats, b k*8, c rows of 8 at a stride of ldc floats.
//
//go:noescape
func gemm8x8NEON(k int, a, b, c *float32, ldc int)
