//go:build !purego

#include "textflag.h"

// Conversions, element-wise kernels and reductions for arm64 NEON.
//
// Every function has the same loop structure: n is a multiple of 4 (the Go
// wrapper handles the rest), R2 counts 16-element blocks and R3 the
// remaining elements; the block loop works on four 4-lane vectors, the tail
// loop on one. Stores use post-increment, so in-place calls (dst == a) are
// fine: each block is fully loaded before it is stored.
//
// Instructions Go's assembler lacks are WORDs (Arm operand order,
// destination first; encodings checked with go tool objdump).

// FADD/FMUL/FMAXNM Vd.4S, Vn.4S, Vm.4S
#define FADD_4S(d, n, m) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))
#define FMUL_4S(d, n, m) WORD $(0x6E20DC00 | (m)<<16 | (n)<<5 | (d))
#define FMAXNM_4S(d, n, m) WORD $(0x4E20C400 | (m)<<16 | (n)<<5 | (d))
// FADDP Vd.4S, Vn.4S, Vm.4S (pairwise) and FADDP Sd, Vn.2S (scalar)
#define FADDP_4S(d, n, m) WORD $(0x6E20D400 | (m)<<16 | (n)<<5 | (d))
#define FADDP_S(d, n) WORD $(0x7E30D800 | (n)<<5 | (d))
// FMAXNMV Sd, Vn.4S (largest lane, quiet NaNs ignored)
#define FMAXNMV_S(d, n) WORD $(0x6E30C800 | (n)<<5 | (d))
// FCVTL Vd.4S, Vn.4H / FCVTL2 Vd.4S, Vn.8H: widen low / high four halves
#define FCVTL(d, n) WORD $(0x0E217800 | (n)<<5 | (d))
#define FCVTL2(d, n) WORD $(0x4E217800 | (n)<<5 | (d))
// FCVTN Vd.4H, Vn.4S / FCVTN2 Vd.8H, Vn.4S: narrow into low / high half of
// Vd, rounding per FPCR (round to nearest even in Go programs)
#define FCVTN(d, n) WORD $(0x0E216800 | (n)<<5 | (d))
#define FCVTN2(d, n) WORD $(0x4E216800 | (n)<<5 | (d))

// BLOCKS splits n (in R3) into 16-element blocks (R2) and the rest (R3).
#define BLOCKS \
	LSR $4, R3, R2 \
	AND $15, R3, R3

// func f16ToF32NEON(dst *float32, src *uint16, n int)
// R0 = dst, R1 = src. Block: V0,V1 (.8H) -> FCVTL/FCVTL2 -> V4..V7 -> dst.
TEXT ·f16ToF32NEON(SB), NOSPLIT|NOFRAME, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R3
	BLOCKS
	CBZ  R2, f16tail

f16loop16:
	VLD1.P 32(R1), [V0.H8, V1.H8]
	FCVTL(4, 0)
	FCVTL2(5, 0)
	FCVTL(6, 1)
	FCVTL2(7, 1)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	SUBS   $1, R2, R2
	BNE    f16loop16

f16tail:
	CBZ R3, f16done

f16loop4:
	VLD1.P 8(R1), [V0.H4]
	FCVTL(4, 0)
	VST1.P [V4.S4], 16(R0)
	SUBS   $4, R3, R3
	BNE    f16loop4

f16done:
	RET

// func bf16ToF32NEON(dst *float32, src *uint16, n int)
// R0 = dst, R1 = src, V31 = 0. ZIP1/ZIP2 with zero put each bf16 in the top
// half of a 32-bit lane: exact, NaN payloads included.
TEXT ·bf16ToF32NEON(SB), NOSPLIT|NOFRAME, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R3
	VEOR V31.B16, V31.B16, V31.B16
	BLOCKS
	CBZ  R2, bf16tail

