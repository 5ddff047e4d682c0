//go:build !purego

#include "textflag.h"
#include "hsum_amd64.h"
#include "quant_amd64.h"

// Block-quantized dot products for AVX2+FMA+F16C, the 32-value formats
// but Q4_0 (quant.go has the block layouts; Q4_0 is in quant_q4_0_amd64.s,
// the K types in quantk_amd64.s, the activation quantizers in
// quantact_amd64.s, shared macros in quant_amd64.h). Each dot function
// computes one weight row against one quantized activation vector (x2/x4:
// two or four vectors), nb >= 1 blocks: the Go wrappers handle nb = 0.
//
// Within a block the integer products are summed exactly: VPMADDUBSW
// multiplies unsigned weight bytes by signed activation bytes and adds
// pairs to int16 (no saturation: unsigned weights are at most 63 and
// activations never -128; for Q8_0 and Q5_0 the sign of the weight is moved
// onto the activation with VPSIGNB first, as ggml's mul_sum_i8_pairs does),
// VPMADDWD by ones (or by the sub-block scale) widens to int32. The int32
// lanes are converted to float and multiplied by d_w·d_x with one FMA per
// block into float32 accumulators (two, alternating, so consecutive blocks
// do not wait on each other's FMA).
//
// Registers: SI = weight block, DI = activation block, CX = blocks left,
// Y0/Y1 = accumulators, Y15 = int16 ones, Y14 = 0x0F bytes, the rest scratch
// or per-function constants.

DATA qkHigh4<>+0(SB)/4, $0xf0f0f0f0
GLOBL qkHigh4<>(SB), RODATA|NOPTR, $4
// qkBitShuf and qkBitMask spread the 32 bits of a dword over 32 bytes
// (ggml's bytes_from_bits_32): byte i takes byte i/8 of the dword, ORs in
// every bit but bit i%8, and compares with 0xFF.
DATA qkBitShuf<>+0(SB)/8, $0x0000000000000000
DATA qkBitShuf<>+8(SB)/8, $0x0101010101010101
DATA qkBitShuf<>+16(SB)/8, $0x0202020202020202
DATA qkBitShuf<>+24(SB)/8, $0x0303030303030303
GLOBL qkBitShuf<>(SB), RODATA|NOPTR, $32
DATA qkBitMask<>+0(SB)/8, $0x7fbfdfeff7fbfdfe
GLOBL qkBitMask<>(SB), RODATA|NOPTR, $8

#define Q8_0_BLOCK(wo, xo, ACC) \
	QK_SCALE32(wo, xo) \
	VMOVDQU wo+2(SI), Y4 \
	QK_SIGNED_DOT(xo+2(DI), ACC)

// func dotQ8_0AVX2(w, x *byte, nb int) float32
TEXT ·dotQ8_0AVX2(SB), NOSPLIT, $0-28
	QK_PROLOGUE
	QK_LOOP(Q8_0_BLOCK, 34, 34)
	QK_EPILOGUE

// func dotQ8_0PfAVX2(w, x *byte, nb int) float32
// dotQ8_0AVX2 with a software prefetch of the weights (same bits).
TEXT ·dotQ8_0PfAVX2(SB), NOSPLIT, $0-28
	QK_PROLOGUE
	QK_LOOP_PF(Q8_0_BLOCK, 34, 34)
	QK_EPILOGUE

// Q4_1 against q8_1: d_w·d_x·sum(nibble·x) + m·s; the m·s terms are summed
// in X12 lane 0.
#define Q4_1_BLOCK(wo, xo, ACC) \
	VCVTPH2PS    wo(SI), X2 \
	VCVTPH2PS    xo(DI), X3 \
	VMULPS       X3, X2, X2 \
	VMOVSHDUP    X2, X3 \
	VADDSS       X3, X12, X12 \
	VBROADCASTSS X2, Y2 \
	QK_NIBBLES(wo+4(SI)) \
	QK_UNSIGNED_DOT(xo+4(DI), Y2, ACC)

// func dotQ4_1AVX2(w, x *byte, nb int) float32
TEXT ·dotQ4_1AVX2(SB), NOSPLIT, $0-28
	QK_PROLOGUE
	VXORPS X12, X12, X12
	QK_LOOP(Q4_1_BLOCK, 20, 36)
	VADDPS  Y1, Y0, Y0
	HSUM_Y0
	VADDSS  X12, X0, X0
	VMOVSS  X0, ret+24(FP)
	VZEROUPPER
	RET

