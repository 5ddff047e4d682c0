//go:build !purego

#include "textflag.h"

// Winograd F(2×2, 3×3) transforms for 16 consecutive tiles of one tile row,
// one tile per lane; see winograd.go for the layouts. Every value is
// computed with the same additions in the same order as the Go loops in
// ops/conv.go, so both give the same bits.

// Lane permutations: even and odd elements of a 32-float pair of
// registers, and the interleave of two registers (low and high halves).
DATA winoEven<>+0(SB)/8, $0x0000000200000000
DATA winoEven<>+8(SB)/8, $0x0000000600000004
DATA winoEven<>+16(SB)/8, $0x0000000a00000008
DATA winoEven<>+24(SB)/8, $0x0000000e0000000c
DATA winoEven<>+32(SB)/8, $0x0000001200000010
DATA winoEven<>+40(SB)/8, $0x0000001600000014
DATA winoEven<>+48(SB)/8, $0x0000001a00000018
DATA winoEven<>+56(SB)/8, $0x0000001e0000001c
GLOBL winoEven<>(SB), RODATA|NOPTR, $64

DATA winoOdd<>+0(SB)/8, $0x0000000300000001
DATA winoOdd<>+8(SB)/8, $0x0000000700000005
DATA winoOdd<>+16(SB)/8, $0x0000000b00000009
DATA winoOdd<>+24(SB)/8, $0x0000000f0000000d
DATA winoOdd<>+32(SB)/8, $0x0000001300000011
DATA winoOdd<>+40(SB)/8, $0x0000001700000015
DATA winoOdd<>+48(SB)/8, $0x0000001b00000019
DATA winoOdd<>+56(SB)/8, $0x0000001f0000001d
GLOBL winoOdd<>(SB), RODATA|NOPTR, $64

DATA winoZipLo<>+0(SB)/8, $0x0000001000000000
DATA winoZipLo<>+8(SB)/8, $0x0000001100000001
DATA winoZipLo<>+16(SB)/8, $0x0000001200000002
DATA winoZipLo<>+24(SB)/8, $0x0000001300000003
DATA winoZipLo<>+32(SB)/8, $0x0000001400000004
DATA winoZipLo<>+40(SB)/8, $0x0000001500000005
DATA winoZipLo<>+48(SB)/8, $0x0000001600000006
DATA winoZipLo<>+56(SB)/8, $0x0000001700000007
GLOBL winoZipLo<>(SB), RODATA|NOPTR, $64

DATA winoZipHi<>+0(SB)/8, $0x0000001800000008
DATA winoZipHi<>+8(SB)/8, $0x0000001900000009
DATA winoZipHi<>+16(SB)/8, $0x0000001a0000000a
DATA winoZipHi<>+24(SB)/8, $0x0000001b0000000b
DATA winoZipHi<>+32(SB)/8, $0x0000001c0000000c
DATA winoZipHi<>+40(SB)/8, $0x0000001d0000000d
DATA winoZipHi<>+48(SB)/8, $0x0000001e0000000e
DATA winoZipHi<>+56(SB)/8, $0x0000001f0000000f
GLOBL winoZipHi<>(SB), RODATA|NOPTR, $64

// WINO_ROW loads input row SI (34 floats from the patch's left edge), splits
// it into d0..d3 (tile j's 4 values at 2j..2j+3) and writes the row's d·B:
// (d0-d2, d1+d2, d2-d1, d1-d3).
#define WINO_ROW(r0, r1, r2, r3) \
	VMOVUPS (SI), Z0 \
	VPERMT2PS 64(SI), Z30, Z0 \
	VMOVUPS (SI), Z1 \
	VPERMT2PS 64(SI), Z31, Z1 \
	VMOVUPS 8(SI), Z2 \
	VPERMT2PS 72(SI), Z30, Z2 \
	VMOVUPS 8(SI), Z3 \
	VPERMT2PS 72(SI), Z31, Z3 \
	VSUBPS Z2, Z0, r0 \
	VADDPS Z2, Z1, r1 \
	VSUBPS Z1, Z2, r2 \
	VSUBPS Z3, Z1, r3 \
	ADDQ R8, SI

// WINO_COL combines column x (b0..b3 = rows 0..3 of d·B) into V[x],
// V[4+x], V[8+x], V[12+x] and stores them at (R12|R13|R14|DI)(off).
#define WINO_COL(b0, b1, b2, b3, off) \
	VSUBPS b2, b0, Z20 \
	VADDPS b2, b1, Z21 \
	VSUBPS b1, b2, Z22 \
	VSUBPS b3, b1, Z23 \
	VMOVUPS Z20, off(DI) \
	VMOVUPS Z21, off(R12) \
	VMOVUPS Z22, off(R13) \
	VMOVUPS Z23, off(R14)