bf16loop16:
	VLD1.P 32(R1), [V0.H8, V1.H8]
	VZIP1  V0.H8, V31.H8, V4.H8
	VZIP2  V0.H8, V31.H8, V5.H8
	VZIP1  V1.H8, V31.H8, V6.H8
	VZIP2  V1.H8, V31.H8, V7.H8
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	SUBS   $1, R2, R2
	BNE    bf16loop16

bf16tail:
	CBZ R3, bf16done

bf16loop4:
	VLD1.P 8(R1), [V0.H4]
	VZIP1  V0.H8, V31.H8, V4.H8
	VST1.P [V4.S4], 16(R0)
	SUBS   $4, R3, R3
	BNE    bf16loop4

bf16done:
	RET

// func f32ToF16NEON(dst *uint16, src *float32, n int)
// R0 = dst, R1 = src. Block: V0..V3 -> FCVTN/FCVTN2 -> V4,V5 (.8H) -> dst.
TEXT ·f32ToF16NEON(SB), NOSPLIT|NOFRAME, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R3
	BLOCKS
	CBZ  R2, tof16tail

tof16loop16:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	FCVTN(4, 0)
	FCVTN2(4, 1)
	FCVTN(5, 2)
	FCVTN2(5, 3)
	VST1.P [V4.H8, V5.H8], 32(R0)
	SUBS   $1, R2, R2
	BNE    tof16loop16

tof16tail:
	CBZ R3, tof16done

tof16loop4:
	VLD1.P 16(R1), [V0.S4]
	FCVTN(4, 0)
	VST1.P [V4.H4], 8(R0)
	SUBS   $4, R3, R3
	BNE    tof16loop4

tof16done:
	RET

// func axpyNEON(a float32, x, y *float32, n int)
// R0 = x, R1 = y, V30 = a in every lane. Block: x -> V0..V3, y -> V4..V7,
// V4..V7 += a*V0..V3 (fused), stored back to y.
TEXT ·axpyNEON(SB), NOSPLIT|NOFRAME, $0-32
	FMOVS a+0(FP), F30
	VDUP  V30.S[0], V30.S4
	MOVD  x+8(FP), R0
	MOVD  y+16(FP), R1
	MOVD  n+24(FP), R3
	BLOCKS
	CBZ   R2, axpytail

axpyloop16:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1   (R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V0.S4, V30.S4, V4.S4
	VFMLA  V1.S4, V30.S4, V5.S4
	VFMLA  V2.S4, V30.S4, V6.S4
	VFMLA  V3.S4, V30.S4, V7.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R1)
	SUBS   $1, R2, R2
	BNE    axpyloop16

axpytail:
	CBZ R3, axpydone

axpyloop4:
	VLD1.P 16(R0), [V0.S4]
	VLD1   (R1), [V4.S4]
	VFMLA  V0.S4, V30.S4, V4.S4
	VST1.P [V4.S4], 16(R1)
	SUBS   $4, R3, R3
	BNE    axpyloop4

axpydone:
	RET

// func axpyF16NEON(a float32, x *uint16, y *float32, n int)
// As axpyNEON, with x widened from f16: V0,V1 (.8H) -> V8..V11.
TEXT ·axpyF16NEON(SB), NOSPLIT|NOFRAME, $0-32
	FMOVS a+0(FP), F30
	VDUP  V30.S[0], V30.S4
	MOVD  x+8(FP), R0
	MOVD  y+16(FP), R1
	MOVD  n+24(FP), R3
	BLOCKS
	CBZ   R2, axpyh16tail

axpyh16loop16:
	VLD1.P 32(R0), [V0.H8, V1.H8]
	VLD1   (R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	FCVTL(8, 0)
	FCVTL2(9, 0)
	FCVTL(10, 1)
	FCVTL2(11, 1)
	VFMLA  V8.S4, V30.S4, V4.S4
	VFMLA  V9.S4, V30.S4, V5.S4
	VFMLA  V10.S4, V30.S4, V6.S4
	VFMLA  V11.S4, V30.S4, V7.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R1)
	SUBS   $1, R2, R2
	BNE    axpyh16loop16