// QK_FIFTH_BITS leaves in Y8 0xFF in byte i where bit i of the dword at
// addr is set, else 0 (Y11 = qkBitShuf, Y10 = qkBitMask, Y9 = all ones).
#define QK_FIFTH_BITS(addr) \
	VPBROADCASTD addr, Y8 \
	VPSHUFB      Y11, Y8, Y8 \
	VPOR         Y10, Y8, Y8 \
	VPCMPEQB     Y9, Y8, Y8

#define QK_Q5_CONSTS \
	VMOVDQU      qkBitShuf<>(SB), Y11 \
	VPBROADCASTQ qkBitMask<>(SB), Y10 \
	VPCMPEQB     Y9, Y9, Y9

// Q5_0: (nibble | bit<<4) - 16 is nibble | 0xF0 where the bit is clear and
// the nibble where it is set (as int8); Y12 = 0xF0 bytes.
#define Q5_0_BLOCK(wo, xo, ACC) \
	QK_SCALE32(wo, xo) \
	QK_FIFTH_BITS(wo+2(SI)) \
	VPANDN Y12, Y8, Y8 \
	QK_NIBBLES(wo+6(SI)) \
	VPOR   Y8, Y4, Y4 \
	QK_SIGNED_DOT(xo+2(DI), ACC)

// func dotQ5_0AVX2(w, x *byte, nb int) float32
TEXT ·dotQ5_0AVX2(SB), NOSPLIT, $0-28
	QK_PROLOGUE
	QK_Q5_CONSTS
	VPBROADCASTD qkHigh4<>(SB), Y12
	QK_LOOP(Q5_0_BLOCK, 22, 34)
	QK_EPILOGUE

// Q5_1: nibble | (bit ? 0x10 : 0), unsigned; Y12 = 0x10 bytes; m·s in X13.
#define Q5_1_BLOCK(wo, xo, ACC) \
	VCVTPH2PS    wo(SI), X2 \
	VCVTPH2PS    xo(DI), X3 \
	VMULPS       X3, X2, X2 \
	VMOVSHDUP    X2, X3 \
	VADDSS       X3, X13, X13 \
	VBROADCASTSS X2, Y2 \
	QK_FIFTH_BITS(wo+4(SI)) \
	VPAND        Y12, Y8, Y8 \
	QK_NIBBLES(wo+8(SI)) \
	VPOR         Y8, Y4, Y4 \
	QK_UNSIGNED_DOT(xo+4(DI), Y2, ACC)

// func dotQ5_1AVX2(w, x *byte, nb int) float32
TEXT ·dotQ5_1AVX2(SB), NOSPLIT, $0-28
	QK_PROLOGUE
	QK_Q5_CONSTS
	VPBROADCASTD qkBit4<>(SB), Y12
	VXORPS       X13, X13, X13
	QK_LOOP(Q5_1_BLOCK, 24, 36)
	VADDPS  Y1, Y0, Y0
	HSUM_Y0
	VADDSS  X13, X0, X0
	VMOVSS  X0, ret+24(FP)
	VZEROUPPER
	RET

// Two activation vectors per pass (RowsQ2): each weight block is loaded and
// unpacked once for both. Every x2 kernel computes each of its two results
// with exactly the operations, in the same order, of the one-vector kernel
// of its type, so RowsQ2 gives RowsQ's bits. R13 = the second activation
// vector; results go to *y0 and *y1.

