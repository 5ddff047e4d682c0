//go:build !purego

#include "textflag.h"

// Four weight rows against one activation vector: the decode matvec hot
// path. y[i] = dot(w[i*stride:], x) over the first n elements, i < 4; n is a
// multiple of the vector width (8 for AVX2, 16 for AVX-512) and > 0.
// Each x vector is loaded once and used for all four rows, so the loop
// streams four weight rows and little else.
//
// Registers:
//   SI, R8, R9, R10 = rows 0..3, DI = x, AX = element index, CX = n,
//   DX = n rounded down to two vectors.
//   Y0..Y3 / Z0..Z3 = row sums for the even vector of each pair,
//   Y4..Y7 / Z4..Z7 = for the odd one (eight independent FMA chains),
//   Y8, Y9 / Z8, Z9 = x, Y10..Y13 / Z10..Z13 = widened weights.

#define ROWF32(base, off, dst) VMOVUPS off(base)(AX*4), dst
#define ROWF16(base, off, dst) VCVTPH2PS off(base)(AX*2), dst
#define ROWBF16(base, off, dst) VPMOVZXWD off(base)(AX*2), dst; VPSLLD $16, dst, dst

// ROWS_SETUP loads the arguments; shift is log2 of the weight element size.
#define ROWS_SETUP(shift) \
	MOVQ w+0(FP), SI \
	MOVQ stride+8(FP), BX \
	SHLQ $shift, BX \
	LEAQ (SI)(BX*1), R8 \
	LEAQ (R8)(BX*1), R9 \
	LEAQ (R9)(BX*1), R10 \
	MOVQ x+16(FP), DI \
	MOVQ n+24(FP), CX \
	XORQ AX, AX

// ROWS_HSUM4 reduces Y0..Y3 (one row each) to X0 = [sum0 sum1 sum2 sum3]
// and stores it to y.
#define ROWS_HSUM4 \
	VHADDPS      Y1, Y0, Y0 \
	VHADDPS      Y3, Y2, Y2 \
	VHADDPS      Y2, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	MOVQ         y+32(FP), DI \
	VMOVUPS      X0, (DI) \
	VZEROUPPER \
	RET

// ROWS_AVX2: LOAD widens 8 weights of a row, wstep is their byte size.
#define ROWS_AVX2(LOAD, wstep, shift) \
	ROWS_SETUP(shift) \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	MOVQ   CX, DX \
	ANDQ   $-16, DX \
	JZ     one \
two: \
	VMOVUPS (DI)(AX*4), Y8 \
	VMOVUPS 32(DI)(AX*4), Y9 \
	LOAD(SI, 0, Y10) \
	LOAD(SI, wstep, Y11) \
	LOAD(R8, 0, Y12) \
	LOAD(R8, wstep, Y13) \
	VFMADD231PS Y10, Y8, Y0 \
	VFMADD231PS Y11, Y9, Y4 \
	VFMADD231PS Y12, Y8, Y1 \
	VFMADD231PS Y13, Y9, Y5 \
	LOAD(R9, 0, Y10) \
	LOAD(R9, wstep, Y11) \
	LOAD(R10, 0, Y12) \
	LOAD(R10, wstep, Y13) \
	VFMADD231PS Y10, Y8, Y2 \
	VFMADD231PS Y11, Y9, Y6 \
	VFMADD231PS Y12, Y8, Y3 \
	VFMADD231PS Y13, Y9, Y7 \
	ADDQ $16, AX \
	CMPQ AX, DX \
	JLT  two \
one: \
	CMPQ AX, CX \
	JGE  done \
	VMOVUPS (DI)(AX*4), Y8 \
	LOAD(SI, 0, Y10) \
	LOAD(R8, 0, Y11) \
	LOAD(R9, 0, Y12) \
	LOAD(R10, 0, Y13) \
	VFMADD231PS Y10, Y8, Y0 \
	VFMADD231PS Y11, Y8, Y1 \
	VFMADD231PS Y12, Y8, Y2 \
	VFMADD231PS Y13, Y8, Y3 \
	ADDQ $8, AX \
	JMP  one \
done: \
	VADDPS Y4, Y0, Y0 \
	VADDPS Y5, Y1, Y1 \
	VADDPS Y6, Y2, Y2 \
	VADDPS Y7, Y3, Y3 \
	ROWS_HSUM4

