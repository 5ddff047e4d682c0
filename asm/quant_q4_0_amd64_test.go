//go:build !purego

package asm

import (
	"math"
	"math/rand"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestRowsQ4_0GenericBits: the AVX2 Q4_0 kernels (eight rows, one row,
// eight and four rows by four vectors; with and without the prefetch) give the
// generic twin's bits for every row and vector, over row counts that fill
// and miss the groups, padded and unaligned rows, block counts past the
// prefetch distance, and extreme activations (±127 everywhere, where the
// int16 partial sums are largest).
func TestRowsQ4_0GenericBits(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.F16C) {
		t.Skip("no AVX2 on this CPU")
	}
	g := Generic()
	flav := quantPrefetchFlavours()
	r := rand.New(rand.NewSource(24))
	for _, nb := range []int{1, 2, 3, 5, 64, 90} {
		for _, rows := range []int{1, 3, 4, 7, 8, 9, 16, 21} {
			for _, extreme := range []bool{false, true} {
				n := nb * 32
				pad := rows % 3 * Q4_0.BlockBytes()
				rowBytes := nb*Q4_0.BlockBytes() + pad
				w := randQBlocks(r, Q4_0, rows*(nb+rows%3), rows%4)
				var xq [4][]byte
				for v := range xq {
					x := randAct(r, n, 0)
					if extreme {
						// Vector 0 all +127, vector 1 all -127, the others
						// ±127 at random.
						for i := range x {
							x[i] = 1
							if v == 1 || v > 1 && r.Intn(2) == 0 {
								x[i] = -1
							}
						}
						// All-0 or all-15 nibbles against ±127 activations.
						for b := 0; b < len(w); b += Q4_0.BlockBytes() {
							fill := byte(0xff * (b / Q4_0.BlockBytes() % 2))
							for j := b + 2; j < b+Q4_0.BlockBytes() && j < len(w); j++ {
								w[j] = fill
							}
						}
					}
					xq[v] = make([]byte, ActBytes(Q4_0, n)+v)[v:]
					g.QuantizeAct[Q4_0](xq[v], x)
				}
				var want [4][]float32
				for v := range want {
					want[v] = make([]float32, rows)
					g.RowsQ[Q4_0](w, rowBytes, nb, xq[v], want[v])
				}
				check := func(what string, v int, got []float32) {
					t.Helper()
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[v][i]) {
							t.Fatalf("%s nb=%d rows=%d extreme=%v vector %d row %d: %g, generic %g", what, nb, rows, extreme, v, i, got[i], want[v][i])
						}
					}
				}
				for i, k := range flav {
					name := []string{"avx2", "avx2 prefetching"}[i]
					got := make([]float32, rows)
					k.RowsQ[Q4_0](w, rowBytes, nb, xq[0], got)
					check(name+" RowsQ", 0, got)
					var got4 [4][]float32
					for v := range got4 {
						got4[v] = make([]float32, rows)
					}
					k.RowsQ4[Q4_0](w, rowBytes, nb, xq, got4)
					for v := range got4 {
						check(name+" RowsQ4", v, got4[v])
					}
					k.RowsQ2[Q4_0](w, rowBytes, nb, xq[2], xq[3], got4[0], got4[1])
					check(name+" RowsQ2", 2, got4[0])
					check(name+" RowsQ2", 3, got4[1])
				}
			}
		}
	}
}
