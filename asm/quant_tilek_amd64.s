//go:build !purego

#include "textflag.h"
#include "quant_amd64.h"
#include "quant_tile_amd64.h"

// The Q4_K prefill tile (quant_tile_k.go): eight Q4_K rows packed against
// four q8_K activation vectors. Packed super-block (tileK4Bytes = 2592):
//
//	@0         d of rows 0..7 (f16)         @16   dmin of rows 0..7 (f16)
//	@32+32j    sub-block j's scale of rows 0..7, each as two equal int16
//	@288+32j   sub-block j's min, the same way
//	@544+256j+32k  values 4k..4k+3 of sub-block j (32 values) of rows 0..7,
//	               one unsigned byte (0..15) each
//
// Per sub-block the VPMADDUBSW of the values (unsigned) with the vector's
// four values broadcast (signed) gives int16 pairs of at most 2·15·127;
// eight chunks add in int16 (at most 30480), and one VPMADDWD with the
// scale pairs gives each row's sc_j·Σq·x in its int32 lane. The mins take
// one VPMADDWD per sub-block with the vector's two bsums of it. Then per
// vector: sum += float32(S)·(d·d_x) - float32(M)·(dmin·d_x), each step
// rounded to float32: dotQ4_KGeneric's arithmetic, so its bits.

// TK_CHUNK_FIRST / TK_CHUNK: chunk k of a sub-block (values at wo(SI), the
// vectors' at xo(·)), written to or added to the int16 sums Y8..Y11.
#define TK_VEC_FIRST(XP, xo, S) \
	VPBROADCASTD xo(XP), S \
	VPMADDUBSW   S, Y12, S

#define TK_VEC(XP, xo, S) \
	VPBROADCASTD xo(XP), Y13 \
	VPMADDUBSW   Y13, Y12, Y13 \
	VPADDW       Y13, S, S

#define TK_CHUNK_FIRST(wo, xo) \
	VMOVDQU wo(SI), Y12 \
	TK_VEC_FIRST(DI, xo, Y8) \
	TK_VEC_FIRST(R8, xo, Y9) \
	TK_VEC_FIRST(R9, xo, Y10) \
	TK_VEC_FIRST(R10, xo, Y11)

#define TK_CHUNK(wo, xo) \
	VMOVDQU wo(SI), Y12 \
	TK_VEC(DI, xo, Y8) \
	TK_VEC(R8, xo, Y9) \
	TK_VEC(R9, xo, Y10) \
	TK_VEC(R10, xo, Y11)

// TK_SUB(j, ...): sub-block j into the int32 sums Y4..Y7 (FIRST: written).
#define TK_SUB_VALUES(j) \
	TK_CHUNK_FIRST(544+256*j, 4+32*j) \
	TK_CHUNK(544+256*j+32, 4+32*j+4) \
	TK_CHUNK(544+256*j+64, 4+32*j+8) \
	TK_CHUNK(544+256*j+96, 4+32*j+12) \
	TK_CHUNK(544+256*j+128, 4+32*j+16) \
	TK_CHUNK(544+256*j+160, 4+32*j+20) \
	TK_CHUNK(544+256*j+192, 4+32*j+24) \
	TK_CHUNK(544+256*j+224, 4+32*j+28) \
	VMOVDQU 32+32*j(SI), Y12

#define TK_SUB_FIRST(j) \
	TK_SUB_VALUES(j) \
	VPMADDWD Y12, Y8, Y4 \
	VPMADDWD Y12, Y9, Y5 \
	VPMADDWD Y12, Y10, Y6 \
	VPMADDWD Y12, Y11, Y7

// TK_SCALE_ADD: Y4..Y7 += the int16 sums Y8..Y11 times the scale pairs Y12.
#define TK_SCALE_ADD \
	VPMADDWD Y12, Y8, Y8 \
	VPMADDWD Y12, Y9, Y9 \
	VPMADDWD Y12, Y10, Y10 \
	VPMADDWD Y12, Y11, Y11 \
	VPADDD   Y8, Y4, Y4 \
	VPADDD   Y9, Y5, Y5 \
	VPADDD   Y10, Y6, Y6 \
	VPADDD   Y11, Y7, Y7

