//go:build !purego

#include "textflag.h"
#include "hsum_amd64.h"
#include "quant_amd64.h"

// Block-quantized dot products for AVX2, the K types (Q4_K, Q5_K, Q6_K:
// 256-value super-blocks against q8_K activations); the scheme is
// quant_amd64.s's.

DATA qkBits56<>+0(SB)/4, $0x30303030
GLOBL qkBits56<>(SB), RODATA|NOPTR, $4
// qkPairShuf turns a broadcast dword holding int16 scales (s0, s1) into s0
// in every word of the low 128-bit lane and s1 in every word of the high.
DATA qkPairShuf<>+0(SB)/8, $0x0100010001000100
DATA qkPairShuf<>+8(SB)/8, $0x0100010001000100
DATA qkPairShuf<>+16(SB)/8, $0x0302030203020302
DATA qkPairShuf<>+24(SB)/8, $0x0302030203020302
GLOBL qkPairShuf<>(SB), RODATA|NOPTR, $32

// K-type super-blocks run one per iteration: the int32 sums of a block's
// sub-blocks collect in Y10/Y11 and meet the float scales once per block.

// QK_K4_SCALES unpacks the 12 scale bytes at SI+4 (ggml's get_scale_min_k4,
// done four sub-blocks at a time on dwords) and stores the eight 6-bit
// scales as int16 at sc-32(SP) and the eight mins as int16 at sc-16(SP).
#define QK_K4_SCALES \
	MOVL       4(SI), R8 \
	MOVL       8(SI), R9 \
	MOVL       12(SI), R10 \
	MOVL       R10, R11 \
	SHRL       $4, R11 \
	ANDL       $0x0f0f0f0f, R11 \
	MOVL       R9, R12 \
	SHRL       $6, R12 \
	ANDL       $0x03030303, R12 \
	SHLL       $4, R12 \
	ORL        R12, R11 \
	ANDL       $0x0f0f0f0f, R10 \
	MOVL       R8, R12 \
	SHRL       $6, R12 \
	ANDL       $0x03030303, R12 \
	SHLL       $4, R12 \
	ORL        R12, R10 \
	ANDL       $0x3f3f3f3f, R8 \
	ANDL       $0x3f3f3f3f, R9 \
	VMOVD      R8, X6 \
	VPINSRD    $1, R10, X6, X6 \
	VPINSRD    $2, R9, X6, X6 \
	VPINSRD    $3, R11, X6, X6 \
	VPMOVZXBW  X6, Y6 \
	VMOVDQU    Y6, sc-32(SP)

#define NOHIGH

// QK_K4_CHUNK: 64 values from the 32 bytes Y4 (nibbles; Y5 = Y4 >> 4 done
// here) with scales sc-32+4c(SP), sc-30+4c(SP); HIGH adds Q5_K's fifth
// bits (NOHIGH for Q4_K).
#define QK_K4_CHUNK(c, HIGH) \
	VPSRLW       $4, Y4, Y5 \
	VPAND        Y14, Y4, Y4 \
	VPAND        Y14, Y5, Y5 \
	HIGH \
	VPMADDUBSW   (4+64*c)(DI), Y4, Y4 \
	VPMADDUBSW   (36+64*c)(DI), Y5, Y5 \
	VPBROADCASTW sc-(32-4*c)(SP), Y6 \
	VPBROADCASTW sc-(30-4*c)(SP), Y7 \
	VPMADDWD     Y6, Y4, Y4 \
	VPMADDWD     Y7, Y5, Y5 \
	VPADDD       Y4, Y10, Y10 \
	VPADDD       Y5, Y11, Y11

// QK_K4_FINISH_1: for the activation block at (XP): ACC += d·dx·IA, then
// ACC -= dmin·dx·(mins · pair sums of bsums); Y4..Y7 are scratch. Every K
// kernel keeps one accumulator per activation vector, so the one-, two- and
// four-vector kernels add the same terms in the same order.
#define QK_K4_FINISH_1(XP, IA, ACC) \
	VCVTDQ2PS    IA, IA \
	VCVTPH2PS    (SI), X4 \
	VBROADCASTSS (XP), X5 \
	VMULPS       X5, X4, X4 \
	VMOVSHDUP    X4, X5 \
	VBROADCASTSS X4, Y4 \
	VBROADCASTSS X5, Y5 \
	VFMADD231PS  IA, Y4, ACC \
	VMOVDQU      260(XP), Y6 \
	VEXTRACTI128 $1, Y6, X7 \
	VPHADDW      X7, X6, X6 \
	VMOVDQU      sc-16(SP), X7 \
	VPMADDWD     X7, X6, X6 \
	VCVTDQ2PS    X6, X6 \
	VFNMADD231PS Y6, Y5, ACC

