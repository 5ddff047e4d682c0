package asm

// Pure-Go twins of the block-quantized kernels (quant.go has the layouts).
// Each dot product sums value products in int32 within a block, then adds
// float32(sumi)*(d_w*d_x) (and the min term, for the types that have one)
// across blocks in block order, as ggml's scalar code does. Dequantization
// follows ggml's dequantize_row_* operation by operation. Every product is
// rounded by an explicit float32() before it is added, so no compiler fuses
// it into an FMA and the twins give the same bits on every GOARCH.

import (
	"encoding/binary"
	"fmt"
	"math"
)

var (
	quantizeActGeneric = [NumQTypes]func(dst []byte, x []float32){
		QNone: noBlocks[func(dst []byte, x []float32)](),
		Q4_0:  quantizeQ8_0Generic, Q5_0: quantizeQ8_0Generic, Q8_0: quantizeQ8_0Generic,
		Q4_1: quantizeQ8_1Generic, Q5_1: quantizeQ8_1Generic,
		Q4_K: quantizeQ8_KGeneric, Q5_K: quantizeQ8_KGeneric, Q6_K: quantizeQ8_KGeneric,
	}
	rowsQGeneric = [NumQTypes]func(w []byte, rowBytes, nb int, xq []byte, y []float32){
		QNone: noBlocks[func(w []byte, rowBytes, nb int, xq []byte, y []float32)](),
		Q4_0:  rowsByDot(Q4_0, dotQ4_0Generic),
		Q4_1:  rowsByDot(Q4_1, dotQ4_1Generic),
		Q5_0:  rowsByDot(Q5_0, dotQ5_0Generic),
		Q5_1:  rowsByDot(Q5_1, dotQ5_1Generic),
		Q8_0:  rowsByDot(Q8_0, dotQ8_0Generic),
		Q4_K:  rowsByDot(Q4_K, dotQ4_KGeneric),
		Q5_K:  rowsByDot(Q5_K, dotQ5_KGeneric),
		Q6_K:  rowsByDot(Q6_K, dotQ6_KGeneric),
	}
	rowsQ2Generic = func() (t [NumQTypes]func(w []byte, rowBytes, nb int, xq0, xq1 []byte, y0, y1 []float32)) {
		for q := range t {
			t[q] = rowsQTwice(rowsQGeneric[q])
		}
		return t
	}()
	rowsQ4Generic = func() (t [NumQTypes]func(w []byte, rowBytes, nb int, xq [4][]byte, y [4][]float32)) {
		for q := range t {
			t[q] = rowsQPerVector(rowsQGeneric[q])
		}
		return t
	}()
	dequantizeGeneric = [NumQTypes]func(dst []float32, src []byte){
		QNone: noBlocks[func(dst []float32, src []byte)](),
		Q4_0:  dequantizeQ4_0, Q4_1: dequantizeQ4_1, Q5_0: dequantizeQ5_0, Q5_1: dequantizeQ5_1,
		Q8_0: dequantizeQ8_0, Q4_K: dequantizeQ4_K, Q5_K: dequantizeQ5_K, Q6_K: dequantizeQ6_K,
	}
)

// noBlocks fills the QNone entries (tables have no nil entries): the
// exported wrappers reject QNone before any kernel runs, so reaching one is
// a bug in a caller of the table.
func noBlocks[F any]() F {
	var f F
	fn := func() { panic("asm: QNone has no block kernels") }
	switch p := any(&f).(type) {
	case *func(dst []byte, x []float32):
		*p = func([]byte, []float32) { fn() }
	case *func(w []byte, rowBytes, nb int, xq []byte, y []float32):
		*p = func([]byte, int, int, []byte, []float32) { fn() }
	case *func(dst []float32, src []byte):
		*p = func([]float32, []byte) { fn() }
	default:
		panic(fmt.Sprintf("asm: noBlocks for %T", f))
	}
	return f
}

