package asm

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand"
	"testing"
)

// extremeTileQ8_0 overwrites Q8_0 weight blocks and q8_0 activation blocks
// with the values the tile kernel must not saturate or misround on:
// weights of ±127 and -128, activations of ±127, scales at the ends of the
// f16 range (largest normal, smallest subnormal) or 1.
func extremeTileQ8_0(r *rand.Rand, w []byte, xq [][]byte) {
	scales := []uint16{0x7bff, 0xfbff, 0x0001, 0x8001, 0x3c00}
	vals := []byte{0x7f, 0x81, 0x80}
	fill := func(b []byte, nvals int) {
		for at := 0; at+34 <= len(b); at += 34 {
			binary.LittleEndian.PutUint16(b[at:], scales[r.Intn(len(scales))])
			for j := at + 2; j < at+34; j++ {
				b[j] = vals[r.Intn(nvals)]
			}
		}
	}
	fill(w, 3)
	for _, x := range xq {
		fill(x, 2)
	}
}

// TestTileQ8_0Bits: on every path with a Q8_0 tile kernel, Pack writes the
// generic twin's bytes and Mul gives the generic twin's bits, and the twin
// gives each row dotQ8_0Generic's bits (so the layout is what the kernels
// read), over block counts, padded row strides, unaligned slices and
// extreme values.
func TestTileQ8_0Bits(t *testing.T) {
	r := rand.New(rand.NewSource(91))
	nbs := []int{1, 2, 3, 7, 64, 257}
	for _, nb := range nbs {
		for _, pad := range []int{0, 34, 5} {
			for _, extreme := range []bool{false, true} {
				n, rowBytes := nb*32, nb*34+pad
				w := randRowsQ(r, Q8_0, TileRows, nb, rowBytes, 1)
				xq := make([][]byte, 4)
				for v := range xq {
					xq[v] = make([]byte, ActBytes(Q8_0, n)+v)[v:]
					Generic().QuantizeAct[Q8_0](xq[v], randAct(r, n, 0))
				}
				if extreme {
					extremeTileQ8_0(r, w, xq)
				}
				tile := make([]byte, TileRows*nb*34)
				tileQ8_0Generic.Pack(tile, w, rowBytes, nb)
				var want [4 * TileRows]float32
				tileQ8_0Generic.Mul(tile, nb, [4][]byte(xq), &want)
				for v := range xq {
					for row := 0; row < TileRows; row++ {
						d := dotQ8_0Generic(w[row*rowBytes:], xq[v], nb)
						if math.Float32bits(d) != math.Float32bits(want[v*TileRows+row]) {
							t.Fatalf("nb=%d pad=%d extreme=%v: twin row %d vector %d = %g, dotQ8_0Generic %g", nb, pad, extreme, row, v, want[v*TileRows+row], d)
						}
					}
				}
				for _, k := range Available() {
					tk := k.TileQ[Q8_0]
					if tk == nil {
						continue
					}
					got := make([]byte, len(tile)+3)[3:] // unaligned
					tk.Pack(got, w, rowBytes, nb)
					if !bytes.Equal(got, tile) {
						t.Fatalf("%s nb=%d pad=%d: Pack differs from the generic layout", k.Name, nb, pad)
					}
					var y [4 * TileRows]float32
					for i := range y {
						y[i] = float32(math.NaN()) // must be overwritten
					}
					tk.Mul(got, nb, [4][]byte(xq), &y)
					for i := range y {
						if math.Float32bits(y[i]) != math.Float32bits(want[i]) && !(isNaN32(y[i]) && isNaN32(want[i])) {
							t.Fatalf("%s nb=%d pad=%d extreme=%v: Mul[%d] = %g, twin %g", k.Name, nb, pad, extreme, i, y[i], want[i])
						}
					}
				}
			}
		}
	}
}

// randRowsQ is rows rows of nb random q blocks each (randQBlocks), rowBytes
// apart, starting off bytes into a fresh slice.
func randRowsQ(r *rand.Rand, q QType, rows, nb, rowBytes, off int) []byte {
	w := make([]byte, off+rows*rowBytes)[off:]
	for i := 0; i < rows; i++ {
		copy(w[i*rowBytes:], randQBlocks(r, q, nb, 0))
	}
	return w
}

func isNaN32(f float32) bool { return f != f }

// TestRowsQTiled: on every path, RowsQTiled gives each row and vector the
// generic twin's bits, for row ranges that are and are not whole tiles
// (the rest run the twin), any count of vectors (a last group of one to
// three), and 0 blocks; a path with no tile kernel gives RowsQMulti's.
func TestRowsQTiled(t *testing.T) {
	saved := Active().Name
	defer Use(saved)
	r := rand.New(rand.NewSource(92))
	for _, k := range Available() {
		if err := Use(k.Name); err != nil {
			t.Fatal(err)
		}
		for _, q := range []QType{Q8_0, Q4_0, Q4_K} {
			for _, sh := range [][3]int{{0, 8, 2}, {3, 27, 64}, {16, 16, 5}, {8, 21, 0}} {
				lo, hi, nb := sh[0], sh[1], sh[2]
				n, rowBytes := nb*q.BlockElems(), nb*q.BlockBytes()+3
				w := randRowsQ(r, q, hi, nb, rowBytes, 0)
				for _, nv := range []int{1, 4, 6, 9} {
					xq, ys, want := make([][]byte, nv), make([][]float32, nv), make([][]float32, nv)
					for v := range xq {
						xq[v] = make([]byte, ActBytes(q, n))
						Generic().QuantizeAct[q](xq[v], randAct(r, n, 0))
						ys[v], want[v] = make([]float32, hi), make([]float32, hi)
						for i := range ys[v] {
							ys[v][i] = float32(math.NaN())
						}
					}
					if HasTile(q) {
						for v := range xq {
							Generic().RowsQ[q](w[lo*rowBytes:], rowBytes, nb, xq[v], want[v][lo:hi])
						}
					} else {
						RowsQMulti(q, w, rowBytes, xq, n, want, lo, hi)
					}
					RowsQTiled(q, w, rowBytes, xq, n, ys, lo, hi, make([]byte, TileScratchBytes(q, n)))
					for v := range ys {
						for i := lo; i < hi; i++ {
							if math.Float32bits(ys[v][i]) != math.Float32bits(want[v][i]) {
								t.Fatalf("%s %v rows [%d, %d) nb=%d vectors %d: y[%d][%d] = %g, want %g", k.Name, q, lo, hi, nb, nv, v, i, ys[v][i], want[v][i])
							}
						}
					}
				}
			}
		}
	}
}
