//go:build !purego

#include "textflag.h"
#include "hsum_amd64.h"

// Block-quantized dot products and activation quantizers for AVX2+FMA+F16C
// (quant.go has the block layouts). Each dot function computes one weight
// row against one quantized activation vector, nb >= 0 blocks.
//
// Within a block the integer products are summed exactly: VPMADDUBSW
// multiplies unsigned weight bytes by signed activation bytes and adds
// pairs to int16 (no saturation: weights are at most 63 and activations
// never -128, or, for the signed formats, the sign of the weight is moved
// onto the activation with VPSIGNB first, as ggml's mul_sum_i8_pairs does),
// VPMADDWD by ones (or by the sub-block scale) widens to int32. The int32
// lanes are converted to float and multiplied by d_w·d_x with one FMA per
// block into float32 accumulators, two of them so consecutive blocks do not
// wait on each other's FMA.
//
// Registers: SI = weight block, DI = activation block, CX = blocks left,
// Y0/Y1 = accumulators, Y15 = int16 ones, Y14 = 0x0F bytes, the rest scratch
// or per-function constants.

DATA qkOnes16<>+0(SB)/4, $0x00010001
GLOBL qkOnes16<>(SB), RODATA|NOPTR, $4
DATA qkLow4<>+0(SB)/4, $0x0f0f0f0f
GLOBL qkLow4<>(SB), RODATA|NOPTR, $4
DATA qkEights<>+0(SB)/4, $0x08080808
GLOBL qkEights<>(SB), RODATA|NOPTR, $4
DATA qkHigh4<>+0(SB)/4, $0xf0f0f0f0
GLOBL qkHigh4<>(SB), RODATA|NOPTR, $4
DATA qkBit4<>+0(SB)/4, $0x10101010
GLOBL qkBit4<>(SB), RODATA|NOPTR, $4
DATA qkBits56<>+0(SB)/4, $0x30303030
GLOBL qkBits56<>(SB), RODATA|NOPTR, $4

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

// qkPairShuf turns a broadcast dword holding int16 scales (s0, s1) into s0
// in every word of the low 128-bit lane and s1 in every word of the high.
DATA qkPairShuf<>+0(SB)/8, $0x0100010001000100
DATA qkPairShuf<>+8(SB)/8, $0x0100010001000100
DATA qkPairShuf<>+16(SB)/8, $0x0302030203020302
DATA qkPairShuf<>+24(SB)/8, $0x0302030203020302
GLOBL qkPairShuf<>(SB), RODATA|NOPTR, $32

#define QK_PROLOGUE \
	MOVQ         w+0(FP), SI \
	MOVQ         x+8(FP), DI \
	MOVQ         nb+16(FP), CX \
	VPXOR        Y0, Y0, Y0 \
	VPXOR        Y1, Y1, Y1 \
	VPBROADCASTD qkOnes16<>(SB), Y15 \
	VPBROADCASTD qkLow4<>(SB), Y14

// The two-vector kernels' prologue and result stores (see RowsQ2 below).
// QK_STORE_Y0 stores the sum of Y0's lanes to the *float32 argument at
// arg(FP).
#define QK_STORE_Y0(arg) \
	MOVQ    arg(FP), DX \
	HSUM_Y0 \
	VMOVSS  X0, (DX)

#define QK_PROLOGUE2 \
	MOVQ         w+0(FP), SI \
	MOVQ         x0+8(FP), DI \
	MOVQ         x1+16(FP), R13 \
	MOVQ         nb+24(FP), CX \
	VPXOR        Y0, Y0, Y0 \
	VPXOR        Y1, Y1, Y1 \
	VPBROADCASTD qkLow4<>(SB), Y14

// QK_LOOP runs BLOCK(wo, xo, ACC) over CX blocks, two per iteration;
// wb and xb are the weight and activation block sizes.
#define QK_LOOP(BLOCK, wb, xb) \
	CMPQ CX, $2 \
	JLT  tail \
pair: \
	BLOCK(0, 0, Y0) \
	BLOCK(wb, xb, Y1) \
	ADDQ $(2*wb), SI \
	ADDQ $(2*xb), DI \
	SUBQ $2, CX \
	CMPQ CX, $2 \
	JGE  pair \
