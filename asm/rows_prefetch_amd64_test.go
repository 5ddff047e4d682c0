//go:build !purego

package asm

import (
	"math"
	"math/rand"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestRowsPrefetchFlavours: the AVX2 matvec kernels with and without the
// software prefetch (only one of them is active on a given CPU vendor) both
// match the generic twin, give multi-vector results with single-vector
// bits, and give each other's bits exactly.
func TestRowsPrefetchFlavours(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.F16C) {
		t.Skip("no AVX2 on this CPU")
	}
	g := Generic()
	var flav [2]*Kernels
	for i, pf := range []bool{false, true} {
		k := avx2Prefetching(pf).kernels()
		fillFromGeneric(k)
		k.Name = map[bool]string{false: "avx2", true: "avx2-prefetch"}[pf]
		flav[i] = k
		r := rand.New(rand.NewSource(11))
		for _, n := range []int{8, 16, 24, 32, 40, 56, 64, 72, 96, 128, 136, 300, 2048, 5632, 5639} {
			for _, rows := range []int{1, 2, 5} {
				stride := n + rows%2
				checkRowsAllDTypes(t, k, g, r, n, rows, stride, (rows-1)*stride+n, rows%3)
			}
		}
		checkRowsMulti(t, k)
	}
	r := rand.New(rand.NewSource(12))
	for _, n := range []int{8, 64, 100, 2048, 5639} {
		rows := 7
		x := randF32(r, n, 1, 1)
		w := randF16(r, rows*n, 2)
		a, b := make([]float32, rows), make([]float32, rows)
		flav[0].RowsF16(w, n, x, a)
		flav[1].RowsF16(w, n, x, b)
		for j := range a {
			if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
				t.Fatalf("n=%d row %d: %v without prefetch, %v with", n, j, a[j], b[j])
			}
		}
	}
}
