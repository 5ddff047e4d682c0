package asm

// Tests of the quantized dot products (RowsQ, RowsQ2), with the layout
// decoders of quant_test.go.
//
// Tolerances: within a block every path sums exact integers, so paths differ
// only in how the float32 block terms are rounded and added. Each block term
// is one or two products of three roundings; adding nb terms in any order
// (across lanes or serially) costs at most nb roundings of the running sum.
// With mag = sum over values of |scale part·x| + |offset part·x| (the
// magnitude of everything that is added), any two paths agree within
// 2·(nb+8)·eps32·mag, and a twin is within (nb+8)·eps32·mag of the exact sum
// of its rounded inputs. Over these tests the AVX2 kernels measured at most
// |avx2-generic|/mag = 1e-7 (the bound at nb = 1 is 2.1e-6).

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// refDot is the exact dot of one row of decoded weights with the decoded
// activations (the q8_1 offset term uses the stored s, as the format
// defines), and mag (see the tolerance note above).
func refDot(q QType, w []byte, nb int, xd, s []float64) (ref, mag float64) {
	be := q.BlockElems()
	for b := 0; b < nb; b++ {
		mul, add := testDecode(q, w[b*q.BlockBytes():])
		for i := range mul {
			ref += mul[i] * xd[b*be+i]
			mag += math.Abs(mul[i] * xd[b*be+i])
		}
		if s != nil {
			ref += add[0] * s[b]
			mag += math.Abs(add[0] * s[b])
			continue
		}
		for i := range add {
			ref += add[i] * xd[b*be+i]
			mag += math.Abs(add[i] * xd[b*be+i])
		}
	}
	return ref, mag
}

func TestRowsQ(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	g := Generic()
	worst := map[string]float64{}
	for _, q := range quantTypes {
		for _, nb := range quantBlockCounts {
			for _, rows := range []int{0, 1, 3, 5, 9} {
				n := nb * q.BlockElems()
				pad := (rows % 2) * q.BlockBytes() // odd row counts get a padded row stride
				rowBytes := nb*q.BlockBytes() + pad
				woff, xoff := rows%4, (rows+1)%4
				w := randQBlocks(r, q, rows*(nb+pad/max(1, q.BlockBytes())), woff)
				x := randAct(r, n, 0)
				xqBuf := make([]byte, xoff+ActBytes(q, n))
				xq := xqBuf[xoff:]
				g.QuantizeAct[q](xq, x)
				xd, s := actDecode(q, xq, n)
				want := make([]float32, rows)
				g.RowsQ[q](w, rowBytes, nb, xq, want)
				tol := make([]float64, rows)
				for row := range want {
					ref, mag := refDot(q, w[row*rowBytes:], nb, xd, s)
					tol[row] = 2 * float64(nb+8) * eps32 * mag
					if math.Abs(float64(want[row])-ref) > tol[row]/2 {
						t.Fatalf("generic %v nb=%d row %d: %g, exact %g (mag %g)", q, nb, row, want[row], ref, mag)
					}
				}
				for _, k := range simdImplsOrNone() {
					got := make([]float32, rows)
					for i := range got {
						got[i] = float32(math.NaN()) // every row must be written
					}
					k.RowsQ[q](w, rowBytes, nb, xq, got)
					for row := range got {
						d := math.Abs(float64(got[row] - want[row]))
						if !(d <= tol[row]) {
							t.Fatalf("%s %v nb=%d rows=%d row %d: %g, generic %g (tolerance %g)", k.Name, q, nb, rows, row, got[row], want[row], tol[row])
						}
						if tol[row] > 0 {
							key := fmt.Sprintf("%s %v", k.Name, q)
							worst[key] = max(worst[key], d/(tol[row]/(2*float64(nb+8)*eps32)))
						}
					}
				}
			}
		}
	}
	for key, v := range worst {
		t.Logf("%s: max |simd-generic|/mag = %.2g", key, v)
	}
}