#define TK_SUB(j) \
	TK_SUB_VALUES(j) \
	TK_SCALE_ADD

// TK_MIN(j, XP, M): M += the rows' min_j · (bsum 2j + bsum 2j+1) of the
// vector at XP.
#define TK_MIN(j, XP, M) \
	VPBROADCASTD 260+4*j(XP), Y13 \
	VPMADDWD     288+32*j(SI), Y13, Y13 \
	VPADDD       Y13, M, M

// TK_FINISH(XP, S, ACC): ACC += float32(S)·(d·d_x) - float32(M)·(dmin·d_x)
// for the vector at XP; Y14 = d, Y15 = dmin of the eight rows; Y8, Y12 and
// Y13 scratch.
#define TK_FINISH(XP, S, ACC) \
	VPBROADCASTD 260(XP), Y13 \
	VPMADDWD     288(SI), Y13, Y8 \
	TK_MIN(1, XP, Y8) \
	TK_MIN(2, XP, Y8) \
	TK_MIN(3, XP, Y8) \
	TK_MIN(4, XP, Y8) \
	TK_MIN(5, XP, Y8) \
	TK_MIN(6, XP, Y8) \
	TK_MIN(7, XP, Y8) \
	VBROADCASTSS 0(XP), Y12 \
	VMULPS       Y12, Y14, Y13 \
	VCVTDQ2PS    S, S \
	VMULPS       Y13, S, S \
	VMULPS       Y12, Y15, Y13 \
	VCVTDQ2PS    Y8, Y8 \
	VMULPS       Y13, Y8, Y8 \
	VSUBPS       Y8, S, S \
	VADDPS       S, ACC, ACC

// func tileQ4_Kx8x4AVX2(tile *byte, nb int, x0, x1, x2, x3 *byte, y *[32]float32)
// y[8v+r] = row r of the packed tile · x_v over nb >= 1 super-blocks.
TEXT ·tileQ4_Kx8x4AVX2(SB), NOSPLIT, $0-56
	TILE_MUL_PROLOGUE

kblock:
	TK_SUB_FIRST(0)
	TK_SUB(1)
	TK_SUB(2)
	TK_SUB(3)
	TK_SUB(4)
	TK_SUB(5)
	TK_SUB(6)
	TK_SUB(7)
	VCVTPH2PS 0(SI), Y14
	VCVTPH2PS 16(SI), Y15
	TK_FINISH(DI, Y4, Y0)
	TK_FINISH(R8, Y5, Y1)
	TK_FINISH(R9, Y6, Y2)
	TK_FINISH(R10, Y7, Y3)
	TILE_MUL_STEP(2592, 292, kblock)

	TILE_MUL_STORE

// TK_LOAD8(off, SHIFT): Y0..Y7 = the 32 quant bytes at off of rows 0..7 (SI:
// rows 0-3, R8: rows 4-7, BX stride, DX 3·stride), shifted right by SHIFT
// bits per 16-bit word and masked to their low nibbles.
#define TK_NIBBLES(src, YR, SHIFT) \
	VMOVDQU src, YR \
	VPSRLW  $SHIFT, YR, YR \
	VPAND   Y15, YR, YR

#define TK_LOAD8(off, SHIFT) \
	VPBROADCASTD qkLow4<>(SB), Y15 \
	TK_NIBBLES(off(SI), Y0, SHIFT) \
	TK_NIBBLES(off(SI)(BX*1), Y1, SHIFT) \
	TK_NIBBLES(off(SI)(BX*2), Y2, SHIFT) \
	TK_NIBBLES(off(SI)(DX*1), Y3, SHIFT) \
	TK_NIBBLES(off(R8), Y4, SHIFT) \
	TK_NIBBLES(off(R8)(BX*1), Y5, SHIFT) \
	TK_NIBBLES(off(R8)(BX*2), Y6, SHIFT) \
	TK_NIBBLES(off(R8)(DX*1), Y7, SHIFT)

