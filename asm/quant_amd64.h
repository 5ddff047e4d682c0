// Macros and constants shared by the AVX2 block-quantized kernels
// (quant_amd64.s, quantk*_amd64.s, quantact_amd64.s): see quant_amd64.s for
// the scheme. Each including file gets its own copy of the constants.

DATA qkOnes16<>+0(SB)/4, $0x00010001
GLOBL qkOnes16<>(SB), RODATA|NOPTR, $4
DATA qkLow4<>+0(SB)/4, $0x0f0f0f0f
GLOBL qkLow4<>(SB), RODATA|NOPTR, $4
DATA qkBit4<>+0(SB)/4, $0x10101010
GLOBL qkBit4<>(SB), RODATA|NOPTR, $4

#define QK_PROLOGUE \
	MOVQ         w+0(FP), SI \
	MOVQ         x+8(FP), DI \
	MOVQ         nb+16(FP), CX \
	VPXOR        Y0, Y0, Y0 \
	VPXOR        Y1, Y1, Y1 \
	VPBROADCASTD qkOnes16<>(SB), Y15 \
	VPBROADCASTD qkLow4<>(SB), Y14

// The two-vector kernels' prologue and result stores (RowsQ2).
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

// The four-vector kernels' (RowsQ4) prologue: SI = w, DI/R13/BX/DX = the
// four activation vectors, CX = nb; and the store of their four results
// (the first in Y0, then A1..A3) to y[0..3].
#define QK_PROLOGUE4 \
	MOVQ         w+0(FP), SI \
	MOVQ         x0+8(FP), DI \
	MOVQ         x1+16(FP), R13 \
	MOVQ         x2+24(FP), BX \
	MOVQ         x3+32(FP), DX \
	MOVQ         nb+40(FP), CX \
	VPBROADCASTD qkLow4<>(SB), Y14

// QK_STORE4 stores the horizontal sums of Y0, A1, A2, A3 in y[0..3] for a
// kernel whose y argument is at y+48(FP); QK_STORE4_AT takes y's slot.
#define QK_STORE4(A1, A2, A3) QK_STORE4_AT(y+48(FP), A1, A2, A3)

#define QK_STORE4_AT(yarg, A1, A2, A3) \
	MOVQ    yarg, AX \
	HSUM_Y0 \
	VMOVSS  X0, (AX) \
	VMOVAPS A1, Y0 \
	HSUM_Y0 \
	VMOVSS  X0, 4(AX) \
	VMOVAPS A2, Y0 \
	HSUM_Y0 \
	VMOVSS  X0, 8(AX) \
	VMOVAPS A3, Y0 \
	HSUM_Y0 \
	VMOVSS  X0, 12(AX) \
	VZEROUPPER \
	RET

#define QK_ADVANCE4(wb, xb) \
	ADDQ $wb, SI \
	ADDQ $xb, DI \
	ADDQ $xb, R13 \
	ADDQ $xb, BX \
	ADDQ $xb, DX

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

// QK_EPILOGUE1: the same for kernels with the one accumulator Y0.
#define QK_EPILOGUE1 \
	HSUM_Y0 \
	VMOVSS  X0, ret+24(FP) \
	VZEROUPPER \
	RET

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

// QK_PF_DIST is how far ahead of the loads the prefetching (*Pf) kernels
// ask for weight bytes: far enough that the line arrives before the loop
// reaches it at one core's streaming rate, near enough to stay in L1/L2.
#define QK_PF_DIST 1024

// QK_LOOP_PF is QK_LOOP with one software prefetch of the weight stream per
// two-block iteration (at least one per 64-byte line for blocks of 32 or
// more bytes).
#define QK_LOOP_PF(BLOCK, wb, xb) \
	CMPQ CX, $2 \
	JLT  tail \
pair: \
	PREFETCHT0 QK_PF_DIST(SI) \
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

// QK_GATHER4 packs the 16-bit scales at a, b, c, d into R (a in the low
// 16 bits), with integer loads and shifts: the vector unit is the
// bottleneck here, the integer one has room. DX scratch.
#define QK_GATHER4(a, b, c, d, R) \
	MOVWQZX a, R \
	MOVWQZX b, DX \
	SHLQ    $16, DX \
	ORQ     DX, R \
	MOVWQZX c, DX \
	SHLQ    $32, DX \
	ORQ     DX, R \
	MOVWQZX d, DX \
	SHLQ    $48, DX \
	ORQ     DX, R

// QK_ZERO_ACC8 clears the two accumulators of each of four vectors in the
// four-vector Q8_0 kernels: (Y0, Y1), (Y8, Y9), (Y10, Y11), (Y12, Y13).
#define QK_ZERO_ACC8 \
	VPXOR Y0, Y0, Y0 \
	VPXOR Y1, Y1, Y1 \
	VPXOR Y8, Y8, Y8 \
	VPXOR Y9, Y9, Y9 \
	VPXOR Y10, Y10, Y10 \
	VPXOR Y11, Y11, Y11 \
	VPXOR Y12, Y12, Y12 \
	VPXOR Y13, Y13, Y13
