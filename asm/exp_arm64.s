//go:build !purego

#include "textflag.h"

// exp-based kernels for arm64 NEON: ExpSub (softmax numerator), SiLU and
// SwiGLU. n is a multiple of 4 (the Go wrapper does the tail); each loop
// iteration handles one 4-lane vector.
//
// EXP4 computes exp(x) per lane, Cephes expf style:
//   x  = clamp(x, -104, 89)        FMIN/FMAX keep NaN as NaN
//   n  = round-to-nearest(x*log2e) FCVTNS, then SCVTF back to float
//   r  = x - n*C1 - n*C2           C1+C2 = ln 2 split so n*C1 is exact
//   p  = (((((p0*r+p1)*r+p2)*r+p3)*r+p4)*r+p5)*r*r + r + 1
//   e  = p * 2^n1 * 2^n2           n1 = n>>1, n2 = n-n1
// Scaling in two steps keeps both factors normal for every n in
// [-150, 128], so results below 2^-126 come out as correctly rounded
// subnormals (or 0) and x > 88.72 overflows to +Inf, like float32(math.Exp).
// The clamp bounds are where exp is already 0 or +Inf in float32.
//
// Constant registers, loaded by EXP_CONSTS:
//   V19 = 127 (int32 exponent bias)  V20 = 89  V21 = -104  V22 = log2e
//   V23 = C1  V24 = C2  V25..V30 = p0..p5  V31 = 1.0
// EXP4 uses V1..V5 as scratch.

// Vector instructions Go's assembler lacks (Arm operand order, destination
// first; encodings checked with go tool objdump).
#define FADD_4S(d, n, m) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))
#define FSUB_4S(d, n, m) WORD $(0x4EA0D400 | (m)<<16 | (n)<<5 | (d))
#define FMUL_4S(d, n, m) WORD $(0x6E20DC00 | (m)<<16 | (n)<<5 | (d))
#define FDIV_4S(d, n, m) WORD $(0x6E20FC00 | (m)<<16 | (n)<<5 | (d))
#define FMAX_4S(d, n, m) WORD $(0x4E20F400 | (m)<<16 | (n)<<5 | (d))
#define FMIN_4S(d, n, m) WORD $(0x4EA0F400 | (m)<<16 | (n)<<5 | (d))
#define FADDP_4S(d, n, m) WORD $(0x6E20D400 | (m)<<16 | (n)<<5 | (d))
#define FADDP_S(d, n) WORD $(0x7E30D800 | (n)<<5 | (d))
// FNEG Vd.4S, Vn.4S
#define FNEG_4S(d, n) WORD $(0x6EA0F800 | (n)<<5 | (d))
// FCVTNS Vd.4S, Vn.4S (float -> int32, round to nearest even)
#define FCVTNS_4S(d, n) WORD $(0x4E21A800 | (n)<<5 | (d))
// SCVTF Vd.4S, Vn.4S (int32 -> float)
#define SCVTF_4S(d, n) WORD $(0x4E21D800 | (n)<<5 | (d))
// SSHR Vd.4S, Vn.4S, #1 (arithmetic shift right by one)
#define SSHR1_4S(d, n) WORD $(0x4F3F0400 | (n)<<5 | (d))

#define CONST(bits, V) \
	MOVW $bits, R9 \
	VDUP R9, V

#define EXP_CONSTS \
	CONST(127, V19.S4) \
	CONST(0x42b20000, V20.S4) /* 89.0 */ \
	CONST(0xc2d00000, V21.S4) /* -104.0 */ \
	CONST(0x3fb8aa3b, V22.S4) /* log2(e) */ \
	CONST(0x3f318000, V23.S4) /* C1 = 0.693359375 */ \
	CONST(0xb95e8083, V24.S4) /* C2 = -2.12194440e-4 */ \
	CONST(0x39506967, V25.S4) /* p0 = 1.9875691500e-4 */ \
	CONST(0x3ab743ce, V26.S4) /* p1 = 1.3981999507e-3 */ \
	CONST(0x3c088908, V27.S4) /* p2 = 8.3334519073e-3 */ \
	CONST(0x3d2aa9c1, V28.S4) /* p3 = 4.1665795894e-2 */ \
	CONST(0x3e2aaaaa, V29.S4) /* p4 = 1.6666665459e-1 */ \
	CONST(0x3f000000, V30.S4) /* p5 = 0.5 */ \
	CONST(0x3f800000, V31.S4) /* 1.0 */