// rowsQTwice is RowsQ2 as two RowsQ calls.
func rowsQTwice(rows func(w []byte, rowBytes, nb int, xq []byte, y []float32)) func(w []byte, rowBytes, nb int, xq0, xq1 []byte, y0, y1 []float32) {
	return func(w []byte, rowBytes, nb int, xq0, xq1 []byte, y0, y1 []float32) {
		rows(w, rowBytes, nb, xq0, y0)
		rows(w, rowBytes, nb, xq1, y1[:len(y0)])
	}
}

// rowsQPerVector is RowsQ4 as four RowsQ calls.
func rowsQPerVector(rows func(w []byte, rowBytes, nb int, xq []byte, y []float32)) func(w []byte, rowBytes, nb int, xq [4][]byte, y [4][]float32) {
	return func(w []byte, rowBytes, nb int, xq [4][]byte, y [4][]float32) {
		for v := range xq {
			rows(w, rowBytes, nb, xq[v], y[v][:len(y[0])])
		}
	}
}

func rowsByDot(q QType, dot func(w, xq []byte, nb int) float32) func(w []byte, rowBytes, nb int, xq []byte, y []float32) {
	bb := q.BlockBytes()
	return func(w []byte, rowBytes, nb int, xq []byte, y []float32) {
		for r := range y {
			y[r] = dot(w[r*rowBytes:r*rowBytes+nb*bb], xq, nb)
		}
	}
}

func f16At(b []byte, i int) float32 { return F16(binary.LittleEndian.Uint16(b[i:])) }

func putF16(b []byte, f float32) { binary.LittleEndian.PutUint16(b, ToF16(f)) }

// roundEven rounds a float32 to the nearest integer, ties to even (VROUNDPS
// $0, FCVTNS).
func roundEven(v float32) int32 { return int32(math.RoundToEven(float64(v))) }

// quantizeQ8_32 writes one 32-value block's int8 values to qs and returns
// d and the sum of the values.
func quantizeQ8_32(qs []byte, x []float32) (d float32, sum int32) {
	var amax float32
	for _, v := range x[:32] {
		amax = max(amax, float32(math.Abs(float64(v))))
	}
	d = amax / 127
	// id = 0 quantizes to zeros: an all-zero block, and one so small that
	// 127/amax overflows (amax below about 4e-37; its f16 d is 0 anyway),
	// where ggml's x·Inf would give out-of-range integers.
	var id float32
	if amax != 0 {
		id = 127 / amax
	}
	if math.IsInf(float64(id), 0) {
		id = 0
	}
	for j, v := range x[:32] {
		q := roundEven(v * id)
		qs[j] = byte(int8(q))
		sum += q
	}
	return d, sum
}

func quantizeQ8_0Generic(dst []byte, x []float32) {
	for b := 0; b < len(x)/32; b++ {
		blk := dst[b*q8_0Bytes : (b+1)*q8_0Bytes]
		d, _ := quantizeQ8_32(blk[2:], x[b*32:])
		putF16(blk, d)
	}
}

func quantizeQ8_1Generic(dst []byte, x []float32) {
	for b := 0; b < len(x)/32; b++ {
		blk := dst[b*q8_1Bytes : (b+1)*q8_1Bytes]
		d, sum := quantizeQ8_32(blk[4:], x[b*32:])
		putF16(blk, d)
		putF16(blk[2:], d*float32(sum))
	}
}

func quantizeQ8_KGeneric(dst []byte, x []float32) {
	for b := 0; b < len(x)/256; b++ {
		blk := dst[b*q8_KBytes : (b+1)*q8_KBytes]
		xb := x[b*256 : (b+1)*256]
		var amax, signed float32
		for _, v := range xb {
			if a := float32(math.Abs(float64(v))); a > amax {
				amax, signed = a, v
			}
		}
		iscale := -127 / signed
		if amax == 0 || math.IsInf(float64(iscale), 0) {
			clear(blk) // as quantizeQ8_32: zeros, and d = 0
			continue
		}
		for g := 0; g < 16; g++ {
			var sum int32
			for j := g * 16; j < g*16+16; j++ {
				q := min(127, roundEven(iscale*xb[j]))
				blk[4+j] = byte(int8(q))
				sum += q
			}
			binary.LittleEndian.PutUint16(blk[260+2*g:], uint16(int16(sum)))
		}
		binary.LittleEndian.PutUint32(blk, math.Float32bits(1/iscale))
	}
}

