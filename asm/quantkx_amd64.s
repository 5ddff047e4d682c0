//go:build !purego

#include "textflag.h"
#include "hsum_amd64.h"
#include "quant_amd64.h"
#include "quantk_amd64.h"

// The K types' multi-vector kernels: RowsQ2 (two activation vectors) and
// RowsQ4 (four) read and unpack each weight super-block once for all of
// them; see the notes above dotQ8_0x2AVX2 in quant_amd64.s.

// Q5K_HIGH_1: Q5K_HIGH for the multi-vector kernels, with qh rolling in
// Y1, the 0x10 bytes in Y15 and one scratch register S.
#define Q5K_HIGH_1(S) \
	VPSLLW $4, Y1, S \
	VPAND  Y15, S, S \
	VPOR   S, Y4, Y4 \
	VPSLLW $3, Y1, S \
	VPAND  Y15, S, S \
	VPOR   S, Y5, Y5 \
	VPSRLW $2, Y1, Y1

#define Q5K_HIGH_Y6 Q5K_HIGH_1(Y6)
#define Q5K_HIGH_Y8 Q5K_HIGH_1(Y8)

// QK_K4_CHUNK2: QK_K4_CHUNK for both vectors (int sums Y10/Y11 and
// Y12/Y13) of the 32 quant bytes in Y4.
#define QK_K4_CHUNK2(c, HIGH) \
	VPSRLW       $4, Y4, Y5 \
	VPAND        Y14, Y4, Y4 \
	VPAND        Y14, Y5, Y5 \
	HIGH \
	VPBROADCASTW sc-(32-4*c)(SP), Y6 \
	VPBROADCASTW sc-(30-4*c)(SP), Y7 \
	VPMADDUBSW   (4+64*c)(DI), Y4, Y8 \
	VPMADDWD     Y6, Y8, Y8 \
	VPADDD       Y8, Y10, Y10 \
	VPMADDUBSW   (36+64*c)(DI), Y5, Y9 \
	VPMADDWD     Y7, Y9, Y9 \
	VPADDD       Y9, Y11, Y11 \
	VPMADDUBSW   (4+64*c)(R13), Y4, Y8 \
	VPMADDWD     Y6, Y8, Y8 \
	VPADDD       Y8, Y12, Y12 \
	VPMADDUBSW   (36+64*c)(R13), Y5, Y9 \
	VPMADDWD     Y7, Y9, Y9 \
	VPADDD       Y9, Y13, Y13

// func dotQ4_Kx2AVX2(w, x0, x1 *byte, nb int, y0, y1 *float32)
// x0 accumulates in Y0, x1 in Y2.
TEXT ·dotQ4_Kx2AVX2(SB), NOSPLIT, $32-48
	QK_PROLOGUE2
	VPXOR Y2, Y2, Y2

block:
	QK_K4_SCALES
	VPXOR   Y10, Y10, Y10
	VPXOR   Y11, Y11, Y11
	VPXOR   Y12, Y12, Y12
	VPXOR   Y13, Y13, Y13
	VMOVDQU 16(SI), Y4
	QK_K4_CHUNK2(0, NOHIGH)
	VMOVDQU 48(SI), Y4
	QK_K4_CHUNK2(1, NOHIGH)
	VMOVDQU 80(SI), Y4
	QK_K4_CHUNK2(2, NOHIGH)
	VMOVDQU 112(SI), Y4
	QK_K4_CHUNK2(3, NOHIGH)
	QK_K4_FINISH_X(DI, Y10, Y11, Y0)
	QK_K4_FINISH_X(R13, Y12, Y13, Y2)
	ADDQ    $144, SI
	ADDQ    $292, DI
	ADDQ    $292, R13
	DECQ    CX
	JNZ     block
	QK_STORE_Y0(y0+32)
	VMOVAPS     Y2, Y0
	QK_STORE_Y0(y1+40)
	VZEROUPPER
	RET

// func dotQ5_Kx2AVX2(w, x0, x1 *byte, nb int, y0, y1 *float32)
// dotQ4_Kx2AVX2 with the fifth bits (qh in Y1, 0x10 bytes in Y15).
TEXT ·dotQ5_Kx2AVX2(SB), NOSPLIT, $32-48
	QK_PROLOGUE2
	VPXOR        Y2, Y2, Y2
	VPBROADCASTD qkBit4<>(SB), Y15