axpyh16tail:
	CBZ R3, axpyh16done

axpyh16loop4:
	VLD1.P 8(R0), [V0.H4]
	VLD1   (R1), [V4.S4]
	FCVTL(8, 0)
	VFMLA  V8.S4, V30.S4, V4.S4
	VST1.P [V4.S4], 16(R1)
	SUBS   $4, R3, R3
	BNE    axpyh16loop4

axpyh16done:
	RET

// func axpyBF16NEON(a float32, x *uint16, y *float32, n int)
// As axpyF16NEON with x widened from bf16: ZIP1/ZIP2 with the zero
// register V31 put each value in the high half of its f32 lane.
TEXT ·axpyBF16NEON(SB), NOSPLIT|NOFRAME, $0-32
	FMOVS a+0(FP), F30
	VDUP  V30.S[0], V30.S4
	VEOR  V31.B16, V31.B16, V31.B16
	MOVD  x+8(FP), R0
	MOVD  y+16(FP), R1
	MOVD  n+24(FP), R3
	BLOCKS
	CBZ   R2, axpyb16tail

axpyb16loop16:
	VLD1.P 32(R0), [V0.H8, V1.H8]
	VLD1   (R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VZIP1  V0.H8, V31.H8, V8.H8
	VZIP2  V0.H8, V31.H8, V9.H8
	VZIP1  V1.H8, V31.H8, V10.H8
	VZIP2  V1.H8, V31.H8, V11.H8
	VFMLA  V8.S4, V30.S4, V4.S4
	VFMLA  V9.S4, V30.S4, V5.S4
	VFMLA  V10.S4, V30.S4, V6.S4
	VFMLA  V11.S4, V30.S4, V7.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R1)
	SUBS   $1, R2, R2
	BNE    axpyb16loop16

axpyb16tail:
	CBZ R3, axpyb16done

axpyb16loop4:
	VLD1.P 8(R0), [V0.H4]
	VLD1   (R1), [V4.S4]
	VZIP1  V0.H8, V31.H8, V8.H8
	VFMLA  V8.S4, V30.S4, V4.S4
	VST1.P [V4.S4], 16(R1)
	SUBS   $4, R3, R3
	BNE    axpyb16loop4

axpyb16done:
	RET

// func scaleNEON(a float32, x *float32, n int)
// R0 = x (read), R1 = x (write), V30 = a in every lane.
TEXT ·scaleNEON(SB), NOSPLIT|NOFRAME, $0-24
	FMOVS a+0(FP), F30
	VDUP  V30.S[0], V30.S4
	MOVD  x+8(FP), R0
	MOVD  R0, R1
	MOVD  n+16(FP), R3
	BLOCKS
	CBZ   R2, scaletail

scaleloop16:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMUL_4S(0, 0, 30)
	FMUL_4S(1, 1, 30)
	FMUL_4S(2, 2, 30)
	FMUL_4S(3, 3, 30)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R1)
	SUBS   $1, R2, R2
	BNE    scaleloop16

scaletail:
	CBZ R3, scaledone

scaleloop4:
	VLD1.P 16(R0), [V0.S4]
	FMUL_4S(0, 0, 30)
	VST1.P [V0.S4], 16(R1)
	SUBS   $4, R3, R3
	BNE    scaleloop4

scaledone:
	RET

// BINARY(OP, labels...) is the loop of dst[i] = a[i] OP b[i] with R0 = dst,
// R1 = a, R4 = b, R3 = n already loaded: a -> V0..V3, b -> V4..V7, result
// in V0..V3. The labels are parameters because each use needs its own.
#define BINARY(OP, L16, LTAIL, L4, LDONE) \
	BLOCKS \
	CBZ  R2, LTAIL \