tail: \
	TESTQ CX, CX \
	JZ    done \
	BLOCK(0, 0, Y0) \
done:

#define QK_EPILOGUE \
	VADDPS  Y1, Y0, Y0 \
	HSUM_Y0 \
	VMOVSS  X0, ret+24(FP) \
	VZEROUPPER \
	RET

// QK_SCALE32 leaves d_w·d_x broadcast in Y2 for the 32-value formats (the
// f16 scales lead both blocks; VCVTPH2PS reads 8 bytes, inside the block).
#define QK_SCALE32(wo, xo) \
	VCVTPH2PS    wo(SI), X2 \
	VCVTPH2PS    xo(DI), X3 \
	VMULSS       X3, X2, X2 \
	VBROADCASTSS X2, Y2

// QK_NIBBLES loads the 16 bytes at addr into Y4 as 32 values 0..15: the low
// nibbles in the low lane (values 0..15), the high nibbles in the high lane.
#define QK_NIBBLES(addr) QK_NIBBLES_TMP(addr, X5)

// QK_NIBBLES_TMP is QK_NIBBLES with scratch register T.
#define QK_NIBBLES_TMP(addr, T) \
	VMOVDQU     addr, X4 \
	VPSRLW      $4, X4, T \
	VINSERTI128 $1, T, Y4, Y4 \
	VPAND       Y14, Y4, Y4

// QK_SIGNED_DOT: ACC += Y2 · float(sum of int8 Y4 · int8 at xaddr).
#define QK_SIGNED_DOT(xaddr, ACC) \
	VMOVDQU     xaddr, Y5 \
	VPSIGNB     Y4, Y4, Y6 \
	VPSIGNB     Y4, Y5, Y5 \
	VPMADDUBSW  Y5, Y6, Y6 \
	VPMADDWD    Y15, Y6, Y6 \
	VCVTDQ2PS   Y6, Y6 \
	VFMADD231PS Y6, Y2, ACC

// QK_UNSIGNED_DOT: ACC += SCALE · float(sum of uint8 Y4 · int8 at xaddr).
#define QK_UNSIGNED_DOT(xaddr, SCALE, ACC) \
	VPMADDUBSW  xaddr, Y4, Y6 \
	VPMADDWD    Y15, Y6, Y6 \
	VCVTDQ2PS   Y6, Y6 \
	VFMADD231PS Y6, SCALE, ACC

#define Q8_0_BLOCK(wo, xo, ACC) \
	QK_SCALE32(wo, xo) \
	VMOVDQU wo+2(SI), Y4 \
	QK_SIGNED_DOT(xo+2(DI), ACC)

// func dotQ8_0AVX2(w, x *byte, nb int) float32
TEXT ·dotQ8_0AVX2(SB), NOSPLIT, $0-28
	QK_PROLOGUE
	QK_LOOP(Q8_0_BLOCK, 34, 34)
	QK_EPILOGUE

// func dotQ4_0x4AVX2(w *byte, rowBytes int, x *byte, nb int, y *float32)
// Four rows at once (y[0..3]), so each activation block is loaded, and its
// 8·x correction computed, once for four weight blocks. The nibbles are
// used unsigned: sum((q-8)·x) = sum(q·x) - sum(8·x), both pair sums exact
// in int16, which saves the two VPSIGNBs of the signed form. Rows r are at
// SI + r·BX (R10 = 3·BX); Y13 = 8s, Y0/Y10/Y11/Y12 = the rows'
// accumulators (HSUM_Y0 uses Y1).
#define Q4_0_ROW(addr, daddr, ACC) \
	VCVTPH2PS    daddr, X2 \
	VMULSS       X3, X2, X2 \
	VBROADCASTSS X2, Y2 \
	QK_NIBBLES_TMP(addr, X6) \
	VPMADDUBSW   Y5, Y4, Y4 \
	VPSUBW       Y7, Y4, Y4 \
	VPMADDWD     Y15, Y4, Y4 \
	VCVTDQ2PS    Y4, Y4 \
	VFMADD231PS  Y4, Y2, ACC

