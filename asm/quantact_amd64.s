//go:build !purego

#include "textflag.h"
#include "quant_amd64.h"

// Activation quantizers. They round with VCVTPS2DQ under the default MXCSR
// (to nearest, ties to even), as the Go twins do with math.RoundToEven, and
// give the same bytes; a block whose multiplier overflows to infinity
// (amax below about 4e-37) is stored as zeros, as in the twins.

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
DATA qkInf<>+0(SB)/4, $0x7f800000 // +Inf
GLOBL qkInf<>(SB), RODATA|NOPTR, $4
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
	VUCOMISS     qkInf<>(SB), X2 \
	JNE          scaled \
	VXORPS       X2, X2, X2 \
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
	VANDPS       X15, X2, X3
	VUCOMISS     qkInf<>(SB), X3
	JEQ          zeroblock
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

