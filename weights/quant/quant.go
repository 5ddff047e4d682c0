// Package quant encodes float32 weight rows as ggml's block-quantized
// formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K: every asm.QType),
// following ggml's reference
// quantizers (quantize_row_*_ref, no importance matrix) step by step, in
// float32 and in the same order, so that a tensor quantized here has the
// bytes llama-quantize gives it. Decoding is asm.DequantizeRow's job.
package quant

import (
	"fmt"
	"math"

	"github.com/chatumm/chatumm/asm"
)

// Types are the block types a user picks (`chatumm quantize --type`).
// Q4_1, Q5_0 and Q5_1 are encoded too: they are the 32-element types that
// stand in for a K type on rows that are not whole 256-element
// super-blocks, as llama-quantize falls back (see Fallback).
var Types = []asm.QType{asm.Q8_0, asm.Q4_0, asm.Q4_K, asm.Q5_K, asm.Q6_K}

// Supported reports whether Quantize encodes q.
func Supported(q asm.QType) bool { return q > asm.QNone && q < asm.NumQTypes }

// Fallback is the type llama-quantize uses in place of q for rows of n
// elements that are not whole blocks of q (Q4_K→Q5_0, Q5_K→Q5_1,
// Q6_K→Q8_0), or QNone when no block type fits (the tensor then stays as
// it is). It returns q itself when q fits.
func Fallback(q asm.QType, n int) asm.QType {
	if n%q.BlockElems() == 0 {
		return q
	}
	switch q {
	case asm.Q4_K:
		q = asm.Q5_0
	case asm.Q5_K:
		q = asm.Q5_1
	case asm.Q6_K:
		q = asm.Q8_0
	}
	if n%q.BlockElems() != 0 {
		return asm.QNone
	}
	return q
}

// RowBytes is the encoded size of n elements of type q (n a multiple of
// q.BlockElems()).
func RowBytes(q asm.QType, n int) int { return n / q.BlockElems() * q.BlockBytes() }

// Quantize encodes x as blocks of type q into dst. len(x) must be a
// multiple of q.BlockElems() and len(dst) must be RowBytes(q, len(x)); any
// number of rows may be passed at once, since blocks never span rows.
// Breaking either rule, or an unsupported q, is a programming error and
// panics.
func Quantize(q asm.QType, dst []byte, x []float32) {
	if !Supported(q) {
		panic(fmt.Sprintf("quant: no encoder for %v", q))
	}
	be, bb := q.BlockElems(), q.BlockBytes()
	if len(x)%be != 0 || len(dst) != len(x)/be*bb {
		panic(fmt.Sprintf("quant: %v of %d elements into %d bytes", q, len(x), len(dst)))
	}
	for i := 0; i < len(x)/be; i++ {
		blk, out := x[i*be:(i+1)*be], dst[i*bb:(i+1)*bb]
		switch q {
		case asm.Q8_0:
			blockQ8_0(out, blk)
		case asm.Q4_0:
			blockQ4_0(out, blk)
		case asm.Q4_1:
			blockQ4_1(out, blk)
		case asm.Q5_0:
			blockQ5_0(out, blk)
		case asm.Q5_1:
			blockQ5_1(out, blk)
		case asm.Q4_K:
			blockQ4_K(out, blk)
		case asm.Q5_K:
			blockQ5_K(out, blk)
		case asm.Q6_K:
			blockQ6_K(out, blk)
		}
	}
}

// Every product below that is added to something is wrapped in float32(),
// because Go may fuse x*y+z into one FMA (it does on arm64) and ggml's
// reference code rounds the product first; the conversion forbids fusion.

// nearestInt is ggml's nearest_int: round half to even through the
// float32 magic-number trick, exact for |f| < 2^22.
func nearestInt(f float32) int {
	v := f + 12582912 // 1.5 * 2^23: the sum's last mantissa bit is units
	return int(math.Float32bits(v)&0x007fffff) - 0x00400000
}

func abs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

func sqrt32(f float32) float32 { return float32(math.Sqrt(float64(f))) } // correctly rounded, as sqrtf

// putF16 stores f as IEEE half (round to nearest even, as ggml's
// GGML_FP32_TO_FP16) at b[0:2] and returns the value it now holds.
func putF16(b []byte, f float32) float32 {
	h := asm.ToF16(f)
	b[0], b[1] = byte(h), byte(h>>8)
	return asm.F16(h)
}

func getF16(b []byte) float32 { return asm.F16(uint16(b[0]) | uint16(b[1])<<8) }