func i8(b byte) int32 { return int32(int8(b)) }

func dotQ4_0Generic(w, x []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb, xb := w[b*18:b*18+18], x[b*q8_0Bytes:(b+1)*q8_0Bytes]
		var s int32
		for j := 0; j < 16; j++ {
			q := wb[2+j]
			s += (int32(q&15)-8)*i8(xb[2+j]) + (int32(q>>4)-8)*i8(xb[18+j])
		}
		sum += float32(float32(s) * (f16At(wb, 0) * f16At(xb, 0)))
	}
	return sum
}

func dotQ4_1Generic(w, x []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb, xb := w[b*20:b*20+20], x[b*q8_1Bytes:(b+1)*q8_1Bytes]
		var s int32
		for j := 0; j < 16; j++ {
			q := wb[4+j]
			s += int32(q&15)*i8(xb[4+j]) + int32(q>>4)*i8(xb[20+j])
		}
		sum += float32(float32(s)*(f16At(wb, 0)*f16At(xb, 0))) + float32(f16At(wb, 2)*f16At(xb, 2))
	}
	return sum
}

// q5Values returns the two 5-bit values byte j of a Q5 block holds (values
// j and j+16, before any offset).
func q5Values(qs byte, qh uint32, j int) (int32, int32) {
	return int32(qs&15) | int32(qh>>j&1)<<4, int32(qs>>4) | int32(qh>>(j+16)&1)<<4
}

func dotQ5_0Generic(w, x []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb, xb := w[b*22:b*22+22], x[b*q8_0Bytes:(b+1)*q8_0Bytes]
		qh := binary.LittleEndian.Uint32(wb[2:])
		var s int32
		for j := 0; j < 16; j++ {
			v0, v1 := q5Values(wb[6+j], qh, j)
			s += (v0-16)*i8(xb[2+j]) + (v1-16)*i8(xb[18+j])
		}
		sum += float32(float32(s) * (f16At(wb, 0) * f16At(xb, 0)))
	}
	return sum
}

func dotQ5_1Generic(w, x []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb, xb := w[b*24:b*24+24], x[b*q8_1Bytes:(b+1)*q8_1Bytes]
		qh := binary.LittleEndian.Uint32(wb[4:])
		var s int32
		for j := 0; j < 16; j++ {
			v0, v1 := q5Values(wb[8+j], qh, j)
			s += v0*i8(xb[4+j]) + v1*i8(xb[20+j])
		}
		sum += float32(float32(s)*(f16At(wb, 0)*f16At(xb, 0))) + float32(f16At(wb, 2)*f16At(xb, 2))
	}
	return sum
}

func dotQ8_0Generic(w, x []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb, xb := w[b*34:b*34+34], x[b*q8_0Bytes:(b+1)*q8_0Bytes]
		var s int32
		for j := 2; j < 34; j++ {
			s += i8(wb[j]) * i8(xb[j])
		}
		sum += float32(float32(s) * (f16At(wb, 0) * f16At(xb, 0)))
	}
	return sum
}

// scaleMinK4 is ggml's get_scale_min_k4: the 6-bit scale and min of
// sub-block j (0..7) from the 12 packed bytes of a Q4_K/Q5_K block.
func scaleMinK4(j int, s []byte) (sc, m int32) {
	if j < 4 {
		return int32(s[j] & 63), int32(s[j+4] & 63)
	}
	return int32(s[j+4]&15 | s[j-4]>>6<<4), int32(s[j+4]>>4 | s[j]>>6<<4)
}