block:
	QK_K4_SCALES
	VPXOR   Y10, Y10, Y10
	VPXOR   Y11, Y11, Y11
	VPXOR   Y12, Y12, Y12
	VPXOR   Y13, Y13, Y13
	VMOVDQU 16(SI), Y1
	VMOVDQU 48(SI), Y4
	QK_K4_CHUNK2(0, Q5K_HIGH_Y6)
	VMOVDQU 80(SI), Y4
	QK_K4_CHUNK2(1, Q5K_HIGH_Y6)
	VMOVDQU 112(SI), Y4
	QK_K4_CHUNK2(2, Q5K_HIGH_Y6)
	VMOVDQU 144(SI), Y4
	QK_K4_CHUNK2(3, Q5K_HIGH_Y6)
	QK_K4_FINISH_X(DI, Y10, Y11, Y0)
	QK_K4_FINISH_X(R13, Y12, Y13, Y2)
	ADDQ    $176, SI
	ADDQ    $292, DI
	ADDQ    $292, R13
	DECQ    CX
	JNZ     block
	QK_STORE_Y0(y0+32)
	VMOVAPS Y2, Y0
	QK_STORE_Y0(y1+40)
	VZEROUPPER
	RET

// Q6_K_GROUP2: Q6_K_GROUP for both vectors (int sums Y10 and Y11; Y4, the
// values, is kept for the second).
#define Q6_K_GROUP2(xo, k) \
	VPBROADCASTD sc-(32-2*(k))(SP), Y6 \
	VPSHUFB      Y12, Y6, Y6 \
	VPMADDUBSW   xo(DI), Y4, Y5 \
	VPMADDWD     Y6, Y5, Y5 \
	VPADDD       Y5, Y10, Y10 \
	VPMADDUBSW   xo(R13), Y4, Y1 \
	VPMADDWD     Y6, Y1, Y1 \
	VPADDD       Y1, Y11, Y11

// func dotQ6_Kx2AVX2(w, x0, x1 *byte, nb int, y0, y1 *float32)
// x0 accumulates in Y0, x1 in Y15.
TEXT ·dotQ6_Kx2AVX2(SB), NOSPLIT, $32-48
	QK_PROLOGUE2
	VPXOR        Y15, Y15, Y15
	VMOVDQU      qkPairShuf<>(SB), Y12
	VPBROADCASTD qkBits56<>(SB), Y13

block:
	VPMOVSXBW    192(SI), Y6
	VMOVDQU      Y6, sc-32(SP)
	VPXOR        Y10, Y10, Y10
	VPXOR        Y11, Y11, Y11
	Q6_K_HALF(0, Q6_K_GROUP2)
	Q6_K_HALF(1, Q6_K_GROUP2)
	VPMOVSXBW    192(SI), Y6
	VPMADDWD     260(DI), Y6, Y4
	VPSLLD       $5, Y4, Y4
	VPSUBD       Y4, Y10, Y10
	VPMADDWD     260(R13), Y6, Y5
	VPSLLD       $5, Y5, Y5
	VPSUBD       Y5, Y11, Y11
	VCVTDQ2PS    Y10, Y10
	VCVTDQ2PS    Y11, Y11
	MOVWLZX      208(SI), AX
	VMOVD        AX, X2
	VCVTPH2PS    X2, X2
	VMULSS       (DI), X2, X3
	VBROADCASTSS X3, Y3
	VFMADD231PS  Y10, Y3, Y0
	VMULSS       (R13), X2, X3
	VBROADCASTSS X3, Y3
	VFMADD231PS  Y11, Y3, Y15
	ADDQ         $210, SI
	ADDQ         $292, DI
	ADDQ         $292, R13
	DECQ         CX
	JNZ          block
	QK_STORE_Y0(y0+32)
	VMOVAPS      Y15, Y0
	QK_STORE_Y0(y1+40)
	VZEROUPPER
	RET



// The four-vector kernels (RowsQ4) of the K types: one accumulator and one
// int32 sum per vector, each computed as the one-vector kernel does.