TEXT ·dotQ4_0x4AVX2(SB), NOSPLIT, $0-40
	MOVQ         w+0(FP), SI
	MOVQ         rowBytes+8(FP), BX
	MOVQ         x+16(FP), DI
	MOVQ         nb+24(FP), CX
	LEAQ         (BX)(BX*2), R10
	VPXOR        Y0, Y0, Y0
	VPXOR        Y10, Y10, Y10
	VPXOR        Y11, Y11, Y11
	VPXOR        Y12, Y12, Y12
	VPBROADCASTD qkOnes16<>(SB), Y15
	VPBROADCASTD qkLow4<>(SB), Y14
	VPBROADCASTD qkEights<>(SB), Y13

block:
	VMOVDQU    2(DI), Y5
	VPMADDUBSW Y5, Y13, Y7
	VCVTPH2PS  (DI), X3
	Q4_0_ROW(2(SI), (SI), Y0)
	Q4_0_ROW(2(SI)(BX*1), (SI)(BX*1), Y10)
	Q4_0_ROW(2(SI)(BX*2), (SI)(BX*2), Y11)
	Q4_0_ROW(2(SI)(R10*1), (SI)(R10*1), Y12)
	ADDQ       $18, SI
	ADDQ       $34, DI
	DECQ       CX
	JNZ        block

	MOVQ    y+32(FP), DX
	HSUM_Y0
	VMOVSS  X0, (DX)
	VMOVAPS Y10, Y0
	HSUM_Y0
	VMOVSS  X0, 4(DX)
	VMOVAPS Y11, Y0
	HSUM_Y0
	VMOVSS  X0, 8(DX)
	VMOVAPS Y12, Y0
	HSUM_Y0
	VMOVSS  X0, 12(DX)
	VZEROUPPER
	RET

// func dotQ4_0AVX2(w, x *byte, nb int) float32
// One row, exactly as dotQ4_0x4AVX2 computes each of its rows (one
// accumulator, the same operations in the same order), so a row's result
// does not depend on how the rows were grouped: nb >= 1.
TEXT ·dotQ4_0AVX2(SB), NOSPLIT, $0-28
	MOVQ         w+0(FP), SI
	MOVQ         x+8(FP), DI
	MOVQ         nb+16(FP), CX
	VPXOR        Y0, Y0, Y0
	VPBROADCASTD qkOnes16<>(SB), Y15
	VPBROADCASTD qkLow4<>(SB), Y14
	VPBROADCASTD qkEights<>(SB), Y13

block:
	VMOVDQU    2(DI), Y5
	VPMADDUBSW Y5, Y13, Y7
	VCVTPH2PS  (DI), X3
	Q4_0_ROW(2(SI), (SI), Y0)
	ADDQ       $18, SI
	ADDQ       $34, DI
	DECQ       CX
	JNZ        block
	HSUM_Y0
	VMOVSS     X0, ret+24(FP)
	VZEROUPPER
	RET

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

// QK_K4_FINISH_X: for the activation block at (XP): ACC += d·dx·(IA+IB),
// ACCM -= dmin·dx·(mins · pair sums of bsums); Y4..Y7 are scratch.
#define QK_K4_FINISH_X(XP, IA, IB, ACC, ACCM) \
	VPADDD       IB, IA, IA \
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
	VFNMADD231PS Y6, Y5, ACCM

#define QK_K4_FINISH QK_K4_FINISH_X(DI, Y10, Y11, Y0, Y1)

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
	QK_EPILOGUE

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
	QK_EPILOGUE

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
	QK_EPILOGUE

// Activation quantizers. Both round with VCVTPS2DQ under the default MXCSR
// (to nearest, ties to even), as the Go twins do with math.RoundToEven, and
// give the same bytes.

DATA qkAbs<>+0(SB)/4, $0x7fffffff
GLOBL qkAbs<>(SB), RODATA|NOPTR, $4
DATA qk127f<>+0(SB)/4, $0x42fe0000 // 127.0
GLOBL qk127f<>(SB), RODATA|NOPTR, $4
DATA qkMinus127f<>+0(SB)/4, $0xc2fe0000 // -127.0
GLOBL qkMinus127f<>(SB), RODATA|NOPTR, $4
DATA qkOnef<>+0(SB)/4, $0x3f800000 // 1.0
GLOBL qkOnef<>(SB), RODATA|NOPTR, $4
DATA qk127i<>+0(SB)/4, $127
GLOBL qk127i<>(SB), RODATA|NOPTR, $4
DATA qkOnes8<>+0(SB)/4, $0x01010101
GLOBL qkOnes8<>(SB), RODATA|NOPTR, $4