// TK_STORE_SUB(j) stores rows Y0..Y7 as the values of sub-block j
// (@544+256j of the packed super-block at DI).
#define TK_STORE_SUB(j) \
	LEAQ 544+256*j(DI), R9 \
	TILE_TRANSPOSE_STORE(R9)

// func packQ4_Kx8ValuesAVX2(dst, w *byte, rowBytes, nb int)
// Writes the values part (@544) of nb >= 1 packed super-blocks of the eight
// Q4_K rows at w (stride rowBytes); quant_tile_k.go writes the scales.
// Sub-block 2c is the low nibbles of qs[32c:32c+32], 2c+1 the high ones.
TEXT ·packQ4_Kx8ValuesAVX2(SB), NOSPLIT, $0-32
	TILE_PACK_PROLOGUE

kpblock:
	TK_LOAD8(16, 0)
	TK_STORE_SUB(0)
	TK_LOAD8(16, 4)
	TK_STORE_SUB(1)
	TK_LOAD8(48, 0)
	TK_STORE_SUB(2)
	TK_LOAD8(48, 4)
	TK_STORE_SUB(3)
	TK_LOAD8(80, 0)
	TK_STORE_SUB(4)
	TK_LOAD8(80, 4)
	TK_STORE_SUB(5)
	TK_LOAD8(112, 0)
	TK_STORE_SUB(6)
	TK_LOAD8(112, 4)
	TK_STORE_SUB(7)
	ADDQ $144, SI
	ADDQ $144, R8
	ADDQ $2592, DI
	DECQ CX
	JNZ  kpblock
	VZEROUPPER
	RET

// Q5_K tiles have the Q4_K layout with values 0..31, whose VPMADDUBSW pairs
// reach 2·31·127: four chunks still add in int16 (31496), eight would not,
// so each sub-block is two halves of four chunks, each scaled on its own.
// Same arithmetic (dotQ5_KGeneric's), same bits.

// TK5_HALF(j, h): chunks 4h..4h+3 of sub-block j into Y8..Y11, the scale
// pairs of sub-block j in Y12.
#define TK5_HALF(j, h) \
	TK_CHUNK_FIRST(544+256*j+128*h, 4+32*j+16*h) \
	TK_CHUNK(544+256*j+128*h+32, 4+32*j+16*h+4) \
	TK_CHUNK(544+256*j+128*h+64, 4+32*j+16*h+8) \
	TK_CHUNK(544+256*j+128*h+96, 4+32*j+16*h+12) \
	VMOVDQU 32+32*j(SI), Y12

#define TK5_SUB(j) \
	TK5_HALF(j, 0) \
	TK_SCALE_ADD \
	TK5_HALF(j, 1) \
	TK_SCALE_ADD

// func tileQ5_Kx8x4AVX2(tile *byte, nb int, x0, x1, x2, x3 *byte, y *[32]float32)
// y[8v+r] = row r of the packed Q5_K tile · x_v over nb >= 1 super-blocks.
TEXT ·tileQ5_Kx8x4AVX2(SB), NOSPLIT, $0-56
	TILE_MUL_PROLOGUE

k5block:
	TK5_HALF(0, 0)
	VPMADDWD Y12, Y8, Y4
	VPMADDWD Y12, Y9, Y5
	VPMADDWD Y12, Y10, Y6
	VPMADDWD Y12, Y11, Y7
	TK5_HALF(0, 1)
	TK_SCALE_ADD
	TK5_SUB(1)
	TK5_SUB(2)
	TK5_SUB(3)
	TK5_SUB(4)
	TK5_SUB(5)
	TK5_SUB(6)
	TK5_SUB(7)
	VCVTPH2PS 0(SI), Y14
	VCVTPH2PS 16(SI), Y15
	TK_FINISH(DI, Y4, Y0)
	TK_FINISH(R8, Y5, Y1)
	TK_FINISH(R9, Y6, Y2)
	TK_FINISH(R10, Y7, Y3)
	TILE_MUL_STEP(2592, 292, k5block)

	TILE_MUL_STORE