// QK_K4_PROD: the int32 sums of chunk c for the vector at XP into IACC
// (nibbles in Y4/Y5, scales in Y6/Y7).
#define QK_K4_PROD(XP, IACC, c) \
	VPMADDUBSW (4+64*c)(XP), Y4, Y8 \
	VPMADDWD   Y6, Y8, Y8 \
	VPADDD     Y8, IACC, IACC \
	VPMADDUBSW (36+64*c)(XP), Y5, Y8 \
	VPMADDWD   Y7, Y8, Y8 \
	VPADDD     Y8, IACC, IACC

// QK_K4_CHUNK4: chunk c of the quants at qsoff(SI) for four vectors.
#define QK_K4_CHUNK4(c, qsoff, HIGH) \
	VMOVDQU      (qsoff+32*c)(SI), Y4 \
	VPSRLW       $4, Y4, Y5 \
	VPAND        Y14, Y4, Y4 \
	VPAND        Y14, Y5, Y5 \
	HIGH \
	VPBROADCASTW sc-(32-4*c)(SP), Y6 \
	VPBROADCASTW sc-(30-4*c)(SP), Y7 \
	QK_K4_PROD(DI, Y10, c) \
	QK_K4_PROD(R13, Y11, c) \
	QK_K4_PROD(BX, Y12, c) \
	QK_K4_PROD(DX, Y13, c)

// func dotQ4_Kx4AVX2(w, x0, x1, x2, x3 *byte, nb int, y *[4]float32)
// Accumulators Y0, Y2, Y3, Y9; int32 sums Y10..Y13.
TEXT ·dotQ4_Kx4AVX2(SB), NOSPLIT, $32-56
	QK_PROLOGUE4
	VPXOR Y0, Y0, Y0
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y9, Y9, Y9

block:
	QK_K4_SCALES
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	VPXOR Y12, Y12, Y12
	VPXOR Y13, Y13, Y13
	QK_K4_CHUNK4(0, 16, NOHIGH)
	QK_K4_CHUNK4(1, 16, NOHIGH)
	QK_K4_CHUNK4(2, 16, NOHIGH)
	QK_K4_CHUNK4(3, 16, NOHIGH)
	QK_K4_FINISH_1(DI, Y10, Y0)
	QK_K4_FINISH_1(R13, Y11, Y2)
	QK_K4_FINISH_1(BX, Y12, Y3)
	QK_K4_FINISH_1(DX, Y13, Y9)
	QK_ADVANCE4(144, 292)
	DECQ  CX
	JNZ   block
	QK_STORE4(Y2, Y3, Y9)

// func dotQ5_Kx4AVX2(w, x0, x1, x2, x3 *byte, nb int, y *[4]float32)
// dotQ4_Kx4AVX2 with the fifth bits (qh in Y1, 0x10 bytes in Y15).
TEXT ·dotQ5_Kx4AVX2(SB), NOSPLIT, $32-56
	QK_PROLOGUE4
	VPBROADCASTD qkBit4<>(SB), Y15
	VPXOR        Y0, Y0, Y0
	VPXOR        Y2, Y2, Y2
	VPXOR        Y3, Y3, Y3
	VPXOR        Y9, Y9, Y9

block:
	QK_K4_SCALES
	VPXOR   Y10, Y10, Y10
	VPXOR   Y11, Y11, Y11
	VPXOR   Y12, Y12, Y12
	VPXOR   Y13, Y13, Y13
	VMOVDQU 16(SI), Y1
	QK_K4_CHUNK4(0, 48, Q5K_HIGH_Y8)
	QK_K4_CHUNK4(1, 48, Q5K_HIGH_Y8)
	QK_K4_CHUNK4(2, 48, Q5K_HIGH_Y8)
	QK_K4_CHUNK4(3, 48, Q5K_HIGH_Y8)
	QK_K4_FINISH_1(DI, Y10, Y0)
	QK_K4_FINISH_1(R13, Y11, Y2)
	QK_K4_FINISH_1(BX, Y12, Y3)
	QK_K4_FINISH_1(DX, Y13, Y9)
	QK_ADVANCE4(176, 292)
	DECQ    CX
	JNZ     block
	QK_STORE4(Y2, Y3, Y9)

// Q6_K_PROD: group products of the values Y4 (scales Y6) for the vector at
// XP into IACC.
#define Q6_K_PROD(XP, xo, IACC) \
	VPMADDUBSW xo(XP), Y4, Y7 \
	VPMADDWD   Y6, Y7, Y7 \
	VPADDD     Y7, IACC, IACC