// TestRowsQRowsIndependent: a row's result is the same bits whichever rows
// share its call (ops splits rows over threads at arbitrary boundaries and
// promises results independent of the thread count).
func TestRowsQRowsIndependent(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	const rows, nb = 11, 7
	for _, k := range Available() {
		for _, q := range quantTypes {
			rb := nb * q.BlockBytes()
			w := randQBlocks(r, q, rows*nb, 1)
			x := randAct(r, nb*q.BlockElems(), 0)
			xq := make([]byte, ActBytes(q, len(x)))
			k.QuantizeAct[q](xq, x)
			all := make([]float32, rows)
			k.RowsQ[q](w, rb, nb, xq, all)
			for lo := 0; lo < rows; lo++ {
				for _, hi := range []int{lo + 1, min(rows, lo+5), rows} {
					part := make([]float32, hi-lo)
					k.RowsQ[q](w[lo*rb:hi*rb], rb, nb, xq, part)
					for i, v := range part {
						if math.Float32bits(v) != math.Float32bits(all[lo+i]) {
							t.Fatalf("%s %v: row %d computed in rows [%d,%d) = %g, in all rows = %g", k.Name, q, lo+i, lo, hi, v, all[lo+i])
						}
					}
				}
			}
		}
	}
}

// TestRowsQMultiMatchesRowsQ: the two- and four-vector matvecs give
// RowsQ's bits on every path, and RowsQMulti (active path) gives them for
// any number of vectors and any row range.
func TestRowsQMultiMatchesRowsQ(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	same := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }
	for _, k := range Available() {
		for _, q := range quantTypes {
			for _, nb := range quantBlockCounts {
				for _, rows := range []int{0, 1, 4, 5} {
					rb := nb*q.BlockBytes() + (rows%2)*q.BlockBytes()
					w := randQBlocks(r, q, rows*(nb+rows%2), rows%3)
					n := nb * q.BlockElems()
					var xq [4][]byte
					var want, got [4][]float32
					for v := range xq {
						xq[v] = make([]byte, ActBytes(q, n)+v)[v:] // unaligned
						k.QuantizeAct[q](xq[v], randAct(r, n, 0))
						want[v] = make([]float32, rows)
						k.RowsQ[q](w, rb, nb, xq[v], want[v])
						got[v] = make([]float32, rows+1) // longer than y[0]: must stay untouched
					}
					k.RowsQ2[q](w, rb, nb, xq[0], xq[1], got[0][:rows], got[1])
					for i := 0; i < rows; i++ {
						if !same(got[0][i], want[0][i]) || !same(got[1][i], want[1][i]) {
							t.Fatalf("%s %v nb=%d row %d: RowsQ2 = %g, %g; RowsQ = %g, %g", k.Name, q, nb, i, got[0][i], got[1][i], want[0][i], want[1][i])
						}
					}
					got[0] = got[0][:rows]
					k.RowsQ4[q](w, rb, nb, xq, got)
					for v := range got {
						for i := 0; i < rows; i++ {
							if !same(got[v][i], want[v][i]) {
								t.Fatalf("%s %v nb=%d row %d vector %d: RowsQ4 = %g, RowsQ = %g", k.Name, q, nb, i, v, got[v][i], want[v][i])
							}
						}
						if v > 0 && got[v][rows] != 0 {
							t.Fatalf("%s %v: RowsQ4 wrote past len(y[0]) rows of y[%d]", k.Name, q, v)
						}
					}
				}
			}
		}
	}
	// RowsQMulti on the active path: 1..7 vectors (groups of 4, 2 and 1)
	// over a row range.
	const rows, nb = 9, 2
	for _, q := range quantTypes {
		rb := nb * q.BlockBytes()
		w := randQBlocks(r, q, rows*nb, 0)
		n := nb * q.BlockElems()
		var xqs [][]byte
		var want [][]float32
		for v := 0; v < 7; v++ {
			xqs = append(xqs, make([]byte, ActBytes(q, n)))
			QuantizeAct(q, xqs[v], randAct(r, n, 0))
			want = append(want, make([]float32, rows))
			RowsQ(q, w, rb, xqs[v], n, want[v])
		}
		for nx := 1; nx <= 7; nx++ {
			ys := make([][]float32, nx)
			for v := range ys {
				ys[v] = make([]float32, rows)
			}
			RowsQMulti(q, w, rb, xqs[:nx], n, ys, 2, 7)
			for v := range ys {
				for i := range ys[v] {
					if in := i >= 2 && i < 7; in && !same(ys[v][i], want[v][i]) || !in && ys[v][i] != 0 {
						t.Fatalf("%v nx=%d vector %d row %d: RowsQMulti = %g, RowsQ = %g (rows [2,7) only)", q, nx, v, i, ys[v][i], want[v][i])
					}
				}
			}
		}
	}
}