// qkPackPerm puts the dwords of VPACKSSDW+VPACKSSWB's lane-wise output
// back in element order.
DATA qkPackPerm<>+0(SB)/4, $0
DATA qkPackPerm<>+4(SB)/4, $4
DATA qkPackPerm<>+8(SB)/4, $1
DATA qkPackPerm<>+12(SB)/4, $5
DATA qkPackPerm<>+16(SB)/4, $2
DATA qkPackPerm<>+20(SB)/4, $6
DATA qkPackPerm<>+24(SB)/4, $3
DATA qkPackPerm<>+28(SB)/4, $7
GLOBL qkPackPerm<>(SB), RODATA|NOPTR, $32

// QK_HMAX_X: every lane of X(r) becomes the largest of the four (X(s) is
// scratch).
#define QK_HMAX_X(r, s) \
	VPERMILPS $0x4e, r, s \
	VMAXPS    s, r, r \
	VPERMILPS $0xb1, r, s \
	VMAXPS    s, r, r

// QK_PACK32 narrows the int32 vectors Y4..Y7 (32 values in order) to 32
// int8 in Y4, saturating.
#define QK_PACK32 \
	VPACKSSDW Y5, Y4, Y4 \
	VPACKSSDW Y7, Y6, Y6 \
	VPACKSSWB Y6, Y4, Y4 \
	VPERMD    Y4, Y13, Y4

// QK_QUANT32 quantizes nb blocks of 32 values: d = amax/127 stored as f16
// (VCVTPS2PH $0: nearest even), values x·(127/amax) rounded (0 when amax is
// 0) at qsoff in blocks of bstride bytes; SUM stores q8_1's s.
#define QK_QUANT32(qsoff, bstride, SUM) \
	MOVQ         dst+0(FP), DI \
	MOVQ         x+8(FP), SI \
	MOVQ         nb+16(FP), CX \
	VPBROADCASTD qkAbs<>(SB), Y15 \
	VMOVSS       qk127f<>(SB), X14 \
	VMOVDQU      qkPackPerm<>(SB), Y13 \
	TESTQ        CX, CX \
	JZ           done \
block: \
	VMOVUPS      (SI), Y4 \
	VMOVUPS      32(SI), Y5 \
	VMOVUPS      64(SI), Y6 \
	VMOVUPS      96(SI), Y7 \
	VANDPS       Y15, Y4, Y0 \
	VANDPS       Y15, Y5, Y1 \
	VMAXPS       Y1, Y0, Y0 \
	VANDPS       Y15, Y6, Y1 \
	VMAXPS       Y1, Y0, Y0 \
	VANDPS       Y15, Y7, Y1 \
	VMAXPS       Y1, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VMAXPS       X1, X0, X0 \
	QK_HMAX_X(X0, X1) \
	VDIVSS       X14, X0, X3 \
	VCVTPS2PH    $0, X3, X1 \
	VMOVD        X1, AX \
	MOVW         AX, (DI) \
	VXORPS       X2, X2, X2 \
	VUCOMISS     X2, X0 \
	JEQ          scaled \
	VDIVSS       X0, X14, X2 \
scaled: \
	VBROADCASTSS X2, Y2 \
	VMULPS       Y2, Y4, Y4 \
	VMULPS       Y2, Y5, Y5 \
	VMULPS       Y2, Y6, Y6 \
	VMULPS       Y2, Y7, Y7 \
	VCVTPS2DQ    Y4, Y4 \
	VCVTPS2DQ    Y5, Y5 \
	VCVTPS2DQ    Y6, Y6 \
	VCVTPS2DQ    Y7, Y7 \
	SUM \
	QK_PACK32 \
	VMOVDQU      Y4, qsoff(DI) \
	ADDQ         $128, SI \
	ADDQ         $bstride, DI \
	DECQ         CX \
	JNZ          block \
done: \
	VZEROUPPER \
	RET

#define NOSUM