// q8KMinSum is sum over sub-blocks of min_j times the sum of the 32
// activations of sub-block j, from the activation block's bsums.
func q8KMinSum(scales, xb []byte) int32 {
	var s int32
	for j := 0; j < 8; j++ {
		_, m := scaleMinK4(j, scales)
		b0 := int16(binary.LittleEndian.Uint16(xb[260+4*j:]))
		b1 := int16(binary.LittleEndian.Uint16(xb[262+4*j:]))
		s += m * (int32(b0) + int32(b1))
	}
	return s
}

func q8KScale(xb []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(xb)) }

func dotQ4_KGeneric(w, x []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb, xb := w[b*144:b*144+144], x[b*q8_KBytes:(b+1)*q8_KBytes]
		scales, qs, xs := wb[4:16], wb[16:144], xb[4:260]
		var s int32
		for c := 0; c < 4; c++ { // 64 values: low nibbles, then high nibbles
			sc0, _ := scaleMinK4(2*c, scales)
			sc1, _ := scaleMinK4(2*c+1, scales)
			var s0, s1 int32
			for l := 0; l < 32; l++ {
				q := qs[32*c+l]
				s0 += int32(q&15) * i8(xs[64*c+l])
				s1 += int32(q>>4) * i8(xs[64*c+32+l])
			}
			s += sc0*s0 + sc1*s1
		}
		dx := q8KScale(xb)
		sum += float32(float32(s)*(f16At(wb, 0)*dx)) - float32(float32(q8KMinSum(scales, xb))*(f16At(wb, 2)*dx))
	}
	return sum
}

func dotQ5_KGeneric(w, x []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb, xb := w[b*176:b*176+176], x[b*q8_KBytes:(b+1)*q8_KBytes]
		scales, qh, qs, xs := wb[4:16], wb[16:48], wb[48:176], xb[4:260]
		var s int32
		for c := 0; c < 4; c++ {
			sc0, _ := scaleMinK4(2*c, scales)
			sc1, _ := scaleMinK4(2*c+1, scales)
			var s0, s1 int32
			for l := 0; l < 32; l++ {
				q, h := qs[32*c+l], qh[l]
				s0 += (int32(q&15) | int32(h>>(2*c)&1)<<4) * i8(xs[64*c+l])
				s1 += (int32(q>>4) | int32(h>>(2*c+1)&1)<<4) * i8(xs[64*c+32+l])
			}
			s += sc0*s0 + sc1*s1
		}
		dx := q8KScale(xb)
		sum += float32(float32(s)*(f16At(wb, 0)*dx)) - float32(float32(q8KMinSum(scales, xb))*(f16At(wb, 2)*dx))
	}
	return sum
}

// q6Value is value i (0..255) of a Q6_K block, -32..31. Each half of 128
// values has 64 bytes of ql and 32 of qh: value 32k+l of the half (k < 4,
// l < 32) is the low (k < 2) or high nibble of ql[l + 32*(k&1)] with bits
// 2k, 2k+1 of qh[l] on top. Value i has scale i/16.
func q6Value(ql, qh []byte, i int) int32 {
	half, k, l := i/128, i%128/32, i%32
	lo := ql[64*half+l+32*(k&1)]
	if k >= 2 {
		lo >>= 4
	}
	hi := qh[32*half+l] >> (2 * k) & 3
	return int32(lo&15|hi<<4) - 32
}

func dotQ6_KGeneric(w, x []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb, xb := w[b*210:b*210+210], x[b*q8_KBytes:(b+1)*q8_KBytes]
		ql, qh, xs := wb[0:128], wb[128:192], xb[4:260]
		var s int32
		for g := 0; g < 16; g++ {
			var sg int32
			for i := 16 * g; i < 16*g+16; i++ {
				sg += q6Value(ql, qh, i) * i8(xs[i])
			}
			s += i8(wb[192+g]) * sg
		}
		sum += float32(float32(s) * (f16At(wb, 208) * q8KScale(xb)))
	}
	return sum
}

func dequantizeQ4_0(dst []float32, src []byte) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*18:], dst[b*32:b*32+32]
		d := f16At(blk, 0)
		for j := 0; j < 16; j++ {
			y[j] = float32(int32(blk[2+j]&15)-8) * d
			y[j+16] = float32(int32(blk[2+j]>>4)-8) * d
		}
	}
}

