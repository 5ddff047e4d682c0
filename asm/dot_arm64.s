//go:build !purego

#include "textflag.h"

// Single-row dot products for arm64 NEON: f32·f32, f16·f32 and bf16·f32.
//
// Common shape: n is a multiple of 4 (the Go wrapper adds the last n%4
// products). The main loop takes 16 elements per iteration into four
// independent 4-lane accumulators V16..V19 so consecutive FMLAs do not wait
// on each other; a 4-element loop finishes the rest into V16. The result is
// ((V16+V17)+(V18+V19)) reduced lane-wise as (l0+l1)+(l2+l3), the same
// association as the generic twin's four partial sums.
//
// Go's assembler has no vector FADD/FADDP/FCVTL, so those are emitted as
// WORDs by the macros below (Arm operand order: destination first; the
// encodings were checked with go tool objdump).

// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD_4S(d, n, m) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))
// FADDP Vd.4S, Vn.4S, Vm.4S (pairwise: d = [n0+n1, n2+n3, m0+m1, m2+m3])
#define FADDP_4S(d, n, m) WORD $(0x6E20D400 | (m)<<16 | (n)<<5 | (d))
// FADDP Sd, Vn.2S (scalar: d = n0+n1)
#define FADDP_S(d, n) WORD $(0x7E30D800 | (n)<<5 | (d))
// FCVTL Vd.4S, Vn.4H (widen the low four halves)
#define FCVTL(d, n) WORD $(0x0E217800 | (n)<<5 | (d))
// FCVTL2 Vd.4S, Vn.8H (widen the high four halves)
#define FCVTL2(d, n) WORD $(0x4E217800 | (n)<<5 | (d))

// REDUCE4 leaves (V16+V17)+(V18+V19) summed over lanes in F16 (= S16).
#define REDUCE4 \
	FADD_4S(16, 16, 17) \
	FADD_4S(18, 18, 19) \
	FADD_4S(16, 16, 18) \
	FADDP_4S(16, 16, 16) \
	FADDP_S(16, 16)

#define ZERO_ACCS \
	VEOR V16.B16, V16.B16, V16.B16 \
	VEOR V17.B16, V17.B16, V17.B16 \
	VEOR V18.B16, V18.B16, V18.B16 \
	VEOR V19.B16, V19.B16, V19.B16

// func dotF32NEON(a, b *float32, n int) float32
// R0 = a, R1 = b, R2 = 16-element blocks, R3 = remaining elements (n%16).
// Per block: a -> V0..V3, b -> V4..V7, Vi*V(i+4) into V16+i.
TEXT ·dotF32NEON(SB), NOSPLIT|NOFRAME, $0-28
	MOVD a+0(FP), R0
	MOVD b+8(FP), R1
	MOVD n+16(FP), R3
	ZERO_ACCS
	LSR  $4, R3, R2
	AND  $15, R3, R3
	CBZ  R2, f32tail

f32loop16:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	VFMLA  V1.S4, V5.S4, V17.S4
	VFMLA  V2.S4, V6.S4, V18.S4
	VFMLA  V3.S4, V7.S4, V19.S4
	SUBS   $1, R2, R2
	BNE    f32loop16

f32tail:
	CBZ R3, f32done

f32loop4:
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V4.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	SUBS   $4, R3, R3
	BNE    f32loop4

f32done:
	REDUCE4
	FMOVS F16, ret+24(FP)
	RET

// func dotF16NEON(w *uint16, x *float32, n int) float32
// R0 = w, R1 = x, R2 = 16-element blocks, R3 = remaining elements.
// Per block: 16 halves -> V0,V1 (.8H), widened by FCVTL/FCVTL2 to V2..V5;
// x -> V8..V11; V(2+i)*V(8+i) into V16+i.
TEXT ·dotF16NEON(SB), NOSPLIT|NOFRAME, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R3
	ZERO_ACCS
	LSR  $4, R3, R2
	AND  $15, R3, R3
	CBZ  R2, f16tail

f16loop16:
	VLD1.P 32(R0), [V0.H8, V1.H8]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	FCVTL(2, 0)
	FCVTL2(3, 0)
	FCVTL(4, 1)
	FCVTL2(5, 1)
	VFMLA  V2.S4, V8.S4, V16.S4
	VFMLA  V3.S4, V9.S4, V17.S4
	VFMLA  V4.S4, V10.S4, V18.S4
	VFMLA  V5.S4, V11.S4, V19.S4
	SUBS   $1, R2, R2
	BNE    f16loop16

f16tail:
	CBZ R3, f16done

f16loop4:
	VLD1.P 8(R0), [V0.H4]
	VLD1.P 16(R1), [V8.S4]
	FCVTL(2, 0)
	VFMLA  V2.S4, V8.S4, V16.S4
	SUBS   $4, R3, R3
	BNE    f16loop4

f16done:
	REDUCE4
	FMOVS F16, ret+24(FP)
	RET

// func dotBF16NEON(w *uint16, x *float32, n int) float32
// Same loop as dotF16NEON. A bf16 is the top half of an f32, so widening is
// interleaving with zeros: ZIP1/ZIP2 of (V31 = 0, w) put each 16-bit weight
// above a zero half, which read as .4S lanes is w<<16.
TEXT ·dotBF16NEON(SB), NOSPLIT|NOFRAME, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R3
	ZERO_ACCS
	VEOR V31.B16, V31.B16, V31.B16
	LSR  $4, R3, R2
	AND  $15, R3, R3
	CBZ  R2, bf16tail

bf16loop16:
	VLD1.P 32(R0), [V0.H8, V1.H8]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	VZIP1  V0.H8, V31.H8, V2.H8
	VZIP2  V0.H8, V31.H8, V3.H8
	VZIP1  V1.H8, V31.H8, V4.H8
	VZIP2  V1.H8, V31.H8, V5.H8
	VFMLA  V2.S4, V8.S4, V16.S4
	VFMLA  V3.S4, V9.S4, V17.S4
	VFMLA  V4.S4, V10.S4, V18.S4
	VFMLA  V5.S4, V11.S4, V19.S4
	SUBS   $1, R2, R2
	BNE    bf16loop16

bf16tail:
	CBZ R3, bf16done

bf16loop4:
	VLD1.P 8(R0), [V0.H4]
	VLD1.P 16(R1), [V8.S4]
	VZIP1  V0.H8, V31.H8, V2.H8
	VFMLA  V2.S4, V8.S4, V16.S4
	SUBS   $4, R3, R3
	BNE    bf16loop4

bf16done:
	REDUCE4
	FMOVS F16, ret+24(FP)
	RET
