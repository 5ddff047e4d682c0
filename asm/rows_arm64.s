//go:build !purego

#include "textflag.h"

// Four-row matrix-vector kernels for arm64 NEON, the decode hot path:
// y[i] = dot(w[i*stride : i*stride+n], x) for i = 0..3, weights f32, f16 or
// bf16, x and y f32.
//
// Common shape, for all three kernels:
//   R0..R3  row pointers (w, w+stride, w+2*stride, w+3*stride in bytes)
//   R4      x pointer, R7 y pointer
//   R5      16-element blocks, R6 remaining elements (n%16, a multiple of 4;
//           the Go wrapper adds the last n%4 products)
//   V0..V3  x[16 elements], loaded once per block and used by all four rows
//   V4..V9  scratch for one row's weights (reused row after row)
//   V16..V23 accumulators, two per row: row i in V(16+2i), V(17+2i)
//   V31     zero (bf16 only)
// The block loop does all four rows, then a 4-element loop finishes the
// rest. At the end each row's pair is added and FADDP reduces the four rows
// at once into V24 = [y0, y1, y2, y3], one lane per row, with the lanes of a
// row summed as (l0+l1)+(l2+l3) like the generic twin.

// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD_4S(d, n, m) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))
// FADDP Vd.4S, Vn.4S, Vm.4S (pairwise: d = [n0+n1, n2+n3, m0+m1, m2+m3])
#define FADDP_4S(d, n, m) WORD $(0x6E20D400 | (m)<<16 | (n)<<5 | (d))
// FCVTL Vd.4S, Vn.4H (widen the low four halves)
#define FCVTL(d, n) WORD $(0x0E217800 | (n)<<5 | (d))
// FCVTL2 Vd.4S, Vn.8H (widen the high four halves)
#define FCVTL2(d, n) WORD $(0x4E217800 | (n)<<5 | (d))

// SETUP loads the arguments; elemShift is log2 of the weight element size.
#define SETUP(elemShift) \
	MOVD w+0(FP), R0 \
	MOVD stride+8(FP), R9 \
	LSL  $elemShift, R9, R9 \
	ADD  R9, R0, R1 \
	ADD  R9, R1, R2 \
	ADD  R9, R2, R3 \
	MOVD x+16(FP), R4 \
	MOVD n+24(FP), R6 \
	MOVD y+32(FP), R7 \
	LSR  $4, R6, R5 \
	AND  $15, R6, R6 \
	VEOR V16.B16, V16.B16, V16.B16 \
	VEOR V17.B16, V17.B16, V17.B16 \
	VEOR V18.B16, V18.B16, V18.B16 \
	VEOR V19.B16, V19.B16, V19.B16 \
	VEOR V20.B16, V20.B16, V20.B16 \
	VEOR V21.B16, V21.B16, V21.B16 \
	VEOR V22.B16, V22.B16, V22.B16 \
	VEOR V23.B16, V23.B16, V23.B16

// STORE4 reduces the eight accumulators to y[0..3].
#define STORE4 \
	FADD_4S(16, 16, 17) \
	FADD_4S(18, 18, 19) \
	FADD_4S(20, 20, 21) \
	FADD_4S(22, 22, 23) \
	FADDP_4S(24, 16, 18) \
	FADDP_4S(25, 20, 22) \
	FADDP_4S(24, 24, 25) \
	VST1 [V24.S4], (R7)

// One row, 16 elements, for each weight type: load, widen, 4 FMLAs
// alternating between the row's two accumulators.
#define ROW16_F32(ptr, acc0, acc1) \
	VLD1.P 64(ptr), [V4.S4, V5.S4, V6.S4, V7.S4] \
	VFMLA  V4.S4, V0.S4, acc0 \
	VFMLA  V5.S4, V1.S4, acc1 \
	VFMLA  V6.S4, V2.S4, acc0 \
	VFMLA  V7.S4, V3.S4, acc1

#define ROW16_F16(ptr, acc0, acc1) \
	VLD1.P 32(ptr), [V4.H8, V5.H8] \
	FCVTL(6, 4) \
	FCVTL2(7, 4) \
	FCVTL(8, 5) \
	FCVTL2(9, 5) \
	VFMLA  V6.S4, V0.S4, acc0 \
	VFMLA  V7.S4, V1.S4, acc1 \
	VFMLA  V8.S4, V2.S4, acc0 \
	VFMLA  V9.S4, V3.S4, acc1