// func winoIn16AVX512(src *float32, rowStride int, dst *float32, vStride int)
TEXT ·winoIn16AVX512(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ rowStride+8(FP), R8
	SHLQ $2, R8
	MOVQ dst+16(FP), DI
	MOVQ vStride+24(FP), R11
	SHLQ $2, R11
	VMOVUPS winoEven<>(SB), Z30
	VMOVUPS winoOdd<>(SB), Z31
	WINO_ROW(Z4, Z5, Z6, Z7)
	WINO_ROW(Z8, Z9, Z10, Z11)
	WINO_ROW(Z12, Z13, Z14, Z15)
	WINO_ROW(Z16, Z17, Z18, Z19)
	// R12, R13, R14 = V[4], V[8], V[12]; DI steps through columns x.
	MOVQ R11, R9
	SHLQ $2, R9
	LEAQ (DI)(R9*1), R12
	LEAQ (R12)(R9*1), R13
	LEAQ (R13)(R9*1), R14
	WINO_COL(Z4, Z8, Z12, Z16, 0)
	ADDQ R11, DI
	ADDQ R11, R12
	ADDQ R11, R13
	ADDQ R11, R14
	WINO_COL(Z5, Z9, Z13, Z17, 0)
	ADDQ R11, DI
	ADDQ R11, R12
	ADDQ R11, R13
	ADDQ R11, R14
	WINO_COL(Z6, Z10, Z14, Z18, 0)
	ADDQ R11, DI
	ADDQ R11, R12
	ADDQ R11, R13
	ADDQ R11, R14
	WINO_COL(Z7, Z11, Z15, Z19, 0)
	VZEROUPPER
	RET

// WINO_MCOL loads column x of M (q_x, q_4+x, q_8+x, q_12+x at
// (SI|R12|R13|R14)) and writes (q0+q4+q8, q4-q8-q12) into r0, r1.
#define WINO_MCOL(r0, r1) \
	VMOVUPS (SI), Z8 \
	VMOVUPS (R12), Z9 \
	VMOVUPS (R13), Z10 \
	VMOVUPS (R14), Z11 \
	VADDPS Z9, Z8, r0 \
	VADDPS Z10, r0, r0 \
	VSUBPS Z10, Z9, r1 \
	VSUBPS Z11, r1, r1 \
	ADDQ R11, SI \
	ADDQ R11, R12 \
	ADDQ R11, R13 \
	ADDQ R11, R14

// WINO_OROW writes the output row pair of r0..r3 (+ bias Z28) to DX:
// (r0+r1+r2, r1-r2-r3) interleaved.
#define WINO_OROW(r0, r1, r2, r3) \
	VADDPS r1, r0, Z12 \
	VADDPS r2, Z12, Z12 \
	VADDPS Z28, Z12, Z12 \
	VSUBPS r2, r1, Z13 \
	VSUBPS r3, Z13, Z13 \
	VADDPS Z28, Z13, Z13 \
	VMOVAPS Z12, Z14 \
	VPERMT2PS Z13, Z29, Z14 \
	VPERMT2PS Z13, Z30, Z12 \
	VMOVUPS Z14, (DX) \
	VMOVUPS Z12, 64(DX)

// func winoOut16AVX512(m *float32, mStride int, top, bot *float32, bias float32)
TEXT ·winoOut16AVX512(SB), NOSPLIT, $0-36
	MOVQ m+0(FP), SI
	MOVQ mStride+8(FP), R11
	SHLQ $2, R11
	MOVQ R11, R9
	SHLQ $2, R9
	LEAQ (SI)(R9*1), R12
	LEAQ (R12)(R9*1), R13
	LEAQ (R13)(R9*1), R14
	VBROADCASTSS bias+32(FP), Z28
	VMOVUPS winoZipLo<>(SB), Z29
	VMOVUPS winoZipHi<>(SB), Z30
	WINO_MCOL(Z0, Z4)
	WINO_MCOL(Z1, Z5)
	WINO_MCOL(Z2, Z6)
	WINO_MCOL(Z3, Z7)
	MOVQ top+16(FP), DX
	WINO_OROW(Z0, Z1, Z2, Z3)
	MOVQ bot+24(FP), DX
	WINO_OROW(Z4, Z5, Z6, Z7)
	VZEROUPPER
	RET
