//go:build !purego

package asm

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// dotQ8_0Lanes is the pure-Go model of what every AVX2 Q8_0 kernel
// computes (quant_amd64.s, quant_q8_0_amd64.s), which is not the generic
// twin's block-order sum: per block, eight int32 lanes (lane i sums the
// products of values 4i..4i+3, exact), converted to float32 and added with
// one fused multiply-add by d_w·d_x (a float32 product) into one of two
// accumulators of eight lanes, even blocks into the first and odd into the
// second; then the two accumulators lane by lane, and the eight lanes as
// HSUM_Y0 adds them: ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7)).
func dotQ8_0Lanes(w, x []byte, nb int) float32 {
	var acc [2][8]float32
	for b := 0; b < nb; b++ {
		wb, xb := w[b*34:b*34+34], x[b*34:b*34+34]
		d := f16At(wb, 0) * f16At(xb, 0)
		for i := 0; i < 8; i++ {
			var s int32
			for j := 4 * i; j < 4*i+4; j++ {
				s += i8(wb[2+j]) * i8(xb[2+j])
			}
			acc[b%2][i] = fma32Exact(float32(s), d, acc[b%2][i])
		}
	}
	var l [8]float32
	for i := range l {
		l[i] = acc[0][i] + acc[1][i]
	}
	return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}

// fma32Exact is a·b+c rounded once to float32, through big.Float (fma32,
// generic.go, rounds twice, which differs in rare ties; a bit-exact test
// must not).
func fma32Exact(a, b, c float32) float32 {
	var p, s big.Float
	p.SetPrec(200).SetFloat64(float64(a)).Mul(&p, new(big.Float).SetFloat64(float64(b)))
	s.SetPrec(200).Add(&p, new(big.Float).SetFloat64(float64(c)))
	f, _ := s.Float32()
	return f
}

// TestRowsQ8_0LaneBits: every AVX2 Q8_0 kernel (one, two and four vectors,
// with and without the prefetch; the four-vector one both with the d_x
// table and without, for one row or rows wider than the table) gives each
// row and vector the bits of dotQ8_0Lanes, over block counts from 0 to past
// the table's 256, row counts, padded strides, unaligned slices and
// extreme values (weights of ±127 and -128, activations of ±127, scales at
// the ends of the f16 range).
func TestRowsQ8_0LaneBits(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.F16C) {
		t.Skip("no AVX2 on this CPU")
	}
	nbs, rowCounts := []int{0, 1, 2, 3, 5, 64, 255, 256, 257, 300}, []int{1, 2, 3, 17}
	if testing.Short() {
		nbs, rowCounts = []int{0, 1, 2, 3, 64, 257}, []int{1, 3}
	}
	r := rand.New(rand.NewSource(80))
	flav := quantPrefetchFlavours()
	for _, nb := range nbs {
		for _, rows := range rowCounts {
			for _, extreme := range []bool{false, true} {
				n := nb * 32
				pad := rows % 2 * Q8_0.BlockBytes()
				rowBytes := nb*Q8_0.BlockBytes() + pad
				w := randQBlocks(r, Q8_0, rows*(nb+rows%2), 1+rows%3)
				var xq [4][]byte
				for v := range xq {
					xq[v] = make([]byte, ActBytes(Q8_0, n)+v)[v:] // unaligned
					Generic().QuantizeAct[Q8_0](xq[v], randAct(r, n, 0))
				}
				if extreme {
					extremeQ8_0(r, w, xq)
				}
				want := make([][4]float32, rows)
				for i := range want {
					for v := range xq {
						want[i][v] = dotQ8_0Lanes(w[i*rowBytes:], xq[v], nb)
					}
				}
				check := func(what string, v int, got []float32) {
					t.Helper()
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i][v]) {
							t.Fatalf("%s nb=%d rows=%d extreme=%v vector %d row %d: %g, lane model %g", what, nb, rows, extreme, v, i, got[i], want[i][v])
						}
					}
				}
				rowsQ4 := map[string]func(w []byte, rowBytes, nb int, xq [4][]byte, y [4][]float32){
					"RowsQ4 (table)":    rowsQ8_0x4Asm,
					"RowsQ4 (no table)": rowsQ4Asm(Q8_0, dotQ8_0x4AVX2),
				}
				for i, k := range flav {
					name := []string{"avx2", "avx2 prefetching"}[i]
					for v := range xq {
						got := make([]float32, rows)
						k.RowsQ[Q8_0](w, rowBytes, nb, xq[v], got)
						check(name+" RowsQ", v, got)
					}
					got2 := [2][]float32{make([]float32, rows), make([]float32, rows)}
					k.RowsQ2[Q8_0](w, rowBytes, nb, xq[1], xq[2], got2[0], got2[1])
					check(name+" RowsQ2", 1, got2[0])
					check(name+" RowsQ2", 2, got2[1])
					rowsQ4["active "+name+" RowsQ4"] = k.RowsQ4[Q8_0]
				}
				for name, f := range rowsQ4 {
					var got4 [4][]float32
					for v := range got4 {
						got4[v] = make([]float32, rows)
						for i := range got4[v] {
							got4[v][i] = float32(math.NaN()) // must be overwritten, nb = 0 included
						}
					}
					f(w, rowBytes, nb, xq, got4)
					for v := range got4 {
						check(name, v, got4[v])
					}
				}
			}
		}
	}
}

// extremeQ8_0 fills the blocks of w with ±127 and -128 weights and those
// of xq with ±127 activations, and gives every block a scale from the ends
// of the f16 range (the largest normal, the smallest subnormal) or 1.
func extremeQ8_0(r *rand.Rand, w []byte, xq [4][]byte) {
	scales := []uint16{0x7bff, 0xfbff, 0x0001, 0x8001, 0x3c00}
	vals := []byte{0x7f, 0x81, 0x80}
	for b := 0; b+34 <= len(w); b += 34 {
		binary.LittleEndian.PutUint16(w[b:], scales[r.Intn(len(scales))])
		for j := b + 2; j < b+34; j++ {
			w[j] = vals[r.Intn(len(vals))]
		}
	}
	for _, x := range xq {
		for b := 0; b+34 <= len(x); b += 34 {
			binary.LittleEndian.PutUint16(x[b:], scales[r.Intn(len(scales))])
			for j := b + 2; j < b+34; j++ {
				x[j] = vals[r.Intn(2)]
			}
		}
	}
}
