package asm

import (
	"math"
	"math/rand"
	"testing"
)

// TestRowsMultiMatchesRows: on every path, RowsF32/F16/BF16Multi give every
// vector exactly the bits the path's single-vector Rows kernel gives it, for
// 1 to 7 vectors (every grouping into threes, pairs and singles), any row
// range, lengths with and without a tail, and unaligned slices; rows
// outside the range are left alone.
func TestRowsMultiMatchesRows(t *testing.T) {
	for _, k := range Available() {
		checkRowsMulti(t, k)
	}
}

// checkRowsMulti is TestRowsMultiMatchesRows for one kernel table.
func checkRowsMulti(t *testing.T, k *Kernels) {
	t.Helper()
	r := rand.New(rand.NewSource(7))
	lengths := []int{0, 1, 7, 8, 9, 24, 31, 32, 33, 40, 63, 64, 65, 96, 100, 127, 128, 129, 200, 256, 300, 2048, 5632, 5639}
	{
		for i, n := range lengths {
			rows := []int{1, 2, 3, 5, 9}[i%5]
			nvec := 1 + i%7
			stride := n + []int{0, 1, 5}[i%3]
			off := testOffsets[i%3]
			wlen := (rows-1)*stride + n
			lo, hi := 0, rows
			if rows > 2 {
				lo, hi = 1, rows-1
			}
			xs := make([][]float32, nvec)
			for v := range xs {
				xs[v] = randF32(r, n, testOffsets[(i+v)%3], 1)
			}
			wf := randF32(r, wlen, off, 1)
			wh := randF16(r, wlen, off)
			wb := randBF16(r, wlen, off)
			checkMulti(t, k.Name+" RowsF32Multi", n, rows, lo, hi, xs,
				func(ys [][]float32) { k.RowsF32Multi(wf, stride, xs, ys, lo, hi) },
				func(x, y []float32) { k.RowsF32(wf[lo*stride:(hi-1)*stride+n], stride, x, y) })
			checkMulti(t, k.Name+" RowsF16Multi", n, rows, lo, hi, xs,
				func(ys [][]float32) { k.RowsF16Multi(wh, stride, xs, ys, lo, hi) },
				func(x, y []float32) { k.RowsF16(wh[lo*stride:(hi-1)*stride+n], stride, x, y) })
			checkMulti(t, k.Name+" RowsBF16Multi", n, rows, lo, hi, xs,
				func(ys [][]float32) { k.RowsBF16Multi(wb, stride, xs, ys, lo, hi) },
				func(x, y []float32) { k.RowsBF16(wb[lo*stride:(hi-1)*stride+n], stride, x, y) })
		}
	}
}

// checkMulti runs a multi-vector kernel into rows-long outputs and compares
// rows [lo, hi) of every vector with the single-vector kernel's bits.
func checkMulti(t *testing.T, name string, n, rows, lo, hi int, xs [][]float32, multi func(ys [][]float32), single func(x, y []float32)) {
	t.Helper()
	const stale = float32(-7)
	ys := make([][]float32, len(xs))
	for v := range ys {
		ys[v] = make([]float32, rows)
		for j := range ys[v] {
			ys[v][j] = stale
		}
	}
	multi(ys)
	want := make([]float32, hi-lo)
	for v, x := range xs {
		single(x, want)
		for j := 0; j < rows; j++ {
			got := ys[v][j]
			if j < lo || j >= hi {
				if got != stale {
					t.Fatalf("%s n=%d vectors=%d: row %d outside [%d, %d) written", name, n, len(xs), j, lo, hi)
				}
				continue
			}
			if math.Float32bits(got) != math.Float32bits(want[j-lo]) {
				t.Fatalf("%s n=%d vectors=%d: vector %d row %d = %v, single-vector kernel %v", name, n, len(xs), v, j, got, want[j-lo])
			}
		}
	}
}

// TestRowsMultiPanics: mismatched vectors and outputs, short outputs and a
// short weight slice are programming errors with a message, never a read
// out of bounds.
func TestRowsMultiPanics(t *testing.T) {
	w := make([]uint16, 3*16)
	x := make([]float32, 16)
	for name, f := range map[string]func(){
		"outputs":      func() { RowsF16Multi(w, 16, [][]float32{x, x}, [][]float32{make([]float32, 3)}, 0, 3) },
		"short output": func() { RowsF16Multi(w, 16, [][]float32{x}, [][]float32{make([]float32, 2)}, 0, 3) },
		"short w":      func() { RowsF16Multi(w, 16, [][]float32{x}, [][]float32{make([]float32, 4)}, 0, 4) },
		"ragged x": func() {
			RowsF16Multi(w, 16, [][]float32{x, x[:8]}, [][]float32{make([]float32, 3), make([]float32, 3)}, 0, 3)
		},
		"range": func() { RowsF16Multi(w, 16, [][]float32{x}, [][]float32{make([]float32, 3)}, 2, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