// ROWS_AVX512: as ROWS_AVX2 with 16-float vectors; the four Z sums are
// folded to Y before the shared horizontal reduction.
#define ROWS_AVX512(LOAD, wstep, shift) \
	ROWS_SETUP(shift) \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1 \
	VPXORD Z2, Z2, Z2 \
	VPXORD Z3, Z3, Z3 \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	MOVQ   CX, DX \
	ANDQ   $-32, DX \
	JZ     one \
two: \
	VMOVUPS (DI)(AX*4), Z8 \
	VMOVUPS 64(DI)(AX*4), Z9 \
	LOAD(SI, 0, Z10) \
	LOAD(SI, wstep, Z11) \
	LOAD(R8, 0, Z12) \
	LOAD(R8, wstep, Z13) \
	VFMADD231PS Z10, Z8, Z0 \
	VFMADD231PS Z11, Z9, Z4 \
	VFMADD231PS Z12, Z8, Z1 \
	VFMADD231PS Z13, Z9, Z5 \
	LOAD(R9, 0, Z10) \
	LOAD(R9, wstep, Z11) \
	LOAD(R10, 0, Z12) \
	LOAD(R10, wstep, Z13) \
	VFMADD231PS Z10, Z8, Z2 \
	VFMADD231PS Z11, Z9, Z6 \
	VFMADD231PS Z12, Z8, Z3 \
	VFMADD231PS Z13, Z9, Z7 \
	ADDQ $32, AX \
	CMPQ AX, DX \
	JLT  two \
one: \
	CMPQ AX, CX \
	JGE  done \
	VMOVUPS (DI)(AX*4), Z8 \
	LOAD(SI, 0, Z10) \
	LOAD(R8, 0, Z11) \
	LOAD(R9, 0, Z12) \
	LOAD(R10, 0, Z13) \
	VFMADD231PS Z10, Z8, Z0 \
	VFMADD231PS Z11, Z8, Z1 \
	VFMADD231PS Z12, Z8, Z2 \
	VFMADD231PS Z13, Z8, Z3 \
	ADDQ $16, AX \
	JMP  one \
done: \
	VADDPS        Z4, Z0, Z0 \
	VADDPS        Z5, Z1, Z1 \
	VADDPS        Z6, Z2, Z2 \
	VADDPS        Z7, Z3, Z3 \
	VEXTRACTF64X4 $1, Z0, Y4 \
	VEXTRACTF64X4 $1, Z1, Y5 \
	VEXTRACTF64X4 $1, Z2, Y6 \
	VEXTRACTF64X4 $1, Z3, Y7 \
	VADDPS        Y4, Y0, Y0 \
	VADDPS        Y5, Y1, Y1 \
	VADDPS        Y6, Y2, Y2 \
	VADDPS        Y7, Y3, Y3 \
	ROWS_HSUM4

// func rows4F32AVX2(w *float32, stride int, x *float32, n int, y *float32)
TEXT ·rows4F32AVX2(SB), NOSPLIT, $0-40
	ROWS_AVX2(ROWF32, 32, 2)

// func rows4F16AVX2(w *uint16, stride int, x *float32, n int, y *float32)
TEXT ·rows4F16AVX2(SB), NOSPLIT, $0-40
	ROWS_AVX2(ROWF16, 16, 1)

// func rows4BF16AVX2(w *uint16, stride int, x *float32, n int, y *float32)
TEXT ·rows4BF16AVX2(SB), NOSPLIT, $0-40
	ROWS_AVX2(ROWBF16, 16, 1)

// func rows4F32AVX512(w *float32, stride int, x *float32, n int, y *float32)
TEXT ·rows4F32AVX512(SB), NOSPLIT, $0-40
	ROWS_AVX512(ROWF32, 64, 2)

// func rows4F16AVX512(w *uint16, stride int, x *float32, n int, y *float32)
TEXT ·rows4F16AVX512(SB), NOSPLIT, $0-40
	ROWS_AVX512(ROWF16, 32, 1)

// func rows4BF16AVX512(w *uint16, stride int, x *float32, n int, y *float32)
TEXT ·rows4BF16AVX512(SB), NOSPLIT, $0-40
	ROWS_AVX512(ROWBF16, 32, 1)