#define ROW16_BF16(ptr, acc0, acc1) \
	VLD1.P 32(ptr), [V4.H8, V5.H8] \
	VZIP1  V4.H8, V31.H8, V6.H8 \
	VZIP2  V4.H8, V31.H8, V7.H8 \
	VZIP1  V5.H8, V31.H8, V8.H8 \
	VZIP2  V5.H8, V31.H8, V9.H8 \
	VFMLA  V6.S4, V0.S4, acc0 \
	VFMLA  V7.S4, V1.S4, acc1 \
	VFMLA  V8.S4, V2.S4, acc0 \
	VFMLA  V9.S4, V3.S4, acc1

// One row, 4 elements (x in V0).
#define ROW4_F32(ptr, acc) \
	VLD1.P 16(ptr), [V4.S4] \
	VFMLA  V4.S4, V0.S4, acc

#define ROW4_F16(ptr, acc) \
	VLD1.P 8(ptr), [V4.H4] \
	FCVTL(6, 4) \
	VFMLA  V6.S4, V0.S4, acc

#define ROW4_BF16(ptr, acc) \
	VLD1.P 8(ptr), [V4.H4] \
	VZIP1  V4.H8, V31.H8, V6.H8 \
	VFMLA  V6.S4, V0.S4, acc

// func rows4F32NEON(w *float32, stride int, x *float32, n int, y *float32)
TEXT ·rows4F32NEON(SB), NOSPLIT|NOFRAME, $0-40
	SETUP(2)
	CBZ R5, f32tail

f32loop16:
	VLD1.P 64(R4), [V0.S4, V1.S4, V2.S4, V3.S4]
	ROW16_F32(R0, V16.S4, V17.S4)
	ROW16_F32(R1, V18.S4, V19.S4)
	ROW16_F32(R2, V20.S4, V21.S4)
	ROW16_F32(R3, V22.S4, V23.S4)
	SUBS $1, R5, R5
	BNE  f32loop16

f32tail:
	CBZ R6, f32done

f32loop4:
	VLD1.P 16(R4), [V0.S4]
	ROW4_F32(R0, V16.S4)
	ROW4_F32(R1, V18.S4)
	ROW4_F32(R2, V20.S4)
	ROW4_F32(R3, V22.S4)
	SUBS $4, R6, R6
	BNE  f32loop4

f32done:
	STORE4
	RET

// func rows4F16NEON(w *uint16, stride int, x *float32, n int, y *float32)
TEXT ·rows4F16NEON(SB), NOSPLIT|NOFRAME, $0-40
	SETUP(1)
	CBZ R5, f16tail

f16loop16:
	VLD1.P 64(R4), [V0.S4, V1.S4, V2.S4, V3.S4]
	ROW16_F16(R0, V16.S4, V17.S4)
	ROW16_F16(R1, V18.S4, V19.S4)
	ROW16_F16(R2, V20.S4, V21.S4)
	ROW16_F16(R3, V22.S4, V23.S4)
	SUBS $1, R5, R5
	BNE  f16loop16

f16tail:
	CBZ R6, f16done

f16loop4:
	VLD1.P 16(R4), [V0.S4]
	ROW4_F16(R0, V16.S4)
	ROW4_F16(R1, V18.S4)
	ROW4_F16(R2, V20.S4)
	ROW4_F16(R3, V22.S4)
	SUBS $4, R6, R6
	BNE  f16loop4

f16done:
	STORE4
	RET

// func rows4BF16NEON(w *uint16, stride int, x *float32, n int, y *float32)
// bf16 widening: ZIP1/ZIP2 with the zero register V31 puts each weight in
// the top half of a 32-bit lane (w<<16).
TEXT ·rows4BF16NEON(SB), NOSPLIT|NOFRAME, $0-40
	SETUP(1)
	VEOR V31.B16, V31.B16, V31.B16
	CBZ  R5, bf16tail

bf16loop16:
	VLD1.P 64(R4), [V0.S4, V1.S4, V2.S4, V3.S4]
	ROW16_BF16(R0, V16.S4, V17.S4)
	ROW16_BF16(R1, V18.S4, V19.S4)
	ROW16_BF16(R2, V20.S4, V21.S4)
	ROW16_BF16(R3, V22.S4, V23.S4)
	SUBS $1, R5, R5
	BNE  bf16loop16

bf16tail:
	CBZ R6, bf16done

bf16loop4:
	VLD1.P 16(R4), [V0.S4]
	ROW4_BF16(R0, V16.S4)
	ROW4_BF16(R1, V18.S4)
	ROW4_BF16(R2, V20.S4)
	ROW4_BF16(R3, V22.S4)
	SUBS $4, R6, R6
	BNE  bf16loop4

bf16done:
	STORE4
	RET
