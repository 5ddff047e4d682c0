//go:build !purego

#include "textflag.h"
#include "quant_amd64.h"

// The Q4_0 dot products for AVX2+FMA+F16C against q8_0 activations: eight
// weight rows against one vector (decode), one row against one vector (the
// rows left over), and four rows against four vectors (prefill, RowsQ4).
//
// Every kernel computes, for each row and vector, exactly what the generic
// twin does (dotQ4_0Generic): the block's integer sum S = sum((q-8)·x),
// exact in int32, then sum += float32(float32(S)·(d_w·d_x)) block by block,
// a multiply and an add (no FMA), each rounded to float32. So every path
// gives the twin's bits, whichever kernel computed a row.
//
// The integer sum is taken with the nibbles unsigned, sum(q·x) - sum(8·x),
// both from VPMADDUBSW (pairs at most 2·15·127, exact in int16; activations
// are never -128). Where the kernel handles several rows or vectors, their
// partial sums are combined with VPHADDD into lanes that hold one (row,
// vector) each, so one convert, one multiply and one add serve eight
// results.

DATA qkEights<>+0(SB)/4, $0x08080808
GLOBL qkEights<>(SB), RODATA|NOPTR, $4

// Q4_0_PAIR leaves in M the int32 partial sums of two rows' blocks (row a
// in the low lane, row b in the high lane: lane k holds values 4k..4k+3
// and 16+4k..16+4k+3, minus their 8·x). Y13/Y12 = the block's activations
// 0..15 / 16..31 in both lanes, Y11 = their 8·x sums in the same layout,
// Y15 = 0x0F bytes, Y14 = int16 ones; Y3 and Y4 scratch.
#define Q4_0_PAIR(a, b, M) \
	VMOVDQU     a, X3 \
	VINSERTI128 $1, b, Y3, Y3 \
	VPSRLW      $4, Y3, Y4 \
	VPAND       Y15, Y3, Y3 \
	VPAND       Y15, Y4, Y4 \
	VPMADDUBSW  Y13, Y3, Y3 \
	VPMADDUBSW  Y12, Y4, Y4 \
	VPADDW      Y4, Y3, Y3 \
	VPMADDWD    Y14, Y3, Y3 \
	VPSUBD      Y11, Y3, M

// Q4_0_X8_BLOCK: one block of eight rows (SI: rows 0-3, R8: rows 4-7, BX =
// the row stride, R10 = 3·BX) against the activation block at DI, added to
// Y10 = [r0 r2 r4 r6 | r1 r3 r5 r7].
#define Q4_0_X8_BLOCK \
	VBROADCASTI128 2(DI), Y13 \
	VBROADCASTI128 18(DI), Y12 \
	VPMADDUBSW     Y13, Y9, Y11 \
	VPMADDUBSW     Y12, Y9, Y8 \
	VPADDW         Y8, Y11, Y11 \
	VPMADDWD       Y14, Y11, Y11 \
	Q4_0_PAIR(2(SI), 2(SI)(BX*1), Y0) \
	Q4_0_PAIR(2(SI)(BX*2), 2(SI)(R10*1), Y1) \
	VPHADDD        Y1, Y0, Y0 \
	Q4_0_PAIR(2(R8), 2(R8)(BX*1), Y1) \
	Q4_0_PAIR(2(R8)(BX*2), 2(R8)(R10*1), Y2) \
	VPHADDD        Y2, Y1, Y1 \
	VPHADDD        Y1, Y0, Y0 \
	VCVTDQ2PS      Y0, Y0 \
	QK_GATHER4((SI), (SI)(BX*2), (R8), (R8)(BX*2), AX) \
	QK_GATHER4((SI)(BX*1), (SI)(R10*1), (R8)(BX*1), (R8)(R10*1), R11) \
	VMOVQ          AX, X1 \
	VPINSRQ        $1, R11, X1, X1 \
	VCVTPH2PS      X1, Y1 \
	VCVTPH2PS      (DI), X2 \
	VBROADCASTSS   X2, Y2 \
	VMULPS         Y2, Y1, Y1 \
	VMULPS         Y1, Y0, Y0 \
	VADDPS         Y0, Y10, Y10