// TestRowsQAllocatesNothing: the decode path (QuantizeAct, RowsQ and
// RowsQMulti over 1 to 7 vectors) allocates nothing on the active path.
func TestRowsQAllocatesNothing(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, q := range quantTypes {
		const rows, nb = 6, 2
		n, rb := nb*q.BlockElems(), nb*q.BlockBytes()
		w := randQBlocks(r, q, rows*nb, 0)
		x := randAct(r, n, 0)
		var xqs [][]byte
		var ys [][]float32
		for v := 0; v < 7; v++ {
			xqs = append(xqs, make([]byte, ActBytes(q, n)))
			ys = append(ys, make([]float32, rows))
		}
		allocs := testing.AllocsPerRun(10, func() {
			for _, xq := range xqs {
				QuantizeAct(q, xq, x)
			}
			RowsQ(q, w, rb, xqs[0], n, ys[0])
			for nx := 1; nx <= 7; nx++ {
				RowsQMulti(q, w, rb, xqs[:nx], n, ys[:nx], 1, rows)
			}
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations per quantized matvec", q, allocs)
		}
	}
}

// TestDotQ8_0Exact recomputes the generic Q8_0 dot in the order the twin
// promises (int32 per block, then float32(sumi)·(d_w·d_x) added block by
// block) and requires the same bits.
func TestDotQ8_0Exact(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	const nb = 7
	w := randQBlocks(r, Q8_0, nb, 1)
	x := randAct(r, nb*32, 0)
	xq := make([]byte, ActBytes(Q8_0, nb*32))
	Generic().QuantizeAct[Q8_0](xq, x)
	var want float32
	for b := 0; b < nb; b++ {
		wb, xb := w[b*34:], xq[b*34:]
		var sumi int32
		for j := 0; j < 32; j++ {
			sumi += int32(int8(wb[2+j])) * int32(int8(xb[2+j]))
		}
		dw := F16(binary.LittleEndian.Uint16(wb))
		dx := F16(binary.LittleEndian.Uint16(xb))
		prod := dw * dx
		want += float32(float32(sumi) * prod)
	}
	got := make([]float32, 1)
	Generic().RowsQ[Q8_0](w, nb*34, nb, xq, got)
	if got[0] != want {
		t.Fatalf("generic Q8_0 dot = %g, block-by-block recomputation = %g", got[0], want)
	}
}

// TestRowsQTableChecksSlices: a direct call of a path's table with too short
// a weight or activation slice panics instead of reading past it.
func TestRowsQTableChecksSlices(t *testing.T) {
	for _, k := range Available() {
		for _, q := range quantTypes {
			const rows, nb = 5, 2
			rb := nb * q.BlockBytes()
			w := make([]byte, rows*rb)
			xq := make([]byte, ActBytes(q, nb*q.BlockElems()))
			y := make([]float32, rows)
			shortW, shortX := w[:len(w)-1:len(w)-1], xq[:len(xq)-1:len(xq)-1] // no capacity beyond
			for _, c := range []struct {
				what string
				f    func()
			}{
				{"weights", func() { k.RowsQ[q](shortW, rb, nb, xq, y) }},
				{"activations", func() { k.RowsQ[q](w, rb, nb, shortX, y) }},
				{"RowsQ2 activations", func() { k.RowsQ2[q](w, rb, nb, xq, shortX, y, y) }},
				{"RowsQ4 weights", func() { k.RowsQ4[q](shortW, rb, nb, [4][]byte{xq, xq, xq, xq}, [4][]float32{y, y, y, y}) }},
			} {
				func() {
					defer func() {
						if recover() == nil {
							t.Errorf("%s %v: short %s did not panic", k.Name, q, c.what)
						}
					}()
					c.f()
				}()
			}
		}
	}
}