func dequantizeQ4_1(dst []float32, src []byte) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*20:], dst[b*32:b*32+32]
		d, m := f16At(blk, 0), f16At(blk, 2)
		for j := 0; j < 16; j++ {
			y[j] = float32(float32(blk[4+j]&15)*d) + m
			y[j+16] = float32(float32(blk[4+j]>>4)*d) + m
		}
	}
}

func dequantizeQ5_0(dst []float32, src []byte) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*22:], dst[b*32:b*32+32]
		d, qh := f16At(blk, 0), binary.LittleEndian.Uint32(blk[2:])
		for j := 0; j < 16; j++ {
			v0, v1 := q5Values(blk[6+j], qh, j)
			y[j], y[j+16] = float32(v0-16)*d, float32(v1-16)*d
		}
	}
}

func dequantizeQ5_1(dst []float32, src []byte) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*24:], dst[b*32:b*32+32]
		d, m, qh := f16At(blk, 0), f16At(blk, 2), binary.LittleEndian.Uint32(blk[4:])
		for j := 0; j < 16; j++ {
			v0, v1 := q5Values(blk[8+j], qh, j)
			y[j], y[j+16] = float32(float32(v0)*d)+m, float32(float32(v1)*d)+m
		}
	}
}

func dequantizeQ8_0(dst []float32, src []byte) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*34:], dst[b*32:b*32+32]
		d := f16At(blk, 0)
		for j := range y {
			y[j] = float32(i8(blk[2+j])) * d
		}
	}
}

func dequantizeQ4_K(dst []float32, src []byte) {
	for b := 0; b < len(dst)/256; b++ {
		blk, y := src[b*144:], dst[b*256:b*256+256]
		d, dmin, scales, qs := f16At(blk, 0), f16At(blk, 2), blk[4:16], blk[16:144]
		for c := 0; c < 4; c++ {
			sc0, m0 := scaleMinK4(2*c, scales)
			sc1, m1 := scaleMinK4(2*c+1, scales)
			d0, d1 := d*float32(sc0), d*float32(sc1)
			mm0, mm1 := dmin*float32(m0), dmin*float32(m1)
			for l := 0; l < 32; l++ {
				q := qs[32*c+l]
				y[64*c+l] = float32(d0*float32(q&15)) - mm0
				y[64*c+32+l] = float32(d1*float32(q>>4)) - mm1
			}
		}
	}
}

func dequantizeQ5_K(dst []float32, src []byte) {
	for b := 0; b < len(dst)/256; b++ {
		blk, y := src[b*176:], dst[b*256:b*256+256]
		d, dmin, scales, qh, qs := f16At(blk, 0), f16At(blk, 2), blk[4:16], blk[16:48], blk[48:176]
		for c := 0; c < 4; c++ {
			sc0, m0 := scaleMinK4(2*c, scales)
			sc1, m1 := scaleMinK4(2*c+1, scales)
			d0, d1 := d*float32(sc0), d*float32(sc1)
			mm0, mm1 := dmin*float32(m0), dmin*float32(m1)
			for l := 0; l < 32; l++ {
				q, h := qs[32*c+l], qh[l]
				y[64*c+l] = float32(d0*float32(int32(q&15)|int32(h>>(2*c)&1)<<4)) - mm0
				y[64*c+32+l] = float32(d1*float32(int32(q>>4)|int32(h>>(2*c+1)&1)<<4)) - mm1
			}
		}
	}
}

func dequantizeQ6_K(dst []float32, src []byte) {
	for b := 0; b < len(dst)/256; b++ {
		blk, y := src[b*210:], dst[b*256:b*256+256]
		d, ql, qh := f16At(blk, 208), blk[0:128], blk[128:192]
		for i := range y {
			y[i] = float32(d*float32(i8(blk[192+i/16]))) * float32(q6Value(ql, qh, i))
		}
	}
}