#define Q4_0_X8_PROLOGUE \
	MOVQ         w+0(FP), SI \
	MOVQ         rowBytes+8(FP), BX \
	MOVQ         x+16(FP), DI \
	MOVQ         nb+24(FP), CX \
	LEAQ         (BX)(BX*2), R10 \
	LEAQ         (SI)(BX*4), R8 \
	LEAQ         (SI)(BX*8), R9 \
	VXORPS       Y10, Y10, Y10 \
	VPBROADCASTD qkLow4<>(SB), Y15 \
	VPBROADCASTD qkOnes16<>(SB), Y14 \
	VPBROADCASTD qkEights<>(SB), Y9

// Q4_0_X8_STORE writes Y10's lanes in row order to y[0..7].
#define Q4_0_X8_STORE \
	MOVQ         y+32(FP), DX \
	VEXTRACTF128 $1, Y10, X1 \
	VUNPCKLPS    X1, X10, X2 \
	VUNPCKHPS    X1, X10, X3 \
	VMOVUPS      X2, (DX) \
	VMOVUPS      X3, 16(DX) \
	VZEROUPPER \
	RET

// Q4_0_X4_ARGS loads the arguments every rows×four-vector kernel shares:
// SI = w, BX = rowBytes, DI/R11/R12/R13 = x0..x3, CX = nb, R10 = 3·rowBytes.
#define Q4_0_X4_ARGS \
	MOVQ w+0(FP), SI \
	MOVQ rowBytes+8(FP), BX \
	MOVQ x0+16(FP), DI \
	MOVQ x1+24(FP), R11 \
	MOVQ x2+32(FP), R12 \
	MOVQ x3+40(FP), R13 \
	MOVQ nb+48(FP), CX \
	LEAQ (BX)(BX*2), R10

// Q4_0_X4_NEXT moves the four activation pointers to their next block.
#define Q4_0_X4_NEXT \
	ADDQ $34, DI \
	ADDQ $34, R11 \
	ADDQ $34, R12 \
	ADDQ $34, R13

// func dotQ4_0x8AVX2(w *byte, rowBytes int, x *byte, nb int, y *float32)
// Eight rows (at w + r·rowBytes) against one vector, nb >= 1.
TEXT ·dotQ4_0x8AVX2(SB), NOSPLIT, $0-40
	Q4_0_X8_PROLOGUE

block:
	Q4_0_X8_BLOCK
	ADDQ $18, SI
	ADDQ $18, R8
	ADDQ $34, DI
	DECQ CX
	JNZ  block
	Q4_0_X8_STORE

// func dotQ4_0x8PfAVX2(w *byte, rowBytes int, x *byte, nb int, y *float32)
// dotQ4_0x8AVX2 with a software prefetch of the next eight rows (R9, one
// group ahead): 144 bytes of them per block, so the group after this one
// is in cache when the loop reaches it. The eight short row streams
// otherwise defeat the hardware prefetcher on some CPUs. Same bits.
TEXT ·dotQ4_0x8PfAVX2(SB), NOSPLIT, $0-40
	Q4_0_X8_PROLOGUE

pfblock:
	PREFETCHT0 (R9)
	PREFETCHT0 64(R9)
	PREFETCHT0 128(R9)
	Q4_0_X8_BLOCK
	ADDQ       $18, SI
	ADDQ       $18, R8
	ADDQ       $144, R9
	ADDQ       $34, DI
	DECQ       CX
	JNZ        pfblock
	Q4_0_X8_STORE

// func dotQ4_0AVX2(w, x *byte, nb int) float32
// One row against one vector, nb >= 1 (the rows that do not fill a group
// of eight): the block sum is reduced to one lane before the float step.
TEXT ·dotQ4_0AVX2(SB), NOSPLIT, $0-28
	MOVQ         w+0(FP), SI
	MOVQ         x+8(FP), DI
	MOVQ         nb+16(FP), CX
	VXORPS       X10, X10, X10
	VPBROADCASTD qkLow4<>(SB), Y15
	VPBROADCASTD qkOnes16<>(SB), Y14
	VPBROADCASTD qkEights<>(SB), Y9