// EXP4 replaces V0 with exp(V0).
#define EXP4 \
	FMIN_4S(0, 0, 20) \
	FMAX_4S(0, 0, 21) \
	FMUL_4S(1, 0, 22) \
	FCVTNS_4S(2, 1)                   /* V2 = n (int32) */ \
	SCVTF_4S(1, 2)                    /* V1 = n (float) */ \
	VFMLS V1.S4, V23.S4, V0.S4        /* r = x - n*C1 */ \
	VFMLS V1.S4, V24.S4, V0.S4        /* r -= n*C2 */ \
	VMOV  V26.B16, V3.B16 \
	VFMLA V25.S4, V0.S4, V3.S4        /* p = p0*r + p1 */ \
	VMOV  V27.B16, V4.B16 \
	VFMLA V3.S4, V0.S4, V4.S4         /* p = p*r + p2 */ \
	VMOV  V28.B16, V3.B16 \
	VFMLA V4.S4, V0.S4, V3.S4         /* p = p*r + p3 */ \
	VMOV  V29.B16, V4.B16 \
	VFMLA V3.S4, V0.S4, V4.S4         /* p = p*r + p4 */ \
	VMOV  V30.B16, V3.B16 \
	VFMLA V4.S4, V0.S4, V3.S4         /* p = p*r + p5 */ \
	FMUL_4S(4, 0, 0)                  /* V4 = r*r */ \
	VFMLA V3.S4, V4.S4, V0.S4         /* V0 = r + p*r*r */ \
	FADD_4S(0, 0, 31)                 /* V0 += 1 */ \
	SSHR1_4S(5, 2)                    /* n1 = n>>1 */ \
	VSUB  V5.S4, V2.S4, V2.S4         /* n2 = n - n1 */ \
	VADD  V19.S4, V5.S4, V5.S4 \
	VADD  V19.S4, V2.S4, V2.S4 \
	VSHL  $23, V5.S4, V5.S4           /* 2^n1 as float bits */ \
	VSHL  $23, V2.S4, V2.S4           /* 2^n2 */ \
	FMUL_4S(0, 0, 5) \
	FMUL_4S(0, 0, 2)

// func expSubNEON(dst, x *float32, n int, m float32) float32
// R0 = dst, R1 = x, R3 = n, V18 = m in every lane, V17 = lane sums.
// Loop: V0 = x - m, EXP4, store, V17 += V0. The sum is reduced as
// (l0+l1)+(l2+l3).
TEXT ·expSubNEON(SB), NOSPLIT|NOFRAME, $0-36
	MOVD  dst+0(FP), R0
	MOVD  x+8(FP), R1
	MOVD  n+16(FP), R3
	FMOVS m+24(FP), F18
	VDUP  V18.S[0], V18.S4
	VEOR  V17.B16, V17.B16, V17.B16
	EXP_CONSTS
	CBZ   R3, expsubdone

expsubloop:
	VLD1.P 16(R1), [V0.S4]
	FSUB_4S(0, 0, 18)
	EXP4
	VST1.P [V0.S4], 16(R0)
	FADD_4S(17, 17, 0)
	SUBS   $4, R3, R3
	BNE    expsubloop

expsubdone:
	FADDP_4S(17, 17, 17)
	FADDP_S(17, 17)
	FMOVS F17, ret+32(FP)
	RET

// func siluNEON(dst, x *float32, n int)
// R0 = dst, R1 = x, R3 = n. Loop: V6 = x, V0 = exp(-x), dst = V6 / (1+V0).
TEXT ·siluNEON(SB), NOSPLIT|NOFRAME, $0-24
	MOVD dst+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R3
	EXP_CONSTS
	CBZ  R3, siludone

siluloop:
	VLD1.P 16(R1), [V6.S4]
	FNEG_4S(0, 6)
	EXP4
	FADD_4S(0, 0, 31)
	FDIV_4S(0, 6, 0)
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R3, R3
	BNE    siluloop

siludone:
	RET

// func swigluNEON(dst, gate, up *float32, n int)
// R0 = dst, R1 = gate, R2 = up, R3 = n. Loop as siluNEON on gate (V6), then
// the result is multiplied by up (V7): dst = (g / (1+exp(-g))) * u.
TEXT ·swigluNEON(SB), NOSPLIT|NOFRAME, $0-32
	MOVD dst+0(FP), R0
	MOVD gate+8(FP), R1
	MOVD up+16(FP), R2
	MOVD n+24(FP), R3
	EXP_CONSTS
	CBZ  R3, swiglu_done

swigluloop:
	VLD1.P 16(R1), [V6.S4]
	VLD1.P 16(R2), [V7.S4]
	FNEG_4S(0, 6)
	EXP4
	FADD_4S(0, 0, 31)
	FDIV_4S(0, 6, 0)
	FMUL_4S(0, 0, 7)
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R3, R3
	BNE    swigluloop

swiglu_done:
	RET
