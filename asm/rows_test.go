package asm

import (
	"math"
	"math/rand"
	"testing"
)

func TestRowsMatchGeneric(t *testing.T) {
	g := Generic()
	r := rand.New(rand.NewSource(2))
	for _, k := range simdImpls(t) {
		for n := 0; n <= 300; n++ {
			for rows := 0; rows <= 9; rows++ {
				stride := n + []int{0, 1, 5, 17}[(n+rows)%4] // stride > n and == n
				off := testOffsets[(n+rows)%3]
				// The weight slice ends right after the last row's n-th
				// element, as the exported wrappers allow.
				wlen := 0
				if rows > 0 {
					wlen = (rows-1)*stride + n
				}
				checkRowsAllDTypes(t, k, g, r, n, rows, stride, wlen, off)
			}
		}
	}
}

// TestRowsWideMatchGeneric covers rows wide enough that x and a row no
// longer fit in L1 together, with odd and even row counts, tails and
// unaligned slices.
func TestRowsWideMatchGeneric(t *testing.T) {
	g := Generic()
	r := rand.New(rand.NewSource(3))
	for _, k := range simdImpls(t) {
		for i, n := range []int{3583, 3600, 4777, 4800, 5632, 5639, 11008} {
			for _, rows := range []int{1, 2, 3, 6} {
				stride := n + []int{0, 3}[i%2]
				off := testOffsets[(i+rows)%3]
				wlen := (rows-1)*stride + n
				checkRowsAllDTypes(t, k, g, r, n, rows, stride, wlen, off)
			}
		}
	}
}

// checkRowsAllDTypes checks k's f32, f16 and bf16 Rows kernels against g's
// on random rows×n weights at the given stride and slice offset.
func checkRowsAllDTypes(t *testing.T, k, g *Kernels, r *rand.Rand, n, rows, stride, wlen, off int) {
	t.Helper()
	x := randF32(r, n, off, 1)
	wf := randF32(r, wlen, off, 1)
	wh := randF16(r, wlen, off)
	wb := randBF16(r, wlen, off)
	checkRows(t, k.Name+" RowsF32", n, rows, stride, x, func(i int) float64 { return float64(wf[i]) },
		func(y []float32) { k.RowsF32(wf, stride, x, y) }, func(y []float32) { g.RowsF32(wf, stride, x, y) })
	checkRows(t, k.Name+" RowsF16", n, rows, stride, x, func(i int) float64 { return float64(F16(wh[i])) },
		func(y []float32) { k.RowsF16(wh, stride, x, y) }, func(y []float32) { g.RowsF16(wh, stride, x, y) })
	checkRows(t, k.Name+" RowsBF16", n, rows, stride, x, func(i int) float64 { return float64(BF16(wb[i])) },
		func(y []float32) { k.RowsBF16(wb, stride, x, y) }, func(y []float32) { g.RowsBF16(wb, stride, x, y) })
}

// checkRows runs one Rows kernel and its generic twin into y slices that are
// followed by a guard element, which must stay untouched.
func checkRows(t *testing.T, name string, n, rows, stride int, x []float32, w func(i int) float64, run, ref func(y []float32)) {
	t.Helper()
	const guard = float32(12345.5)
	got := make([]float32, rows+1)
	want := make([]float32, rows+1)
	for i := range got {
		got[i], want[i] = -7, -7 // stale values must be overwritten
	}
	got[rows], want[rows] = guard, guard
	run(got[:rows])
	ref(want[:rows])
	if got[rows] != guard {
		t.Fatalf("%s n=%d rows=%d: wrote past len(y)", name, n, rows)
	}
	for j := 0; j < rows; j++ {
		bound := dotBound(n, absDot(n, func(i int) float64 { return w(j*stride + i) }, x))
		if math.Abs(float64(got[j]-want[j])) > bound {
			t.Fatalf("%s n=%d rows=%d stride=%d row %d: %v, generic %v (bound %g)", name, n, rows, stride, j, got[j], want[j], bound)
		}
	}
}