one:
	VMOVDQU      2(SI), X3
	VPSRLW       $4, X3, X4
	VINSERTI128  $1, X4, Y3, Y3
	VPAND        Y15, Y3, Y3
	VMOVDQU      2(DI), Y5
	VPMADDUBSW   Y5, Y3, Y3
	VPMADDUBSW   Y5, Y9, Y6
	VPSUBW       Y6, Y3, Y3
	VPMADDWD     Y14, Y3, Y3
	VEXTRACTI128 $1, Y3, X4
	VPADDD       X4, X3, X3
	VPSHUFD      $0x4e, X3, X4
	VPADDD       X4, X3, X3
	VPSHUFD      $0xb1, X3, X4
	VPADDD       X4, X3, X3
	VCVTDQ2PS    X3, X3
	VCVTPH2PS    (SI), X1
	VCVTPH2PS    (DI), X2
	VMULSS       X2, X1, X1
	VMULSS       X1, X3, X3
	VADDSS       X3, X10, X10
	ADDQ         $18, SI
	ADDQ         $34, DI
	DECQ         CX
	JNZ          one
	VMOVSS       X10, ret+24(FP)
	VZEROUPPER
	RET

// Q4_0_R4X4_ROW leaves in R the int32 partial sums of the row's block at
// addr against the four vectors: [v0 v0 v1 v1 | v2 v2 v3 v3], each pair
// covering the block's 32 values, before the 8·x correction. Y8..Y11 =
// the four vectors' activations 0-7, 8-15, 16-23 and 24-31, interleaved
// (8 bytes of vector v at byte 8v); the weight bytes are broadcast to all
// four vectors. Y0..Y2 scratch (R may be Y0).
#define Q4_0_R4X4_ROW(addr, R) \
	VPBROADCASTQ addr, Y0 \
	VPSRLW       $4, Y0, Y1 \
	VPAND        Y15, Y0, Y0 \
	VPAND        Y15, Y1, Y1 \
	VPMADDUBSW   Y8, Y0, Y0 \
	VPMADDUBSW   Y10, Y1, Y1 \
	VPADDW       Y1, Y0, Y0 \
	VPBROADCASTQ 8+addr, Y1 \
	VPSRLW       $4, Y1, Y2 \
	VPAND        Y15, Y1, Y1 \
	VPAND        Y15, Y2, Y2 \
	VPMADDUBSW   Y9, Y1, Y1 \
	VPMADDUBSW   Y11, Y2, Y2 \
	VPADDW       Y1, Y0, Y0 \
	VPADDW       Y2, Y0, Y0 \
	VPMADDWD     Y14, Y0, R

// Q4_0_R4X4_PAIR adds the block of the two rows at a and b (f16 scales at
// da and db) to ACC = [a·v0 a·v1 b·v0 b·v1 | a·v2 a·v3 b·v2 b·v3]; CSUM =
// the vectors' 8·x sums (a register, or memory where the registers are all
// taken) and Y13 = their d_x in that layout.
#define Q4_0_R4X4_PAIR(a, b, da, db, ACC, CSUM) \
	Q4_0_R4X4_ROW(a, Y3) \
	Q4_0_R4X4_ROW(b, Y0) \
	VPHADDD     Y0, Y3, Y3 \
	VPSUBD      CSUM, Y3, Y3 \
	VCVTDQ2PS   Y3, Y3 \
	MOVWQZX     da, AX \
	MOVWQZX     db, DX \
	SHLQ        $16, DX \
	ORQ         DX, AX \
	VMOVQ       AX, X4 \
	VCVTPH2PS   X4, X4 \
	VUNPCKLPS   X4, X4, X4 \
	VINSERTF128 $1, X4, Y4, Y4 \
	VMULPS      Y13, Y4, Y4 \
	VMULPS      Y4, Y3, Y3 \
	VADDPS      Y3, ACC, ACC