#define Q6_K_GROUP4(xo, k) \
	VPBROADCASTD sc-(32-2*(k))(SP), Y6 \
	VPSHUFB      Y12, Y6, Y6 \
	Q6_K_PROD(DI, xo, Y8) \
	Q6_K_PROD(R13, xo, Y9) \
	Q6_K_PROD(BX, xo, Y10) \
	Q6_K_PROD(DX, xo, Y11)

// Q6_K_HALF4: Q6_K_HALF with ql and qh re-read from L1 for each group
// (the registers that held them serve the four vectors' sums).
#define Q6_K_HALF4(h) \
	VPAND   (64*h)(SI), Y14, Y4 \
	VMOVDQU (128+32*h)(SI), Y5 \
	VPSLLW  $4, Y5, Y5 \
	VPAND   Y13, Y5, Y5 \
	VPOR    Y5, Y4, Y4 \
	Q6_K_GROUP4(4+128*h, 8*h) \
	VPAND   (64*h+32)(SI), Y14, Y4 \
	VMOVDQU (128+32*h)(SI), Y5 \
	VPSLLW  $2, Y5, Y5 \
	VPAND   Y13, Y5, Y5 \
	VPOR    Y5, Y4, Y4 \
	Q6_K_GROUP4(36+128*h, 8*h+2) \
	VMOVDQU (64*h)(SI), Y4 \
	VPSRLW  $4, Y4, Y4 \
	VPAND   Y14, Y4, Y4 \
	VPAND   (128+32*h)(SI), Y13, Y5 \
	VPOR    Y5, Y4, Y4 \
	Q6_K_GROUP4(68+128*h, 8*h+4) \
	VMOVDQU (64*h+32)(SI), Y4 \
	VPSRLW  $4, Y4, Y4 \
	VPAND   Y14, Y4, Y4 \
	VMOVDQU (128+32*h)(SI), Y5 \
	VPSRLW  $2, Y5, Y5 \
	VPAND   Y13, Y5, Y5 \
	VPOR    Y5, Y4, Y4 \
	Q6_K_GROUP4(100+128*h, 8*h+6)

// Q6_K_FIN4: the -32 offset, then ACC += d·dx·sum for the vector at XP
// (scales Y7, d_w in X4).
#define Q6_K_FIN4(XP, IACC, ACC) \
	VPMADDWD     260(XP), Y7, Y5 \
	VPSLLD       $5, Y5, Y5 \
	VPSUBD       Y5, IACC, IACC \
	VCVTDQ2PS    IACC, IACC \
	VMULSS       (XP), X4, X5 \
	VBROADCASTSS X5, Y5 \
	VFMADD231PS  IACC, Y5, ACC

// func dotQ6_Kx4AVX2(w, x0, x1, x2, x3 *byte, nb int, y *[4]float32)
// Accumulators Y0, Y2, Y3, Y15; int32 sums Y8..Y11.
TEXT ·dotQ6_Kx4AVX2(SB), NOSPLIT, $32-56
	QK_PROLOGUE4
	VMOVDQU      qkPairShuf<>(SB), Y12
	VPBROADCASTD qkBits56<>(SB), Y13
	VPXOR        Y0, Y0, Y0
	VPXOR        Y2, Y2, Y2
	VPXOR        Y3, Y3, Y3
	VPXOR        Y15, Y15, Y15

block:
	VPMOVSXBW 192(SI), Y6
	VMOVDQU   Y6, sc-32(SP)
	VPXOR     Y8, Y8, Y8
	VPXOR     Y9, Y9, Y9
	VPXOR     Y10, Y10, Y10
	VPXOR     Y11, Y11, Y11
	Q6_K_HALF4(0)
	Q6_K_HALF4(1)
	VPMOVSXBW 192(SI), Y7
	MOVWLZX   208(SI), AX
	VMOVD     AX, X4
	VCVTPH2PS X4, X4
	Q6_K_FIN4(DI, Y8, Y0)
	Q6_K_FIN4(R13, Y9, Y2)
	Q6_K_FIN4(BX, Y10, Y3)
	Q6_K_FIN4(DX, Y11, Y15)
	QK_ADVANCE4(210, 292)
	DECQ      CX
	JNZ       block
	QK_STORE4(Y2, Y3, Y15)

