//go:build !purego

#include "textflag.h"
#include "hsum_amd64.h"
#include "quant_amd64.h"

// The prefill form of the Q8_0 four-vector kernel (RowsQ4): one weight row
// against four activation vectors, as dotQ8_0x4AVX2 (quant_amd64.s), with
// the same operations on the same values in the same order, so the same
// bits as the one-vector kernel. What changes is the scale: dotQ8_0x4AVX2
// converts each vector's f16 d_x and multiplies it by d_w once per (row,
// vector, block), three instructions that cost about a third of its time;
// the kernel converts the four vectors' d_x once per call, for all its
// rows, into a table in its frame, and forms the
// four products d_w·d_x of a block with one VMULPS and takes each
// vector's with one in-lane VPERMILPS. The products are the same float32
// multiplications, so the bits do not change.

// Q8_0_S4_VEC: the block of the vector at XP, whose d_w·d_x is lane IMM
// of Y7 (|w| in Y5, w in Y4), added to ACC.
#define Q8_0_S4_VEC(XP, xo, ACC, IMM) \
	VPERMILPS   $IMM, Y7, Y3 \
	VMOVDQU     xo+2(XP), Y6 \
	VPSIGNB     Y4, Y6, Y6 \
	VPMADDUBSW  Y6, Y5, Y6 \
	VPMADDWD    Y15, Y6, Y6 \
	VCVTDQ2PS   Y6, Y6 \
	VFMADD231PS Y6, Y3, ACC

// Q8_0_S4_BLOCK: one block (weights at wo(SI), the vectors' blocks at
// wo(·): both are 34 bytes; their d_x at so(R9)).
#define Q8_0_S4_BLOCK(wo, so, A0, A1, A2, A3) \
	VCVTPH2PS    wo(SI), X2 \
	VBROADCASTSS X2, Y2 \
	VMULPS       so(R9), Y2, Y7 \
	VMOVDQU      wo+2(SI), Y4 \
	VPABSB       Y4, Y5 \
	Q8_0_S4_VEC(DI, wo, A0, 0x00) \
	Q8_0_S4_VEC(R13, wo, A1, 0x55) \
	Q8_0_S4_VEC(BX, wo, A2, 0xaa) \
	Q8_0_S4_VEC(DX, wo, A3, 0xff)

// Q8_0_S4_STORE stores the horizontal sum of ACC (Y0 itself, or copied
// there: HSUM_Y0 works on Y0 with Y1 as scratch) to the *float32 at
// yarg(FP), offset by the row index R10.
#define Q8_0_S4_STORE(ACC, yarg) \
	VMOVAPS ACC, Y0 \
	HSUM_Y0 \
	MOVQ    yarg(FP), AX \
	VMOVSS  X0, (AX)(R10*4)

// func dotQ8_0x4sRowsAVX2(w *byte, rowBytes int, x0, x1, x2, x3 *byte, nb, rows int, y0, y1, y2, y3 *float32)
// y_v[r] = row r of w (rows of rowBytes bytes) · x_v for r < rows, each
// row as dotQ8_0x4AVX2 computes it; 1 <= nb <= q8_0ScaleBlocks, rows >= 1.
// First the four vectors' f16 d_x are widened into a table in the frame,
// 32 bytes per block: [d0 d1 d2 d3 d0 d1 d2 d3] (one copy per 128-bit lane,
// for VPERMILPS), shared by all the rows. The row loop lives here too, so
// one call covers a whole grain of rows: per-call entry, the Go-side zeroing
// of a table and the copy of four results per row would otherwise cost a
// few percent of a kernel this short. Vector v alternates its blocks
// between the accumulators (Y0, Y1), (Y8, Y9), (Y10, Y11), (Y12, Y13) as
// dotQ8_0x4AVX2 does. VPABSB gives the |w| that VPSIGNB w, w gives.
TEXT ·dotQ8_0x4sRowsAVX2(SB), 0, $8192-96
	MOVQ x0+16(FP), DI
	MOVQ x1+24(FP), R13
	MOVQ x2+32(FP), BX
	MOVQ x3+40(FP), R11
	MOVQ nb+48(FP), CX
	LEAQ 0(SP), R9

scale:
	QK_GATHER4((DI), (R13), (BX), (R11), AX)
	VMOVQ       AX, X0
	VCVTPH2PS   X0, X0
	VINSERTF128 $1, X0, Y0, Y0
	VMOVUPS     Y0, (R9)
	ADDQ        $34, DI
	ADDQ        $34, R13
	ADDQ        $34, BX
	ADDQ        $34, R11
	ADDQ        $32, R9
	DECQ        CX
	JNZ         scale

	MOVQ         w+0(FP), R8
	XORQ         R10, R10
	VPBROADCASTD qkOnes16<>(SB), Y15

row:
	MOVQ R8, SI
	MOVQ x0+16(FP), DI
	MOVQ x1+24(FP), R13
	MOVQ x2+32(FP), BX
	MOVQ x3+40(FP), DX
	MOVQ nb+48(FP), CX
	LEAQ 0(SP), R9
	QK_ZERO_ACC8
	CMPQ CX, $2
	JLT  tail

pair:
	Q8_0_S4_BLOCK(0, 0, Y0, Y8, Y10, Y12)
	Q8_0_S4_BLOCK(34, 32, Y1, Y9, Y11, Y13)
	QK_ADVANCE4(68, 68)
	ADDQ $64, R9
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  pair

tail:
	TESTQ CX, CX
	JZ    done
	Q8_0_S4_BLOCK(0, 0, Y0, Y8, Y10, Y12)

done:
	VADDPS Y1, Y0, Y0
	VADDPS Y9, Y8, Y8
	VADDPS Y11, Y10, Y10
	VADDPS Y13, Y12, Y12
	Q8_0_S4_STORE(Y0, y0+64)
	Q8_0_S4_STORE(Y8, y1+72)
	Q8_0_S4_STORE(Y10, y2+80)
	Q8_0_S4_STORE(Y12, y3+88)
	ADDQ rowBytes+8(FP), R8
	INCQ R10
	CMPQ R10, rows+56(FP)
	JLT  row
	VZEROUPPER
	RET