// Q4_0_X4_PREP(CS) prepares the activation block of x0..x3 (DI, R11, R12,
// R13) for the four-vector kernels: Y8 = values 0-7 of x0..x3, Y9 = 8-15,
// Y10 = 16-23, Y11 = 24-31 (interleaved once for all the rows), CS = each
// vector's 8·sum(x) as [c0 c1 c0 c1 | c2 c3 c2 c3], Y13 = the vectors' d_x
// as [d0 d1 d0 d1 | d2 d3 d2 d3]. Y0..Y4 scratch (CS may be Y0).
#define Q4_0_X4_PREP(CS) \
	VMOVDQU      2(DI), Y0 \
	VMOVDQU      2(R11), Y1 \
	VMOVDQU      2(R12), Y2 \
	VMOVDQU      2(R13), Y3 \
	VPUNPCKLQDQ  Y1, Y0, Y4 \
	VPUNPCKHQDQ  Y1, Y0, Y0 \
	VPUNPCKLQDQ  Y3, Y2, Y1 \
	VPUNPCKHQDQ  Y3, Y2, Y2 \
	VPERM2I128   $0x20, Y1, Y4, Y8 \
	VPERM2I128   $0x31, Y1, Y4, Y10 \
	VPERM2I128   $0x20, Y2, Y0, Y9 \
	VPERM2I128   $0x31, Y2, Y0, Y11 \
	VPBROADCASTD qkEights<>(SB), Y2 \
	VPMADDUBSW   Y8, Y2, Y0 \
	VPMADDUBSW   Y9, Y2, Y1 \
	VPADDW       Y1, Y0, Y0 \
	VPMADDUBSW   Y10, Y2, Y1 \
	VPADDW       Y1, Y0, Y0 \
	VPMADDUBSW   Y11, Y2, Y1 \
	VPADDW       Y1, Y0, Y0 \
	VPMADDWD     Y14, Y0, Y0 \
	VPHADDD      Y0, Y0, CS \
	QK_GATHER4((DI), (R11), (R12), (R13), AX) \
	VMOVQ        AX, X13 \
	VCVTPH2PS    X13, X13 \
	VPERMQ       $0x50, Y13, Y13

// func dotQ4_0r4x4AVX2(w *byte, rowBytes int, x0, x1, x2, x3 *byte, nb int, y *[16]float32)
// Four rows against four vectors, nb >= 1. Each activation block is
// interleaved once for the four rows, each weight block unpacked once for
// the four vectors. y[0:8] = rows 0 and 1, y[8:16] = rows 2 and 3, each as
// [a·v0 a·v1 b·v0 b·v1 a·v2 a·v3 b·v2 b·v3] (the Go wrapper scatters them).
TEXT ·dotQ4_0r4x4AVX2(SB), NOSPLIT, $0-64
	Q4_0_X4_ARGS
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7
	VPBROADCASTD qkLow4<>(SB), Y15
	VPBROADCASTD qkOnes16<>(SB), Y14

tile:
	Q4_0_X4_PREP(Y12)

	Q4_0_R4X4_PAIR(2(SI), 2(SI)(BX*1), (SI), (SI)(BX*1), Y6, Y12)
	Q4_0_R4X4_PAIR(2(SI)(BX*2), 2(SI)(R10*1), (SI)(BX*2), (SI)(R10*1), Y7, Y12)
	ADDQ         $18, SI
	Q4_0_X4_NEXT
	DECQ         CX
	JNZ          tile

	MOVQ    y+56(FP), DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// func dotQ4_0r8x4AVX2(w *byte, rowBytes int, x0, x1, x2, x3 *byte, nb int, y *[32]float32)
// dotQ4_0r4x4AVX2 for eight rows (the same operations on the same values
// for each row, so the same bits): the activation preparation, about a
// fifth of the four-row kernel's work, is shared by twice the rows. With
// four accumulators there is no register left for the 8·x sums, which wait
// on the stack. y[0:16] as dotQ4_0r4x4AVX2's y for rows 0-3, y[16:32] the
// same for rows 4-7.
TEXT ·dotQ4_0r8x4AVX2(SB), NOSPLIT, $32-64
	Q4_0_X4_ARGS
	LEAQ         (SI)(BX*4), R8
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7
	VXORPS       Y12, Y12, Y12
	VPBROADCASTD qkLow4<>(SB), Y15
	VPBROADCASTD qkOnes16<>(SB), Y14

tile8:
	Q4_0_X4_PREP(Y0)
	VMOVDQU Y0, 0(SP)
	Q4_0_R4X4_PAIR(2(SI), 2(SI)(BX*1), (SI), (SI)(BX*1), Y6, 0(SP))
	Q4_0_R4X4_PAIR(2(SI)(BX*2), 2(SI)(R10*1), (SI)(BX*2), (SI)(R10*1), Y7, 0(SP))
	Q4_0_R4X4_PAIR(2(R8), 2(R8)(BX*1), (R8), (R8)(BX*1), Y5, 0(SP))
	Q4_0_R4X4_PAIR(2(R8)(BX*2), 2(R8)(R10*1), (R8)(BX*2), (R8)(R10*1), Y12, 0(SP))
	ADDQ         $18, R8
	ADDQ         $18, SI
	Q4_0_X4_NEXT
	DECQ         CX
	JNZ          tile8

	MOVQ    y+56(FP), DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VMOVUPS Y5, 64(DX)
	VMOVUPS Y12, 96(DX)
	VZEROUPPER
	RET
