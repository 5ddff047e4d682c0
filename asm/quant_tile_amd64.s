//go:build !purego

#include "textflag.h"
#include "quant_amd64.h"
#include "quant_tile_amd64.h"

// The Q8_0 prefill tile (quant_tile.go): eight weight rows packed so that
// one 32-byte load holds four values of each row, against four q8_0
// activation vectors.
//
// Packed block b (272 bytes, the eight rows' block b):
//
//	@0        d of rows 0..7 (f16 each)
//	@16+32k   values 4k..4k+3 of rows 0..7 (4 bytes a row), k = 0..7
//
// For each chunk k the kernel broadcasts the vector's four values 4k..4k+3
// to every row's lane (VPBROADCASTD), signs them by the weights and takes
// VPMADDUBSW / VPMADDWD against |w|, so lane r of the int32 result is row
// r's four products: eight chunks add up to each row's exact block sum S
// (|S| <= 32·128·127), one lane per row. Then, per vector, one convert,
// one multiply by d_w·d_x (eight rows at once) and one add, each rounded to
// float32: sum += float32(S)·(d_w·d_x) block by block, exactly the generic
// twin's dotQ8_0Generic. So every row gets the generic twin's bits.

// TILE_K_FIRST / TILE_K: chunk k (weights at wo(SI), the vectors' values
// at xo(·)), written to (first) or added to the int32 sums Y4..Y7.
#define TILE_K_VEC_FIRST(XP, xo, S) \
	VPBROADCASTD xo(XP), S \
	VPSIGNB      Y8, S, S \
	VPMADDUBSW   S, Y9, S \
	VPMADDWD     Y15, S, S

#define TILE_K_VEC(XP, xo, S) \
	VPBROADCASTD xo(XP), Y10 \
	VPSIGNB      Y8, Y10, Y10 \
	VPMADDUBSW   Y10, Y9, Y10 \
	VPMADDWD     Y15, Y10, Y10 \
	VPADDD       Y10, S, S

#define TILE_K_FIRST(wo, xo) \
	VMOVDQU wo(SI), Y8 \
	VPABSB  Y8, Y9 \
	TILE_K_VEC_FIRST(DI, xo, Y4) \
	TILE_K_VEC_FIRST(R8, xo, Y5) \
	TILE_K_VEC_FIRST(R9, xo, Y6) \
	TILE_K_VEC_FIRST(R10, xo, Y7)

#define TILE_K(wo, xo) \
	VMOVDQU wo(SI), Y8 \
	VPABSB  Y8, Y9 \
	TILE_K_VEC(DI, xo, Y4) \
	TILE_K_VEC(R8, xo, Y5) \
	TILE_K_VEC(R9, xo, Y6) \
	TILE_K_VEC(R10, xo, Y7)

// TILE_SCALE: ACC += float32(S)·(d_w·d_x), d_w of the eight rows in Y12,
// d_x the f16 at (XP).
#define TILE_SCALE(XP, S, ACC) \
	VPBROADCASTW (XP), X13 \
	VCVTPH2PS    X13, Y13 \
	VMULPS       Y13, Y12, Y13 \
	VCVTDQ2PS    S, S \
	VMULPS       Y13, S, S \
	VADDPS       S, ACC, ACC

// func tileQ8_0x8x4AVX2(tile *byte, nb int, x0, x1, x2, x3 *byte, y *[32]float32)
// y[8v+r] = row r of the packed tile · x_v over nb >= 1 blocks.
TEXT ·tileQ8_0x8x4AVX2(SB), NOSPLIT, $0-56
	TILE_MUL_PROLOGUE
	VPBROADCASTD qkOnes16<>(SB), Y15

block:
	TILE_K_FIRST(16, 2)
	TILE_K(48, 6)
	TILE_K(80, 10)
	TILE_K(112, 14)
	TILE_K(144, 18)
	TILE_K(176, 22)
	TILE_K(208, 26)
	TILE_K(240, 30)
	VCVTPH2PS (SI), Y12
	TILE_SCALE(DI, Y4, Y0)
	TILE_SCALE(R8, Y5, Y1)
	TILE_SCALE(R9, Y6, Y2)
	TILE_SCALE(R10, Y7, Y3)
	TILE_MUL_STEP(272, 34, block)

	TILE_MUL_STORE

