//go:build !purego

package asm

// Both NEON flavours of the quantized kernels against the generic twins.
// The path table holds only the flavour this CPU selects (quant_test.go
// tests that one), so these tests build a table of each flavour the CPU
// can run: the ARMv8.0 one everywhere, the SDOT one where cpuid reports
// dotprod (qemu -cpu max; -cpu cortex-a57 runs the ARMv8.0 one only).

import (
	"encoding/binary"
	"math"
	"math/rand"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

type quantFlavour struct {
	name string
	k    *Kernels
}

func quantFlavoursNEON(t *testing.T) []quantFlavour {
	fl := []quantFlavour{{"neon-v8.0", &Kernels{}}}
	setQuantNEON(fl[0].k, false)
	if cpuid.CPU.Supports(cpuid.ASIMDDP) {
		fl = append(fl, quantFlavour{"neon-sdot", &Kernels{}})
		setQuantNEON(fl[1].k, true)
	} else {
		t.Logf("no dotprod on this CPU: the SDOT flavour is not run")
	}
	return fl
}

// fillQuantBits overwrites every byte of the blocks but their f16 scales
// with pattern: all-0xFF and all-0x80 give the largest integer values (and
// scales) each format holds, the worst case for the int16 lanes of the
// ARMv8.0 flavour.
func fillQuantBits(q QType, w []byte, pattern byte) {
	var f16s []int
	switch q {
	case Q4_0, Q5_0, Q8_0:
		f16s = []int{0}
	case Q4_1, Q5_1, Q4_K, Q5_K:
		f16s = []int{0, 2}
	case Q6_K:
		f16s = []int{208}
	}
	for b := 0; b+q.BlockBytes() <= len(w); b += q.BlockBytes() {
		blk := w[b : b+q.BlockBytes()]
		saved := map[int]uint16{}
		for _, o := range f16s {
			saved[o] = binary.LittleEndian.Uint16(blk[o:])
		}
		for i := range blk {
			blk[i] = pattern
		}
		for o, v := range saved {
			binary.LittleEndian.PutUint16(blk[o:], v)
		}
	}
}

func TestRowsQNEONFlavours(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	g := Generic()
	for _, fl := range quantFlavoursNEON(t) {
		for q, dot := range quantDotsNEON(fl.name == "neon-sdot") {
			if dot == nil {
				continue
			}
			q := QType(q)
			for _, nb := range []int{1, 2, 3, 8, 33} {
				n := nb * q.BlockElems()
				for pattern := 0; pattern < 4; pattern++ { // random, then fillQuantBits' three
					rows := 3
					rowBytes := nb*q.BlockBytes() + nb%2 // odd strides leave blocks unaligned
					w := make([]byte, rows*rowBytes)
					for row := 0; row < rows; row++ {
						blocks := w[row*rowBytes : row*rowBytes+nb*q.BlockBytes()]
						copy(blocks, randQBlocks(r, q, nb, 0))
						if pattern > 0 {
							fillQuantBits(q, blocks, []byte{0xFF, 0x80, 0x00}[pattern-1])
						}
					}
					x := randAct(r, n, 0)
					if pattern == 1 || pattern == 2 { // the largest values against activations of one sign
						for i := range x {
							x[i] = float32(3 - 2*pattern)
						}
					}
					xq := make([]byte, ActBytes(q, n))
					g.QuantizeAct[q](xq, x)
					xd, s := actDecode(q, xq, n)
					want := make([]float32, rows)
					g.RowsQ[q](w, rowBytes, nb, xq, want)
					got := make([]float32, rows)
					fl.k.RowsQ[q](w, rowBytes, nb, xq, got)
					for row := range got {
						_, mag := refDot(q, w[row*rowBytes:], nb, xd, s)
						tol := 2 * float64(nb+8) * eps32 * mag
						if d := math.Abs(float64(got[row] - want[row])); !(d <= tol) {
							t.Fatalf("%s %v nb=%d pattern %d row %d: %g, generic %g (tolerance %g)",
								fl.name, q, nb, pattern, row, got[row], want[row], tol)
						}
					}
				}
			}
		}
	}
}

// TestQuantizeActNEON: the NEON quantizers write generic's bytes, also for
// the cases q8_K decides by the sign of the largest magnitude: a positive
// and a negative value of equal magnitude (the first one wins), a largest
// magnitude that is negative, all-zero blocks, and one nonzero value.
func TestQuantizeActNEON(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	k := &Kernels{}
	setQuantNEON(k, false)
	g := Generic()
	cases := map[string]func(x []float32){
		"random": func([]float32) {},
		"tie, positive first": func(x []float32) {
			x[37], x[200] = 9, -9
		},
		"tie, negative first": func(x []float32) {
			x[3], x[4] = -9, 9
		},
		"negative largest": func(x []float32) { x[255] = -50 },
		"zero":             func(x []float32) { clear(x) },
		"one nonzero":      func(x []float32) { clear(x); x[100] = -1e-3 },
		"tiny":             func(x []float32) { clear(x); x[7] = 1e-30 },
		"equal magnitudes": func(x []float32) {
			for i := range x {
				x[i] = float32(1 - 2*(i%2))
			}
		},
		"first is the max":  func(x []float32) { x[0] = 77 },
		"ends are the ties": func(x []float32) { x[0], x[255] = 33, -33 },
	}
	for name, edit := range cases {
		for _, nb := range []int{1, 2, 3} {
			for _, q := range []QType{Q8_0, Q4_1, Q6_K} { // q8_0, q8_1, q8_K
				x := randAct(r, nb*256, nb%4)
				for b := 0; b < nb; b += 2 { // the other blocks stay random
					edit(x[b*256 : (b+1)*256])
				}
				n := len(x)
				want := make([]byte, ActBytes(q, n)+3)
				got := make([]byte, len(want))
				g.QuantizeAct[q](want[3:], x)
				k.QuantizeAct[q](got[3:], x)
				if string(got) != string(want) {
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%s, %v, nb=%d: byte %d of the activations is %#x, generic %#x", name, q, nb, i-3, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestRowsQNEONChecksSlices: the table entries themselves refuse slices
// too short for the rows, nb and activations asked for (a panic, not a
// read past them), for callers that skip the exported RowsQ.
func TestRowsQNEONChecksSlices(t *testing.T) {
	for _, fl := range quantFlavoursNEON(t) {
		for _, q := range []QType{Q8_0, Q4_K} {
			const nb, rows = 2, 3
			w := make([]byte, rows*nb*q.BlockBytes())
			xq := make([]byte, ActBytes(q, nb*q.BlockElems()))
			y := make([]float32, rows)
			fl.k.RowsQ[q](w, nb*q.BlockBytes(), nb, xq, y) // exact sizes are fine
			for name, call := range map[string]func(){
				"short weights":     func() { fl.k.RowsQ[q](w[:len(w)-1], nb*q.BlockBytes(), nb, xq, y) },
				"short activations": func() { fl.k.RowsQ[q](w, nb*q.BlockBytes(), nb, xq[:len(xq)-1], y) },
			} {
				func() {
					defer func() {
						if recover() == nil {
							t.Errorf("%s %v, %s: no panic", fl.name, q, name)
						}
					}()
					call()
				}()
			}
		}
	}
}