// QK_SUM_S stores s = d·sum(q) (d in X3, the unrounded f32) as f16 at 2(DI).
#define QK_SUM_S \
	VPADDD       Y5, Y4, Y8 \
	VPADDD       Y7, Y6, Y9 \
	VPADDD       Y9, Y8, Y8 \
	VEXTRACTI128 $1, Y8, X9 \
	VPADDD       X9, X8, X8 \
	VPSHUFD      $0x4e, X8, X9 \
	VPADDD       X9, X8, X8 \
	VPSHUFD      $0xb1, X8, X9 \
	VPADDD       X9, X8, X8 \
	VCVTDQ2PS    X8, X8 \
	VMULSS       X3, X8, X8 \
	VCVTPS2PH    $0, X8, X8 \
	VMOVD        X8, AX \
	MOVW         AX, 2(DI)

// func quantQ8_0AVX2(dst *byte, x *float32, nb int)
TEXT ·quantQ8_0AVX2(SB), NOSPLIT, $0-24
	QK_QUANT32(2, 34, NOSUM)

// func quantQ8_1AVX2(dst *byte, x *float32, nb int)
TEXT ·quantQ8_1AVX2(SB), NOSPLIT, $0-24
	QK_QUANT32(4, 36, QK_SUM_S)

// func quantQ8_KAVX2(dst *byte, x *float32, nb int)
// Per 256 values (ggml's quantize_row_q8_K_ref): max = the first value of
// the largest magnitude, iscale = -127/max, values min(127, x·iscale)
// rounded, d = 1/iscale as f32, bsums the sums of each 16 values. An
// all-zero block is stored as zeros.
TEXT ·quantQ8_KAVX2(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         nb+16(FP), CX
	VPBROADCASTD qkAbs<>(SB), Y15
	VMOVDQU      qkPackPerm<>(SB), Y13
	VPBROADCASTD qk127i<>(SB), Y12
	VPBROADCASTD qkOnes8<>(SB), Y11
	VPBROADCASTD qkOnes16<>(SB), Y10
	TESTQ        CX, CX
	JZ           done

block:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ   AX, AX

amax:
	VANDPS (SI)(AX*4), Y15, Y2
	VANDPS 32(SI)(AX*4), Y15, Y3
	VMAXPS Y2, Y0, Y0
	VMAXPS Y3, Y1, Y1
	ADDQ   $16, AX
	CMPQ   AX, $256
	JLT    amax
	VMAXPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	QK_HMAX_X(X0, X1)
	VXORPS       X1, X1, X1
	VUCOMISS     X1, X0
	JEQ          zeroblock
	VBROADCASTSS X0, Y0
	XORQ         AX, AX

find:
	VANDPS    (SI)(AX*4), Y15, Y2
	VCMPPS    $0, Y0, Y2, Y2
	VMOVMSKPS Y2, BX
	TESTL     BX, BX
	JNZ       found
	ADDQ      $8, AX
	JMP       find

found:
	BSFL         BX, BX
	ADDQ         AX, BX
	VMOVSS       (SI)(BX*4), X1
	VMOVSS       qkMinus127f<>(SB), X2
	VDIVSS       X1, X2, X2
	VMOVSS       qkOnef<>(SB), X3
	VDIVSS       X2, X3, X3
	VMOVSS       X3, (DI)
	VBROADCASTSS X2, Y2
	XORQ         AX, AX

quant:
	VMULPS       (SI)(AX*4), Y2, Y4
	VMULPS       32(SI)(AX*4), Y2, Y5
	VMULPS       64(SI)(AX*4), Y2, Y6
	VMULPS       96(SI)(AX*4), Y2, Y7
	VCVTPS2DQ    Y4, Y4
	VCVTPS2DQ    Y5, Y5
	VCVTPS2DQ    Y6, Y6
	VCVTPS2DQ    Y7, Y7
	VPMINSD      Y12, Y4, Y4
	VPMINSD      Y12, Y5, Y5
	VPMINSD      Y12, Y6, Y6
	VPMINSD      Y12, Y7, Y7
	QK_PACK32
	VMOVDQU      Y4, 4(DI)(AX*1)
	VPMADDUBSW   Y4, Y11, Y5
	VPMADDWD     Y10, Y5, Y5
	VPHADDD      Y5, Y5, Y5
	VPHADDD      Y5, Y5, Y5
	MOVQ         AX, DX
	SHRQ         $3, DX
	VMOVD        X5, BX
	MOVW         BX, 260(DI)(DX*1)
	VEXTRACTI128 $1, Y5, X5
	VMOVD        X5, BX
	MOVW         BX, 262(DI)(DX*1)
	ADDQ         $32, AX
	CMPQ         AX, $256
	JLT          quant

next:
	ADDQ $1024, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  block

done:
	VZEROUPPER
	RET

zeroblock:
	VPXOR   Y4, Y4, Y4
	MOVL    $0, (DI)
	VMOVDQU Y4, 4(DI)
	VMOVDQU Y4, 36(DI)
	VMOVDQU Y4, 68(DI)
	VMOVDQU Y4, 100(DI)
	VMOVDQU Y4, 132(DI)
	VMOVDQU Y4, 164(DI)
	VMOVDQU Y4, 196(DI)
	VMOVDQU Y4, 228(DI)
	VMOVDQU Y4, 260(DI)
	JMP     next

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

// func dotQ4_0x2AVX2(w, x0, x1 *byte, nb int, y0, y1 *float32)
// Each vector as Q4_0_ROW: Y0 and Y8 accumulate, nb >= 1.
TEXT ·dotQ4_0x2AVX2(SB), NOSPLIT, $0-48
	QK_PROLOGUE2
	VPXOR        Y8, Y8, Y8
	VPBROADCASTD qkOnes16<>(SB), Y15
	VPBROADCASTD qkEights<>(SB), Y13

block:
	VCVTPH2PS    (SI), X2
	VCVTPH2PS    (DI), X3
	VCVTPH2PS    (R13), X9
	VMULSS       X3, X2, X3
	VMULSS       X9, X2, X9
	VBROADCASTSS X3, Y3
	VBROADCASTSS X9, Y9
	QK_NIBBLES_TMP(2(SI), X6)
	VMOVDQU      2(DI), Y5
	VPMADDUBSW   Y5, Y13, Y7
	VPMADDUBSW   Y5, Y4, Y5
	VPSUBW       Y7, Y5, Y5
	VPMADDWD     Y15, Y5, Y5
	VCVTDQ2PS    Y5, Y5
	VFMADD231PS  Y5, Y3, Y0
	VMOVDQU      2(R13), Y5
	VPMADDUBSW   Y5, Y13, Y7
	VPMADDUBSW   Y5, Y4, Y5
	VPSUBW       Y7, Y5, Y5
	VPMADDWD     Y15, Y5, Y5
	VCVTDQ2PS    Y5, Y5
	VFMADD231PS  Y5, Y9, Y8
	ADDQ         $18, SI
	ADDQ         $34, DI
	ADDQ         $34, R13
	DECQ         CX
	JNZ          block
	QK_STORE_Y0(y0+32)
	VMOVAPS      Y8, Y0
	QK_STORE_Y0(y1+40)
	VZEROUPPER
	RET

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
// x0 accumulates in Y0 (scale terms) and Y1 (min terms), x1 in Y2/Y3.
TEXT ·dotQ4_Kx2AVX2(SB), NOSPLIT, $32-48
	QK_PROLOGUE2
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3

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
	QK_K4_FINISH_X(DI, Y10, Y11, Y0, Y1)
	QK_K4_FINISH_X(R13, Y12, Y13, Y2, Y3)
	ADDQ    $144, SI
	ADDQ    $292, DI
	ADDQ    $292, R13
	DECQ    CX
	JNZ     block
	VADDPS      Y1, Y0, Y0
	QK_STORE_Y0(y0+32)
	VADDPS      Y3, Y2, Y0
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
// x0 accumulates in Y0, x1 in Y15; the one-vector kernel's epilogue adds a
// zero Y1, so this one does too.
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
	VPXOR        Y1, Y1, Y1
	VADDPS       Y1, Y0, Y0
	QK_STORE_Y0(y0+32)
	VPXOR        Y1, Y1, Y1
	VADDPS       Y1, Y15, Y0
	QK_STORE_Y0(y1+40)
	VZEROUPPER
	RET