// func packQ8_0x8AVX2(dst, w *byte, rowBytes, nb int)
// Packs blocks 0..nb-1 (nb >= 1) of the eight rows at w (stride rowBytes)
// into dst as the layout above: the 8×8 transpose of the rows' 32-bit
// words, per block.
TEXT ·packQ8_0x8AVX2(SB), NOSPLIT, $0-32
	TILE_PACK_PROLOGUE

pblock:
	TILE_SCALES8

	// Rows r0..r7: eight words each (word k = values 4k..4k+3).
	VMOVDQU 2(SI), Y0
	VMOVDQU 2(SI)(BX*1), Y1
	VMOVDQU 2(SI)(BX*2), Y2
	VMOVDQU 2(SI)(DX*1), Y3
	VMOVDQU 2(R8), Y4
	VMOVDQU 2(R8)(BX*1), Y5
	VMOVDQU 2(R8)(BX*2), Y6
	VMOVDQU 2(R8)(DX*1), Y7

	LEAQ 16(DI), R9
	TILE_TRANSPOSE_STORE(R9)

	ADDQ $34, SI
	ADDQ $34, R8
	ADDQ $272, DI
	DECQ CX
	JNZ  pblock
	VZEROUPPER
	RET

// Q4_0 tiles are packed into the same layout, each nibble q widened to the
// int8 q-8 (in [-8, 7]), so tileQ8_0x8x4AVX2 multiplies them: per block the
// exact sum of (q-8)·x, then the same multiply and add, which is
// dotQ4_0Generic's arithmetic (and the Q4_0 decode kernels').

DATA tileLow4<>+0(SB)/4, $0x0f0f0f0f
GLOBL tileLow4<>(SB), RODATA|NOPTR, $4
DATA tileEights<>+0(SB)/4, $0x08080808
GLOBL tileEights<>(SB), RODATA|NOPTR, $4

// Q4_0_WIDEN loads the 16 bytes of quants at src into YR as the block's 32
// values q-8 (low nibbles first), with Y14 = 0x0F bytes, Y15 = 8s and YT
// scratch.
#define Q4_0_WIDEN(src, YR, XR, YT, XT) \
	VMOVDQU     src, XR \
	VPSRLW      $4, XR, XT \
	VINSERTI128 $1, XT, YR, YR \
	VPAND       Y14, YR, YR \
	VPSUBB      Y15, YR, YR

// func packQ4_0x8AVX2(dst, w *byte, rowBytes, nb int)
// Packs blocks 0..nb-1 (nb >= 1) of the eight Q4_0 rows at w (stride
// rowBytes) into dst in the Q8_0 tile layout.
TEXT ·packQ4_0x8AVX2(SB), NOSPLIT, $0-32
	TILE_PACK_PROLOGUE

q4block:
	TILE_SCALES8

	VPBROADCASTD tileLow4<>(SB), Y14
	VPBROADCASTD tileEights<>(SB), Y15
	Q4_0_WIDEN(2(SI), Y0, X0, Y8, X8)
	Q4_0_WIDEN(2(SI)(BX*1), Y1, X1, Y8, X8)
	Q4_0_WIDEN(2(SI)(BX*2), Y2, X2, Y8, X8)
	Q4_0_WIDEN(2(SI)(DX*1), Y3, X3, Y8, X8)
	Q4_0_WIDEN(2(R8), Y4, X4, Y8, X8)
	Q4_0_WIDEN(2(R8)(BX*1), Y5, X5, Y8, X8)
	Q4_0_WIDEN(2(R8)(BX*2), Y6, X6, Y8, X8)
	Q4_0_WIDEN(2(R8)(DX*1), Y7, X7, Y8, X8)
	LEAQ 16(DI), R9
	TILE_TRANSPOSE_STORE(R9)

	ADDQ $18, SI
	ADDQ $18, R8
	ADDQ $272, DI
	DECQ CX
	JNZ  q4block
	VZEROUPPER
	RET
