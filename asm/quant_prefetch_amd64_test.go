//go:build !purego

package asm

import (
	"math"
	"math/rand"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestRowsQPrefetchFlavours: the AVX2 block-quantized matvec with and
// without the software prefetch (only one is active on a given CPU vendor)
// both match the generic twin within the rounding of the float32 sums, and
// give each other's bits exactly, for every type, row counts that fill and
// miss the eight-row Q4_0 kernel's groups, padded strides and block counts
// up to past the prefetch distance.
func TestRowsQPrefetchFlavours(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.F16C) {
		t.Skip("no AVX2 on this CPU")
	}
	g := Generic()
	flav := quantPrefetchFlavours()
	r := rand.New(rand.NewSource(21))
	for _, q := range quantTypes {
		for _, nb := range []int{1, 2, 3, 7, 64, 65, 200} {
			for _, rows := range []int{1, 4, 5, 8, 9, 17} {
				n := nb * q.BlockElems()
				pad := (rows % 2) * q.BlockBytes()
				rowBytes := nb*q.BlockBytes() + pad
				w := randQBlocks(r, q, rows*(nb+pad/max(1, q.BlockBytes())), rows%4)
				x := randAct(r, n, 0)
				xq := make([]byte, ActBytes(q, n))
				g.QuantizeAct[q](xq, x)
				xd, s := actDecode(q, xq, n)
				want := make([]float32, rows)
				g.RowsQ[q](w, rowBytes, nb, xq, want)
				var got [2][]float32
				for i, k := range flav {
					got[i] = make([]float32, rows)
					for j := range got[i] {
						got[i][j] = float32(math.NaN())
					}
					k.RowsQ[q](w, rowBytes, nb, xq, got[i])
				}
				for row := range want {
					_, mag := refDot(q, w[row*rowBytes:], nb, xd, s)
					tol := 2 * float64(nb+8) * eps32 * mag
					if d := math.Abs(float64(got[1][row] - want[row])); !(d <= tol) {
						t.Fatalf("%v nb=%d rows=%d row %d: prefetching %g, generic %g (tolerance %g)", q, nb, rows, row, got[1][row], want[row], tol)
					}
					if math.Float32bits(got[0][row]) != math.Float32bits(got[1][row]) {
						t.Fatalf("%v nb=%d rows=%d row %d: %g without prefetch, %g with", q, nb, rows, row, got[0][row], got[1][row])
					}
				}
			}
		}
	}
}

// quantPrefetchFlavours builds the AVX2 table without ([0]) and with ([1])
// the software prefetch, whichever this CPU's vendor would pick.
func quantPrefetchFlavours() [2]*Kernels {
	var flav [2]*Kernels
	for i, pf := range []bool{false, true} {
		flav[i] = withQuantAVX2Prefetching(avx2Prefetching(pf).kernels(), pf)
		fillFromGeneric(flav[i])
	}
	return flav
}
