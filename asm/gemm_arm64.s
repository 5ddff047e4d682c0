//go:build !purego

#include "textflag.h"

// GEMM micro-kernel C[8×8] += A·B for NEON, A and B packed k-major (8 floats
// per k step each). Registers: R0 = k steps left, R1 = a, R2 = b, R3 = c
// row, R4 = ldc in bytes; V0..V15 accumulators (row i in V(2i), V(2i+1)),
// V16/V17 = a[0..3]/a[4..7], V18/V19 = b[0..3]/b[4..7], V20/V21 = C row.
//
// Go's assembler has no by-element FMLA nor vector FADD, so they are WORDs
// (Arm operand order, destination first).

// FMLA Vd.4S, Vn.4S, Vm.S[idx]: Vd += Vn * lane idx of Vm (H = idx>>1, L = idx&1)
#define FMLA_ELEM(d, n, m, idx) WORD $(0x4F801000 | ((idx)&1)<<21 | (m)<<16 | ((idx)>>1)<<11 | (n)<<5 | (d))
// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD_4S(d, n, m) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))

// STORE_ROW adds one accumulator pair into the C row at R3, then steps R3.
#define STORE_ROW(acc0, acc1) \
	VLD1 (R3), [V20.S4, V21.S4] \
	FADD_4S(20, 20, acc0) \
	FADD_4S(21, 21, acc1) \
	VST1 [V20.S4, V21.S4], (R3) \
	ADD  R4, R3, R3

// func gemm8x8NEON(k int, a, b, c *float32, ldc int)
TEXT ·gemm8x8NEON(SB), NOSPLIT|NOFRAME, $0-40
	MOVD k+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD c+24(FP), R3
	MOVD ldc+32(FP), R4
	LSL  $2, R4, R4
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16

neonloop:
	VLD1.P 32(R1), [V16.S4, V17.S4]
	VLD1.P 32(R2), [V18.S4, V19.S4]
	FMLA_ELEM(0, 18, 16, 0)
	FMLA_ELEM(1, 19, 16, 0)
	FMLA_ELEM(2, 18, 16, 1)
	FMLA_ELEM(3, 19, 16, 1)
	FMLA_ELEM(4, 18, 16, 2)
	FMLA_ELEM(5, 19, 16, 2)
	FMLA_ELEM(6, 18, 16, 3)
	FMLA_ELEM(7, 19, 16, 3)
	FMLA_ELEM(8, 18, 17, 0)
	FMLA_ELEM(9, 19, 17, 0)
	FMLA_ELEM(10, 18, 17, 1)
	FMLA_ELEM(11, 19, 17, 1)
	FMLA_ELEM(12, 18, 17, 2)
	FMLA_ELEM(13, 19, 17, 2)
	FMLA_ELEM(14, 18, 17, 3)
	FMLA_ELEM(15, 19, 17, 3)
	SUBS $1, R0, R0
	BNE  neonloop

	STORE_ROW(0, 1)
	STORE_ROW(2, 3)
	STORE_ROW(4, 5)
	STORE_ROW(6, 7)
	STORE_ROW(8, 9)
	STORE_ROW(10, 11)
	STORE_ROW(12, 13)
	STORE_ROW(14, 15)
	RET
