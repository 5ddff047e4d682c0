package asm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
)

// extremeTile overwrites q's weight blocks and the activation blocks with
// the values the tile kernels must not saturate or misround on: Q8_0
// weights of ±127 and -128, Q4_0/Q4_K/Q5_K nibbles of 0 and 15 (Q5_K with
// every fifth bit set or clear), K scales and mins of 63, activations of ±127 (q8_K's bsums kept consistent), f16
// scales at the ends of the range (largest normal, smallest subnormal) or 1.
func extremeTile(r *rand.Rand, q QType, w []byte, rowBytes, rows, nb int, xq [][]byte) {
	scales := []uint16{0x7bff, 0xfbff, 0x0001, 0x8001, 0x3c00}
	f16s, vals := []int{0}, []byte{0x00, 0xff, 0x0f, 0xf0}
	switch q {
	case Q8_0:
		vals = []byte{0x7f, 0x81, 0x80}
	case Q4_K, Q5_K:
		f16s = []int{0, 2}
	}
	bb := q.BlockBytes()
	for i := 0; i < rows; i++ {
		for b := 0; b < nb; b++ {
			blk := w[i*rowBytes+b*bb : i*rowBytes+(b+1)*bb]
			for j := 2 * len(f16s); j < len(blk); j++ {
				blk[j] = vals[r.Intn(len(vals))]
			}
			for _, o := range f16s {
				binary.LittleEndian.PutUint16(blk[o:], scales[r.Intn(len(scales))])
			}
		}
	}
	for _, x := range xq {
		if q.BlockElems() != 256 {
			for at := 0; at+34 <= len(x); at += 34 {
				binary.LittleEndian.PutUint16(x[at:], scales[r.Intn(len(scales))])
				for j := at + 2; j < at+34; j++ {
					x[j] = []byte{0x7f, 0x81}[r.Intn(2)]
				}
			}
			continue
		}
		for at := 0; at+q8_KBytes <= len(x); at += q8_KBytes {
			for g := 0; g < 16; g++ {
				var sum int16
				for j := 0; j < 16; j++ {
					v := []int8{127, -127}[r.Intn(2)]
					x[at+4+16*g+j] = byte(v)
					sum += int16(v)
				}
				binary.LittleEndian.PutUint16(x[at+260+2*g:], uint16(sum))
			}
		}
	}
}

// TestTileBits: on every path with a Q8_0, Q4_0, Q4_K or Q5_K tile kernel, Pack writes
// the Go twin's bytes and Mul gives the twin's bits, and the twin gives
// each row the generic dot product's bits (so the layout is what the
// kernels read), over block counts, padded row strides, unaligned slices
// and extreme values.
func TestTileBits(t *testing.T) {
	r := rand.New(rand.NewSource(91))
	twins := map[QType]*TileKernel{Q8_0: tileQ8_0Generic, Q4_0: tileQ4_0Generic, Q4_K: tileQ4_KGeneric, Q5_K: tileQ5_KGeneric}
	for _, q := range []QType{Q8_0, Q4_0, Q4_K, Q5_K} {
		for _, nb := range []int{1, 2, 3, 7, 64, 257} {
			if q.BlockElems() == 256 && nb > 32 {
				nb /= 8
			}
			for _, pad := range []int{0, q.BlockBytes(), 5} {
				for _, extreme := range []bool{false, true} {
					n, rowBytes := nb*q.BlockElems(), nb*q.BlockBytes()+pad
					w := randRowsQ(r, q, TileRows, nb, rowBytes, 1)
					xq := make([][]byte, 4)
					for v := range xq {
						xq[v] = make([]byte, ActBytes(q, n)+v)[v:] // unaligned
						Generic().QuantizeAct[q](xq[v], randAct(r, n, 0))
					}
					if extreme {
						extremeTile(r, q, w, rowBytes, TileRows, nb, xq)
					}
					what := func() string { return fmt.Sprintf("%v nb=%d pad=%d extreme=%v", q, nb, pad, extreme) }
					tile := make([]byte, nb*twins[q].Bytes)
					twins[q].Pack(tile, w, rowBytes, nb)
					want := twins[q].Mul(tile, nb, [4][]byte(xq))
					for v := range xq {
						d := make([]float32, TileRows)
						Generic().RowsQ[q](w, rowBytes, nb, xq[v], d)
						for row, dv := range d {
							if math.Float32bits(dv) != math.Float32bits(want[v*TileRows+row]) {
								t.Fatalf("%s: twin row %d vector %d = %g, generic dot %g", what(), row, v, want[v*TileRows+row], dv)
							}
						}
					}
					for _, k := range Available() {
						tk := k.TileQ[q]
						if tk == nil {
							continue
						}
						got := make([]byte, len(tile)+3)[3:] // unaligned
						tk.Pack(got, w, rowBytes, nb)
						if !bytes.Equal(got, tile) {
							t.Fatalf("%s %s: Pack differs from the twin's layout", k.Name, what())
						}
						y := tk.Mul(got, nb, [4][]byte(xq))
						for i := range y {
							if math.Float32bits(y[i]) != math.Float32bits(want[i]) && !(isNaN32(y[i]) && isNaN32(want[i])) {
								t.Fatalf("%s %s: Mul[%d] = %g, twin %g", k.Name, what(), i, y[i], want[i])
							}
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
		for _, q := range []QType{Q8_0, Q4_0, Q4_K, Q5_K, Q6_K} {
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

// TestRowsQTiledShortScratch: a scratch shorter than TileScratchBytes is a
// panic that says so, not a slice error inside the packer.
func TestRowsQTiledShortScratch(t *testing.T) {
	if !HasTile(Q8_0) {
		t.Skip("no Q8_0 tiles on this path")
	}
	const n = 64
	w := randRowsQ(rand.New(rand.NewSource(93)), Q8_0, TileRows, n/32, n/32*34, 0)
	xq := [][]byte{make([]byte, ActBytes(Q8_0, n))}
	ys := [][]float32{make([]float32, TileRows)}
	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "scratch") {
			t.Fatalf("panic %q, want one about the scratch", msg)
		}
	}()
	RowsQTiled(Q8_0, w, n/32*34, xq, n, ys, 0, TileRows, make([]byte, TileScratchBytes(Q8_0, n)-1))
}