// QK_K4_FINISH_X: QK_K4_FINISH_1 of the int32 sums IA+IB.
#define QK_K4_FINISH_X(XP, IA, IB, ACC) \
	VPADDD IB, IA, IA \
	QK_K4_FINISH_1(XP, IA, ACC)

#define QK_K4_FINISH QK_K4_FINISH_X(DI, Y10, Y11, Y0)

// func dotQ4_KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ4_KAVX2(SB), NOSPLIT, $32-28
	QK_PROLOGUE
	TESTQ CX, CX
	JZ    done

block:
	QK_K4_SCALES
	VPXOR   Y10, Y10, Y10
	VPXOR   Y11, Y11, Y11
	VMOVDQU 16(SI), Y4
	QK_K4_CHUNK(0, NOHIGH)
	VMOVDQU 48(SI), Y4
	QK_K4_CHUNK(1, NOHIGH)
	VMOVDQU 80(SI), Y4
	QK_K4_CHUNK(2, NOHIGH)
	VMOVDQU 112(SI), Y4
	QK_K4_CHUNK(3, NOHIGH)
	QK_K4_FINISH
	ADDQ    $144, SI
	ADDQ    $292, DI
	DECQ    CX
	JNZ     block

done:
	QK_EPILOGUE1

// Q5_K: the fifth bits of chunk c are bits 2c and 2c+1 of qh[l]; Y13 holds
// qh shifted right by 2c (word shifts: the bits that cross from the
// neighbouring byte land above bit 1 and are masked off).
#define Q5K_HIGH \
	VPSLLW $4, Y13, Y8 \
	VPSLLW $3, Y13, Y9 \
	VPAND  Y12, Y8, Y8 \
	VPAND  Y12, Y9, Y9 \
	VPOR   Y8, Y4, Y4 \
	VPOR   Y9, Y5, Y5 \
	VPSRLW $2, Y13, Y13

// func dotQ5_KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ5_KAVX2(SB), NOSPLIT, $32-28
	QK_PROLOGUE
	VPBROADCASTD qkBit4<>(SB), Y12
	TESTQ        CX, CX
	JZ           done

block:
	QK_K4_SCALES
	VPXOR   Y10, Y10, Y10
	VPXOR   Y11, Y11, Y11
	VMOVDQU 16(SI), Y13
	VMOVDQU 48(SI), Y4
	QK_K4_CHUNK(0, Q5K_HIGH)
	VMOVDQU 80(SI), Y4
	QK_K4_CHUNK(1, Q5K_HIGH)
	VMOVDQU 112(SI), Y4
	QK_K4_CHUNK(2, Q5K_HIGH)
	VMOVDQU 144(SI), Y4
	QK_K4_CHUNK(3, Q5K_HIGH)
	QK_K4_FINISH
	ADDQ    $176, SI
	ADDQ    $292, DI
	DECQ    CX
	JNZ     block

done:
	QK_EPILOGUE1

// Q6_K_GROUP: 32 values (Y4, unsigned 0..63) times 32 activations at
// xo(DI), the low 16 with scale k and the high 16 with scale k+1 (int16 at
// sc-32+2k(SP)).
#define Q6_K_GROUP(xo, k) \
	VPMADDUBSW   xo(DI), Y4, Y4 \
	VPBROADCASTD sc-(32-2*(k))(SP), Y6 \
	VPSHUFB      Y12, Y6, Y6 \
	VPMADDWD     Y6, Y4, Y4 \
	VPADDD       Y4, Y10, Y10