// Q8_0: accumulators Y0/Y1 (x0, alternate blocks) and Y8/Y9 (x1), as
// QK_LOOP uses Y0/Y1.
#define Q8_0_BLOCK2(wo, xo, ACC0, ACC1) \
	VCVTPH2PS    wo(SI), X2 \
	VCVTPH2PS    xo(DI), X3 \
	VCVTPH2PS    xo(R13), X7 \
	VMULSS       X3, X2, X3 \
	VMULSS       X7, X2, X7 \
	VBROADCASTSS X3, Y3 \
	VBROADCASTSS X7, Y7 \
	VMOVDQU      wo+2(SI), Y4 \
	VPSIGNB      Y4, Y4, Y6 \
	VMOVDQU      xo+2(DI), Y5 \
	VPSIGNB      Y4, Y5, Y5 \
	VPMADDUBSW   Y5, Y6, Y5 \
	VPMADDWD     Y15, Y5, Y5 \
	VCVTDQ2PS    Y5, Y5 \
	VFMADD231PS  Y5, Y3, ACC0 \
	VMOVDQU      xo+2(R13), Y5 \
	VPSIGNB      Y4, Y5, Y5 \
	VPMADDUBSW   Y5, Y6, Y5 \
	VPMADDWD     Y15, Y5, Y5 \
	VCVTDQ2PS    Y5, Y5 \
	VFMADD231PS  Y5, Y7, ACC1

// func dotQ8_0x2AVX2(w, x0, x1 *byte, nb int, y0, y1 *float32)
TEXT ·dotQ8_0x2AVX2(SB), NOSPLIT, $0-48
	QK_PROLOGUE2
	VPXOR        Y8, Y8, Y8
	VPXOR        Y9, Y9, Y9
	VPBROADCASTD qkOnes16<>(SB), Y15
	CMPQ         CX, $2
	JLT          tail

pair:
	Q8_0_BLOCK2(0, 0, Y0, Y8)
	Q8_0_BLOCK2(34, 34, Y1, Y9)
	ADDQ $68, SI
	ADDQ $68, DI
	ADDQ $68, R13
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  pair

tail:
	TESTQ CX, CX
	JZ    done
	Q8_0_BLOCK2(0, 0, Y0, Y8)

done:
	VADDPS      Y1, Y0, Y0
	QK_STORE_Y0(y0+32)
	VADDPS      Y9, Y8, Y0
	QK_STORE_Y0(y1+40)
	VZEROUPPER
	RET

// The four-vector kernel (RowsQ4) of Q8_0, each vector computed as its
// one-vector kernel does.

// Q8_0_X4: the block of the vector at XP (dw in X2, |w| in Y5, w in Y4).
#define Q8_0_X4(XP, xo, ACC) \
	VCVTPH2PS    xo(XP), X3 \
	VMULSS       X2, X3, X3 \
	VBROADCASTSS X3, Y3 \
	VMOVDQU      xo+2(XP), Y6 \
	VPSIGNB      Y4, Y6, Y6 \
	VPMADDUBSW   Y6, Y5, Y6 \
	VPMADDWD     Y15, Y6, Y6 \
	VCVTDQ2PS    Y6, Y6 \
	VFMADD231PS  Y6, Y3, ACC

#define Q8_0_BLOCK4(wo, xo, A0, A1, A2, A3) \
	VCVTPH2PS wo(SI), X2 \
	VMOVDQU   wo+2(SI), Y4 \
	VPSIGNB   Y4, Y4, Y5 \
	Q8_0_X4(DI, xo, A0) \
	Q8_0_X4(R13, xo, A1) \
	Q8_0_X4(BX, xo, A2) \
	Q8_0_X4(DX, xo, A3)

// func dotQ8_0x4AVX2(w, x0, x1, x2, x3 *byte, nb int, y *[4]float32)
// Vector v alternates its blocks between two accumulators as QK_LOOP does:
// (Y0, Y1), (Y8, Y9), (Y10, Y11), (Y12, Y13).
TEXT ·dotQ8_0x4AVX2(SB), NOSPLIT, $0-56
	QK_PROLOGUE4
	VPBROADCASTD qkOnes16<>(SB), Y15
	QK_ZERO_ACC8
	CMPQ         CX, $2
	JLT          tail

pair:
	Q8_0_BLOCK4(0, 0, Y0, Y8, Y10, Y12)
	Q8_0_BLOCK4(34, 34, Y1, Y9, Y11, Y13)
	QK_ADVANCE4(68, 68)
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  pair

tail:
	TESTQ CX, CX
	JZ    done
	Q8_0_BLOCK4(0, 0, Y0, Y8, Y10, Y12)

done:
	VADDPS Y1, Y0, Y0
	VADDPS Y9, Y8, Y8
	VADDPS Y11, Y10, Y10
	VADDPS Y13, Y12, Y12
	QK_STORE4(Y8, Y10, Y12)
