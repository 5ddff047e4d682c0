package asm

import "fmt"

// Rows against several activation vectors at once: the guided decoding
// step (two or three guidance sequences), a batched step of several
// conversations, a short prefill. Each weight row is read from memory once
// for up to three vectors instead of once per vector, and every result has
// the bits the single-vector Rows kernel gives it, whatever the grouping.

// rowsMultiByOne is a RowsMulti built from a single-vector Rows kernel:
// one pass over the rows per vector (the generic, AVX-512 and NEON paths).
func rowsMultiByOne[T uint16 | float32](rows func(w []T, stride int, x, y []float32)) func(w []T, stride int, xs, ys [][]float32, lo, hi int) {
	return func(w []T, stride int, xs, ys [][]float32, lo, hi int) {
		if lo == hi {
			return
		}
		n := len(xs[0])
		wr := w[lo*stride : (hi-1)*stride+n]
		for v, x := range xs {
			rows(wr, stride, x, ys[v][lo:hi])
		}
	}
}

// rowsMultiCheck panics unless xs and ys describe rows [lo, hi) of a
// weight slice of wlen elements at stride, as RowsF32Multi documents.
func rowsMultiCheck(wlen, stride int, xs, ys [][]float32, lo, hi int) {
	if len(xs) != len(ys) {
		panic(fmt.Sprintf("asm: RowsMulti with %d vectors and %d outputs", len(xs), len(ys)))
	}
	if lo < 0 || hi < lo {
		panic(fmt.Sprintf("asm: RowsMulti rows [%d, %d)", lo, hi))
	}
	if lo == hi || len(xs) == 0 {
		return
	}
	n := len(xs[0])
	if stride < n || wlen < (hi-1)*stride+n {
		panic(fmt.Sprintf("asm: RowsMulti weight slice of %d elements, stride %d, too short for rows [%d, %d) of %d values", wlen, stride, lo, hi, n))
	}
	for v := range xs {
		if len(xs[v]) != n || len(ys[v]) < hi {
			panic(fmt.Sprintf("asm: RowsMulti vector %d: %d values (need %d), %d outputs (need %d)", v, len(xs[v]), n, len(ys[v]), hi))
		}
	}
}

// RowsF32Multi computes ys[v][r] = dot(w[r*stride : r*stride+n], xs[v]) for
// lo <= r < hi and every v, where n = len(xs[0]) and every xs[v] has n
// values; rows outside [lo, hi) of ys are left alone. Each row is read once
// for up to three vectors, and ys[v][r] has the bits RowsF32 gives it.
func RowsF32Multi(w []float32, stride int, xs, ys [][]float32, lo, hi int) {
	rowsMultiCheck(len(w), stride, xs, ys, lo, hi)
	if lo < hi && len(xs) > 0 {
		active.RowsF32Multi(w, stride, xs, ys, lo, hi)
	}
}

// RowsF16Multi is RowsF32Multi for f16 weights.
func RowsF16Multi(w []uint16, stride int, xs, ys [][]float32, lo, hi int) {
	rowsMultiCheck(len(w), stride, xs, ys, lo, hi)
	if lo < hi && len(xs) > 0 {
		active.RowsF16Multi(w, stride, xs, ys, lo, hi)
	}
}

// RowsBF16Multi is RowsF32Multi for bf16 weights.
func RowsBF16Multi(w []uint16, stride int, xs, ys [][]float32, lo, hi int) {
	rowsMultiCheck(len(w), stride, xs, ys, lo, hi)
	if lo < hi && len(xs) > 0 {
		active.RowsBF16Multi(w, stride, xs, ys, lo, hi)
	}
}
