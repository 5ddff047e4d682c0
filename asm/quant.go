package asm

// Block-quantized weights in ggml's formats (ggml-common.h), and the integer
// dot products that read them.
//
// A quantized row is a sequence of blocks; each block holds BlockElems
// values as small integers plus one or two f16 scales (the K types: a
// 256-value super-block with 6- or 8-bit sub-block scales). The dot product
// never widens the weights to floats: the activation vector is quantized
// once per call to 8-bit blocks (QuantizeAct, ggml's "vec_dot_type"), the
// two integer vectors are multiplied and summed in int32 within a block, and
// only the block sums are scaled and added in float32, as ggml does.
//
// Byte layouts, all little-endian, offsets within one block:
//
//	Q4_0  18 B: d f16 @0, qs[16] @2          w = d*(nibble-8)
//	Q4_1  20 B: d @0, m @2, qs[16] @4        w = d*nibble + m
//	Q5_0  22 B: d @0, qh[4] @2, qs[16] @6    w = d*(nibble|bit<<4 - 16)
//	Q5_1  24 B: d @0, m @2, qh[4] @4, qs @8  w = d*(nibble|bit<<4) + m
//	Q8_0  34 B: d @0, qs[32] int8 @2         w = d*q
//	Q4_K 144 B: d @0, dmin @2, scales[12] @4, qs[128] @16
//	Q5_K 176 B: d @0, dmin @2, scales[12] @4, qh[32] @16, qs[128] @48
//	Q6_K 210 B: ql[128] @0, qh[64] @128, scales[16] int8 @192, d f16 @208
//
// In the 32-value formats byte j of qs holds value j in its low nibble and
// value j+16 in its high one; bit j of qh (as a uint32) is value j's fifth
// bit. Q4_K/Q5_K: each 64 values share 32 bytes of qs (low nibbles the first
// 32 values, high nibbles the next 32); the eight 6-bit (scale, min) pairs
// are packed in scales as ggml's get_scale_min_k4 reads them, and
// w = d*scale*q - dmin*min. Q6_K: see dequantizeQ6K.
//
// Activation formats (what QuantizeAct writes):
//
//	q8_0  34 B per 32:  d f16 @0, qs[32] int8 @2
//	q8_1  36 B per 32:  d f16 @0, s f16 @2 (= d*sum(qs)), qs[32] @4
//	q8_K 292 B per 256: d f32 @0, qs[256] int8 @4, bsums[16] int16 @260
//
// Activations are rounded to nearest, ties to even, with d = amax/127 and
// the multiplier 127/amax (ggml's AVX2 quantize_row_q8_0/q8_1; its scalar
// reference multiplies by 1/d and rounds ties away, which differs in the
// last bit of a few values); q8_K is ggml's quantize_row_q8_K_ref exactly
// (multiplier -127/max with max the signed value of largest magnitude,
// d = 1/multiplier). No quantized activation is ever -128, which the SIMD
// kernels rely on (VPMADDUBSW's pair sums then cannot saturate).

import (
	"fmt"
	"strings"
)

// QType is a ggml block-quantization type.
type QType uint8

const (
	QNone QType = iota
	Q4_0
	Q4_1
	Q5_0
	Q5_1
	Q8_0
	Q4_K
	Q5_K
	Q6_K
	NumQTypes // count, for tables
)

// Activation formats a weight type's dot product pairs with.
type actFormat uint8

const (
	actNone actFormat = iota
	actQ8_0
	actQ8_1
	actQ8_K
)

var qtypeInfo = [NumQTypes]struct {
	name         string
	elems, bytes int
	act          actFormat
}{
	QNone: {"none", 0, 0, actNone},
	Q4_0:  {"Q4_0", 32, 18, actQ8_0},
	Q4_1:  {"Q4_1", 32, 20, actQ8_1},
	Q5_0:  {"Q5_0", 32, 22, actQ8_0},
	Q5_1:  {"Q5_1", 32, 24, actQ8_1},
	Q8_0:  {"Q8_0", 32, 34, actQ8_0},
	Q4_K:  {"Q4_K", 256, 144, actQ8_K},
	Q5_K:  {"Q5_K", 256, 176, actQ8_K},
	Q6_K:  {"Q6_K", 256, 210, actQ8_K},
}

// Bytes per activation block of each format.
const (
	q8_0Bytes = 34
	q8_1Bytes = 36
	q8_KBytes = 292
)

func (q QType) valid() bool { return q > QNone && q < NumQTypes }

func (q QType) String() string {
	if q < NumQTypes {
		return qtypeInfo[q].name
	}
	return fmt.Sprintf("QType(%d)", uint8(q))
}

// BlockElems is the number of values per block: 32, or 256 for the K types
// (0 for QNone).
func (q QType) BlockElems() int {
	if q < NumQTypes {
		return qtypeInfo[q].elems
	}
	return 0
}

// BlockBytes is the size of one block in bytes (0 for QNone).
func (q QType) BlockBytes() int {
	if q < NumQTypes {
		return qtypeInfo[q].bytes
	}
	return 0
}

// QTypeByName parses a type name, case-insensitively ("q8_0", "Q4_K").
func QTypeByName(s string) (QType, bool) {
	for q := Q4_0; q < NumQTypes; q++ {
		if strings.EqualFold(s, qtypeInfo[q].name) {
			return q, true
		}
	}
	return QNone, false
}

func mustQType(q QType) {
	if !q.valid() {
		panic(fmt.Sprintf("asm: %v is not a block-quantized type", q))
	}
}