// Q6_K_HALF: 128 values from ql at SI+64h and qh at SI+128+32h. Value
// 32k+l is a nibble of ql[l+32(k&1)] (low for k < 2) with bits 2k, 2k+1 of
// qh[l] at bits 4, 5: (qh<<4, qh<<2, qh, qh>>2) & 0x30 (Y13).
#define Q6_K_HALF(h, GROUP) \
	VMOVDQU (64*h)(SI), Y7 \
	VMOVDQU (64*h+32)(SI), Y8 \
	VMOVDQU (128+32*h)(SI), Y9 \
	VPAND   Y14, Y7, Y4 \
	VPSLLW  $4, Y9, Y5 \
	VPAND   Y13, Y5, Y5 \
	VPOR    Y5, Y4, Y4 \
	GROUP(4+128*h, 8*h) \
	VPAND   Y14, Y8, Y4 \
	VPSLLW  $2, Y9, Y5 \
	VPAND   Y13, Y5, Y5 \
	VPOR    Y5, Y4, Y4 \
	GROUP(36+128*h, 8*h+2) \
	VPSRLW  $4, Y7, Y4 \
	VPAND   Y14, Y4, Y4 \
	VPAND   Y13, Y9, Y5 \
	VPOR    Y5, Y4, Y4 \
	GROUP(68+128*h, 8*h+4) \
	VPSRLW  $4, Y8, Y4 \
	VPAND   Y14, Y4, Y4 \
	VPSRLW  $2, Y9, Y5 \
	VPAND   Y13, Y5, Y5 \
	VPOR    Y5, Y4, Y4 \
	GROUP(100+128*h, 8*h+6)

// func dotQ6_KAVX2(w, x *byte, nb int) float32
// The -32 offset is applied once per block: 32·sum(scale_g·bsum_g).
TEXT ·dotQ6_KAVX2(SB), NOSPLIT, $32-28
	QK_PROLOGUE
	VMOVDQU      qkPairShuf<>(SB), Y12
	VPBROADCASTD qkBits56<>(SB), Y13
	TESTQ        CX, CX
	JZ           done

block:
	VPMOVSXBW    192(SI), Y6
	VMOVDQU      Y6, sc-32(SP)
	VPMADDWD     260(DI), Y6, Y11
	VPSLLD       $5, Y11, Y11
	VPXOR        Y10, Y10, Y10
	Q6_K_HALF(0, Q6_K_GROUP)
	Q6_K_HALF(1, Q6_K_GROUP)
	VPSUBD       Y11, Y10, Y10
	VCVTDQ2PS    Y10, Y10
	MOVWLZX      208(SI), AX
	VMOVD        AX, X2
	VCVTPH2PS    X2, X2
	VMULSS       (DI), X2, X2
	VBROADCASTSS X2, Y2
	VFMADD231PS  Y10, Y2, Y0
	ADDQ         $210, SI
	ADDQ         $292, DI
	DECQ         CX
	JNZ          block

done:
	QK_EPILOGUE1

// The two-vector kernels (RowsQ2) of the K types: see the notes above
// dotQ8_0x2AVX2 in quant_amd64.s.

// QK_K4_CHUNK2: QK_K4_CHUNK for both vectors (int sums Y10/Y11 and
// Y12/Y13).
#define QK_K4_CHUNK2(c) \
	VPSRLW       $4, Y4, Y5 \
	VPAND        Y14, Y4, Y4 \
	VPAND        Y14, Y5, Y5 \
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
	QK_K4_CHUNK2(0)
	VMOVDQU 48(SI), Y4
	QK_K4_CHUNK2(1)
	VMOVDQU 80(SI), Y4
	QK_K4_CHUNK2(2)
	VMOVDQU 112(SI), Y4
	QK_K4_CHUNK2(3)
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

#define QK_K4_CHUNK4(c) \
	VMOVDQU      (16+32*c)(SI), Y4 \
	VPSRLW       $4, Y4, Y5 \
	VPAND        Y14, Y4, Y4 \
	VPAND        Y14, Y5, Y5 \
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
	QK_K4_CHUNK4(0)
	QK_K4_CHUNK4(1)
	QK_K4_CHUNK4(2)
	QK_K4_CHUNK4(3)
	QK_K4_FINISH_1(DI, Y10, Y0)
	QK_K4_FINISH_1(R13, Y11, Y2)
	QK_K4_FINISH_1(BX, Y12, Y3)
	QK_K4_FINISH_1(DX, Y13, Y9)
	QK_ADVANCE4(144, 292)
	DECQ  CX
	JNZ   block
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