L16: \
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4] \
	VLD1.P 64(R4), [V4.S4, V5.S4, V6.S4, V7.S4] \
	OP(0, 0, 4) \
	OP(1, 1, 5) \
	OP(2, 2, 6) \
	OP(3, 3, 7) \
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0) \
	SUBS   $1, R2, R2 \
	BNE    L16 \
LTAIL: \
	CBZ R3, LDONE \
L4: \
	VLD1.P 16(R1), [V0.S4] \
	VLD1.P 16(R4), [V4.S4] \
	OP(0, 0, 4) \
	VST1.P [V0.S4], 16(R0) \
	SUBS   $4, R3, R3 \
	BNE    L4 \
LDONE: \
	RET

// func addNEON(dst, a, b *float32, n int)
TEXT ·addNEON(SB), NOSPLIT|NOFRAME, $0-32
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R4
	MOVD n+24(FP), R3
	BINARY(FADD_4S, addloop16, addtail, addloop4, adddone)

// func mulNEON(dst, a, b *float32, n int)
TEXT ·mulNEON(SB), NOSPLIT|NOFRAME, $0-32
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R4
	MOVD n+24(FP), R3
	BINARY(FMUL_4S, mulloop16, multail, mulloop4, muldone)

// func sumNEON(x *float32, n int) float32
// R0 = x; block: V0..V3 added into accumulators V16..V19; the result is
// reduced like the dot products: ((V16+V17)+(V18+V19)), (l0+l1)+(l2+l3).
TEXT ·sumNEON(SB), NOSPLIT|NOFRAME, $0-20
	MOVD x+0(FP), R0
	MOVD n+8(FP), R3
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	BLOCKS
	CBZ  R2, sumtail

sumloop16:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	FADD_4S(16, 16, 0)
	FADD_4S(17, 17, 1)
	FADD_4S(18, 18, 2)
	FADD_4S(19, 19, 3)
	SUBS   $1, R2, R2
	BNE    sumloop16

sumtail:
	CBZ R3, sumdone

sumloop4:
	VLD1.P 16(R0), [V0.S4]
	FADD_4S(16, 16, 0)
	SUBS   $4, R3, R3
	BNE    sumloop4

sumdone:
	FADD_4S(16, 16, 17)
	FADD_4S(18, 18, 19)
	FADD_4S(16, 16, 18)
	FADDP_4S(16, 16, 16)
	FADDP_S(16, 16)
	FMOVS F16, ret+16(FP)
	RET

// func maxNEON(x *float32, n int) float32
// R0 = x; accumulators V16..V19 start at -Inf and take FMAXNM with each
// block (FMAXNM ignores a quiet NaN, as the generic "v > m" loop does);
// FMAXNMV picks the largest lane at the end. n = 0 returns -Inf.
TEXT ·maxNEON(SB), NOSPLIT|NOFRAME, $0-20
	MOVD x+0(FP), R0
	MOVD n+8(FP), R3
	MOVW $0xFF800000, R4 // -Inf
	VDUP R4, V16.S4
	VDUP R4, V17.S4
	VDUP R4, V18.S4
	VDUP R4, V19.S4
	BLOCKS
	CBZ  R2, maxtail

maxloop16:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMAXNM_4S(16, 16, 0)
	FMAXNM_4S(17, 17, 1)
	FMAXNM_4S(18, 18, 2)
	FMAXNM_4S(19, 19, 3)
	SUBS   $1, R2, R2
	BNE    maxloop16

maxtail:
	CBZ R3, maxdone

maxloop4:
	VLD1.P 16(R0), [V0.S4]
	FMAXNM_4S(16, 16, 0)
	SUBS   $4, R3, R3
	BNE    maxloop4

maxdone:
	FMAXNM_4S(16, 16, 17)
	FMAXNM_4S(18, 18, 19)
	FMAXNM_4S(16, 16, 18)
	FMAXNMV_S(16, 16)
	FMOVS F16, ret+16(FP)
	RET