// TK5_VALUES(src, qh, YR, SHIFT, HOP, HS): YR = the 32 values of one row's
// sub-block: the nibbles of the bytes at src (shifted right by SHIFT), each
// ORed with its fifth bit, bit j of the qh byte at qh, moved to bit 4 by
// HOP $HS (VPSLLW by 4-j, or VPSRLW by j-4) and masked. Y15 = 0x0F bytes,
// Y14 = 0x10 bytes, Y13 scratch.
#define TK5_VALUES(src, qh, YR, SHIFT, HOP, HS) \
	VMOVDQU src, YR \
	VPSRLW  $SHIFT, YR, YR \
	VPAND   Y15, YR, YR \
	VMOVDQU qh, Y13 \
	HOP     $HS, Y13, Y13 \
	VPAND   Y14, Y13, Y13 \
	VPOR    Y13, YR, YR

// TK5_LOAD8(off, SHIFT, HOP, HS): Y0..Y7 = one sub-block of rows 0..7, its
// nibbles from the 32 bytes at off of each row (TK_LOAD8's registers).
#define TK5_LOAD8(off, SHIFT, HOP, HS) \
	VPBROADCASTD qkLow4<>(SB), Y15 \
	VPBROADCASTD qkBit4<>(SB), Y14 \
	TK5_VALUES(off(SI), 16(SI), Y0, SHIFT, HOP, HS) \
	TK5_VALUES(off(SI)(BX*1), 16(SI)(BX*1), Y1, SHIFT, HOP, HS) \
	TK5_VALUES(off(SI)(BX*2), 16(SI)(BX*2), Y2, SHIFT, HOP, HS) \
	TK5_VALUES(off(SI)(DX*1), 16(SI)(DX*1), Y3, SHIFT, HOP, HS) \
	TK5_VALUES(off(R8), 16(R8), Y4, SHIFT, HOP, HS) \
	TK5_VALUES(off(R8)(BX*1), 16(R8)(BX*1), Y5, SHIFT, HOP, HS) \
	TK5_VALUES(off(R8)(BX*2), 16(R8)(BX*2), Y6, SHIFT, HOP, HS) \
	TK5_VALUES(off(R8)(DX*1), 16(R8)(DX*1), Y7, SHIFT, HOP, HS)

// func packQ5_Kx8ValuesAVX2(dst, w *byte, rowBytes, nb int)
// packQ4_Kx8ValuesAVX2 for Q5_K rows (qh @16, qs @48): sub-block j's
// values are qs's nibbles with bit j of qh as their fifth bit.
TEXT ·packQ5_Kx8ValuesAVX2(SB), NOSPLIT, $0-32
	TILE_PACK_PROLOGUE

k5pblock:
	TK5_LOAD8(48, 0, VPSLLW, 4)
	TK_STORE_SUB(0)
	TK5_LOAD8(48, 4, VPSLLW, 3)
	TK_STORE_SUB(1)
	TK5_LOAD8(80, 0, VPSLLW, 2)
	TK_STORE_SUB(2)
	TK5_LOAD8(80, 4, VPSLLW, 1)
	TK_STORE_SUB(3)
	TK5_LOAD8(112, 0, VPSRLW, 0)
	TK_STORE_SUB(4)
	TK5_LOAD8(112, 4, VPSRLW, 1)
	TK_STORE_SUB(5)
	TK5_LOAD8(144, 0, VPSRLW, 2)
	TK_STORE_SUB(6)
	TK5_LOAD8(144, 4, VPSRLW, 3)
	TK_STORE_SUB(7)
	ADDQ $176, SI
	ADDQ $176, R8
	ADDQ $2592, DI
	DECQ CX
	JNZ  k5pblock
	VZEROUPPER
	RET
