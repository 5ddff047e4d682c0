//go:build !purego

#include "textflag.h"
#include "hsum_amd64.h"
#include "quant_amd64.h"
#include "quantk_amd64.h"

// Block-quantized dot products for AVX2, the K types (Q4_K, Q5_K, Q6_K:
// 256-value super-blocks against q8_K activations), one activation vector;
// the scheme is quant_amd64.s's, the shared macros are in quantk_amd64.h.

// Q4_K_LOOP computes the blocks of dotQ4_KAVX2; PF(SI) runs at the start
// of each block (nothing, or the prefetch of the weights 1 KiB ahead).
#define Q4_K_LOOP(PF) \
	TESTQ CX, CX \
	JZ    done \
block: \
	PF \
	QK_K4_SCALES \
	VPXOR   Y10, Y10, Y10 \
	VPXOR   Y11, Y11, Y11 \
	VMOVDQU 16(SI), Y4 \
	QK_K4_CHUNK(0, NOHIGH) \
	VMOVDQU 48(SI), Y4 \
	QK_K4_CHUNK(1, NOHIGH) \
	VMOVDQU 80(SI), Y4 \
	QK_K4_CHUNK(2, NOHIGH) \
	VMOVDQU 112(SI), Y4 \
	QK_K4_CHUNK(3, NOHIGH) \
	QK_K4_FINISH \
	ADDQ    $144, SI \
	ADDQ    $292, DI \
	DECQ    CX \
	JNZ     block \
done:

#define NO_PF

// QK_PF3 / QK_PF4: the cache lines of a 144- or 210-byte block, 1 KiB
// ahead (as QK_LOOP_PF, quant_amd64.h: a Zen 3 core streams one matvec row
// faster with it).
#define QK_PF3 \
	PREFETCHT0 QK_PF_DIST(SI) \
	PREFETCHT0 QK_PF_DIST+64(SI) \
	PREFETCHT0 QK_PF_DIST+128(SI)

#define QK_PF4 \
	QK_PF3 \
	PREFETCHT0 QK_PF_DIST+192(SI)

// func dotQ4_KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ4_KAVX2(SB), NOSPLIT, $32-28
	QK_PROLOGUE
	Q4_K_LOOP(NO_PF)
	QK_EPILOGUE1

// func dotQ4_KPfAVX2(w, x *byte, nb int) float32
// dotQ4_KAVX2 with a software prefetch of the weights (same bits).
TEXT ·dotQ4_KPfAVX2(SB), NOSPLIT, $32-28
	QK_PROLOGUE
	Q4_K_LOOP(QK_PF3)
	QK_EPILOGUE1

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


// Q6_K_LOOP computes the blocks of dotQ6_KAVX2 (PF as Q4_K_LOOP's).
#define Q6_K_LOOP(PF) \
	VMOVDQU      qkPairShuf<>(SB), Y12 \
	VPBROADCASTD qkBits56<>(SB), Y13 \
	TESTQ        CX, CX \
	JZ           done \
block: \
	PF \
	VPMOVSXBW    192(SI), Y6 \
	VMOVDQU      Y6, sc-32(SP) \
	VPMADDWD     260(DI), Y6, Y11 \
	VPSLLD       $5, Y11, Y11 \
	VPXOR        Y10, Y10, Y10 \
	Q6_K_HALF(0, Q6_K_GROUP) \
	Q6_K_HALF(1, Q6_K_GROUP) \
	VPSUBD       Y11, Y10, Y10 \
	VCVTDQ2PS    Y10, Y10 \
	MOVWLZX      208(SI), AX \
	VMOVD        AX, X2 \
	VCVTPH2PS    X2, X2 \
	VMULSS       (DI), X2, X2 \
	VBROADCASTSS X2, Y2 \
	VFMADD231PS  Y10, Y2, Y0 \
	ADDQ         $210, SI \
	ADDQ         $292, DI \
	DECQ         CX \
	JNZ          block \
done:

// func dotQ6_KAVX2(w, x *byte, nb int) float32
// The -32 offset is applied once per block: 32·sum(scale_g·bsum_g).
TEXT ·dotQ6_KAVX2(SB), NOSPLIT, $32-28
	QK_PROLOGUE
	Q6_K_LOOP(NO_PF)
	QK_EPILOGUE1

// func dotQ6_KPfAVX2(w, x *byte, nb int) float32
// dotQ6_KAVX2 with a software prefetch of the weights (same bits).
TEXT ·dotQ6_KPfAVX2(SB), NOSPLIT, $32-28
	QK_PROLOGUE
	Q6_K_LOOP(QK_PF4)
	QK_EPILOGUE1