func mustBlocks(q QType, n int) int {
	if n < 0 || n%q.BlockElems() != 0 {
		panic(fmt.Sprintf("asm: %d values are not whole %v blocks of %d", n, q, q.BlockElems()))
	}
	return n / q.BlockElems()
}

// ActBytes is the number of bytes QuantizeAct writes for n values (a
// multiple of q.BlockElems()) to pair with weights of type q.
func ActBytes(q QType, n int) int {
	mustQType(q)
	nb := mustBlocks(q, n)
	switch qtypeInfo[q].act {
	case actQ8_0:
		return nb * q8_0Bytes
	case actQ8_1:
		return nb * q8_1Bytes
	default:
		return nb * q8_KBytes
	}
}

// QuantizeAct quantizes x (len(x) a multiple of q.BlockElems()) into dst in
// the activation format q's dot product reads.
func QuantizeAct(q QType, dst []byte, x []float32) {
	if need := ActBytes(q, len(x)); len(dst) < need {
		panic(fmt.Sprintf("asm: %d bytes for %d quantized %v activations, need %d", len(dst), len(x), q, need))
	}
	active.QuantizeAct[q](dst, x)
}

// RowsQ computes y[r] = dot(weight row r, x) for r < len(y): row r is the
// n/q.BlockElems() blocks at w[r*rowBytes:], and xq is QuantizeAct(q, ·, x)
// for the same n.
func RowsQ(q QType, w []byte, rowBytes int, xq []byte, n int, y []float32) {
	mustQType(q)
	nb := mustBlocks(q, n)
	need := nb * q.BlockBytes()
	if len(y) > 0 && (rowBytes < need || len(w) < (len(y)-1)*rowBytes+need) {
		panic(fmt.Sprintf("asm: %v weight slice of %d bytes, row stride %d, too short for %d rows of %d values", q, len(w), rowBytes, len(y), n))
	}
	if len(xq) < ActBytes(q, n) {
		panic(fmt.Sprintf("asm: %d bytes of quantized activations for %d %v values, need %d", len(xq), n, q, ActBytes(q, n)))
	}
	active.RowsQ[q](w, rowBytes, nb, xq, y)
}

// RowsQMulti computes ys[v][r] = dot(weight row r, x_v) for lo <= r < hi
// and every v < len(xqs): the same rows as RowsQ (w, rowBytes, n; row r at
// w[r*rowBytes:]) against several quantized activation vectors, each from
// QuantizeAct for n values. Each weight block is read once for up to four
// vectors (guided decoding, prefill), and every result has the bits RowsQ
// gives it, whatever the grouping.
func RowsQMulti(q QType, w []byte, rowBytes int, xqs [][]byte, n int, ys [][]float32, lo, hi int) {
	nb, empty := checkRowsQMulti("RowsQMulti", q, w, rowBytes, xqs, n, ys, lo, hi)
	if empty {
		return
	}
	k, wr := active, w[lo*rowBytes:]
	v := 0
	for ; v+4 <= len(xqs); v += 4 {
		k.RowsQ4[q](wr, rowBytes, nb, [4][]byte{xqs[v], xqs[v+1], xqs[v+2], xqs[v+3]},
			[4][]float32{ys[v][lo:hi], ys[v+1][lo:hi], ys[v+2][lo:hi], ys[v+3][lo:hi]})
	}
	if v+2 <= len(xqs) {
		k.RowsQ2[q](wr, rowBytes, nb, xqs[v], xqs[v+1], ys[v][lo:hi], ys[v+1][lo:hi])
		v += 2
	}
	if v < len(xqs) {
		k.RowsQ[q](wr, rowBytes, nb, xqs[v], ys[v][lo:hi])
	}
}

// checkRowsQMulti panics with a message naming fn where the arguments of
// RowsQMulti or RowsQTiled do not fit together; it returns the block count
// and whether there is nothing to compute.
func checkRowsQMulti(fn string, q QType, w []byte, rowBytes int, xqs [][]byte, n int, ys [][]float32, lo, hi int) (nb int, empty bool) {
	mustQType(q)
	nb = mustBlocks(q, n)
	if len(ys) != len(xqs) {
		panic(fmt.Sprintf("asm: %s with %d activation vectors and %d outputs", fn, len(xqs), len(ys)))
	}
	if lo < 0 || hi < lo {
		panic(fmt.Sprintf("asm: %s rows [%d, %d)", fn, lo, hi))
	}
	if lo == hi || len(xqs) == 0 {
		return nb, true
	}
	need := nb * q.BlockBytes()
	if rowBytes < need || len(w) < (hi-1)*rowBytes+need {
		panic(fmt.Sprintf("asm: %v weight slice of %d bytes, row stride %d, too short for rows [%d, %d) of %d values", q, len(w), rowBytes, lo, hi, n))
	}
	a := ActBytes(q, n)
	for v := range xqs {
		if len(xqs[v]) < a || len(ys[v]) < hi {
			panic(fmt.Sprintf("asm: %s vector %d: %d bytes of activations (need %d), %d outputs (need %d)", fn, v, len(xqs[v]), a, len(ys[v]), hi))
		}
	}
	return nb, false
}

// DequantizeRow widens len(dst) values (a multiple of q.BlockElems()) from
// the blocks in src.
func DequantizeRow(q QType, dst []float32, src []byte) {
	mustQType(q)
	nb := mustBlocks(q, len(dst))
	if len(src) < nb*q.BlockBytes() {
		panic(fmt.Sprintf("asm: %d bytes of %v blocks for %d values, need %d", len(src), q, len(dst), nb*q.BlockBytes()))
	}
	active.Dequantize[q](dst, src)
}
