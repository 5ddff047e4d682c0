//go:build !purego

#include "textflag.h"

// exp-based kernels: ExpSub (softmax numerator), SiLU and SwiGLU, for AVX2
// (Y registers, 8 lanes) and AVX-512 (Z registers, 16 lanes). n is a
// multiple of the vector width and > 0; the Go wrappers do the tail with
// expf from generic.go, which is this same algorithm step for step:
//
//   x = clamp(x, -104, 89)          MINPS/MAXPS ordered so a NaN x stays NaN
//   n = round-to-even(x*log2e)      VCVTPS2DQ (MXCSR default rounding)
//   r = x - n*C1 - n*C2             two FNMAs; C1+C2 = ln 2, n*C1 exact
//   e = 1 + r + r^2*p(r)            Horner with FMAs, p = Cephes expf poly
//   e = e * 2^(n>>1) * 2^(n-(n>>1)) two steps keep both factors normal
//
// Results below 2^-126 come out as correctly rounded subnormals (or 0, which
// is also what -Inf gives), x > 88.73 overflows to +Inf.

DATA expConst<>+0(SB)/4, $0x42b20000  // 89: clamp high
DATA expConst<>+4(SB)/4, $0xc2d00000  // -104: clamp low
DATA expConst<>+8(SB)/4, $0x3fb8aa3b  // log2(e)
DATA expConst<>+12(SB)/4, $0x3f318000 // C1 = 0.693359375
DATA expConst<>+16(SB)/4, $0xb95e8083 // C2 = -2.12194440e-4
DATA expConst<>+20(SB)/4, $0x39506967 // p0 = 1.9875691500e-4
DATA expConst<>+24(SB)/4, $0x3ab743ce // p1 = 1.3981999507e-3
DATA expConst<>+28(SB)/4, $0x3c088908 // p2 = 8.3334519073e-3
DATA expConst<>+32(SB)/4, $0x3d2aa9c1 // p3 = 4.1665795894e-2
DATA expConst<>+36(SB)/4, $0x3e2aaaaa // p4 = 1.6666665459e-1
DATA expConst<>+40(SB)/4, $0x3f000000 // p5 = 0.5
DATA expConst<>+44(SB)/4, $0x3f800000 // 1.0
DATA expConst<>+48(SB)/4, $0x0000007f // 127, float32 exponent bias
DATA expConst<>+52(SB)/4, $0x80000000 // sign bit
GLOBL expConst<>(SB), RODATA|NOPTR, $56

// AVX2 register plan (16 Y registers):
//   Y0 = argument/result, Y1..Y4 = scratch,
//   Y5 = x (SiLU), Y6 = up (SwiGLU), Y7 = running sum (ExpSub),
//   Y8 = m (ExpSub) or sign mask (SiLU, SwiGLU),
//   Y9 = 89, Y10 = -104, Y11 = log2e, Y12 = C1, Y13 = C2, Y14 = 1, Y15 = 127.
// The polynomial coefficients are broadcast from memory each time (cheap
// loads); there are not enough Y registers to keep them.
#define EXP_CONSTS_AVX2 \
	VBROADCASTSS expConst<>+0(SB), Y9 \
	VBROADCASTSS expConst<>+4(SB), Y10 \
	VBROADCASTSS expConst<>+8(SB), Y11 \
	VBROADCASTSS expConst<>+12(SB), Y12 \
	VBROADCASTSS expConst<>+16(SB), Y13 \
	VBROADCASTSS expConst<>+44(SB), Y14 \
	VBROADCASTSS expConst<>+48(SB), Y15

// EXP_AVX2 replaces Y0 with exp(Y0). In Go operand order "VMINPS Y0, Y9, Y0"
// is Intel "vminps ymm0, ymm9, ymm0": the NaN-propagating second source is x.
#define EXP_AVX2 \
	VMINPS       Y0, Y9, Y0 \
	VMAXPS       Y0, Y10, Y0 \
	VMULPS       Y11, Y0, Y1 \
	VCVTPS2DQ    Y1, Y1 \
	VCVTDQ2PS    Y1, Y2 \
	VFNMADD231PS Y12, Y2, Y0 \
	VFNMADD231PS Y13, Y2, Y0 \
	VBROADCASTSS expConst<>+20(SB), Y3 \
	VBROADCASTSS expConst<>+24(SB), Y4 \
	VFMADD213PS  Y4, Y0, Y3 \
	VBROADCASTSS expConst<>+28(SB), Y4 \
	VFMADD213PS  Y4, Y0, Y3 \
	VBROADCASTSS expConst<>+32(SB), Y4 \
	VFMADD213PS  Y4, Y0, Y3 \
	VBROADCASTSS expConst<>+36(SB), Y4 \
	VFMADD213PS  Y4, Y0, Y3 \
	VBROADCASTSS expConst<>+40(SB), Y4 \
	VFMADD213PS  Y4, Y0, Y3 \
	VMULPS       Y0, Y0, Y4 \
	VFMADD231PS  Y4, Y3, Y0 \
	VADDPS       Y14, Y0, Y0 \
	VPSRAD       $1, Y1, Y2 \
	VPSUBD       Y2, Y1, Y1 \
	VPADDD       Y15, Y2, Y2 \
	VPADDD       Y15, Y1, Y1 \
	VPSLLD       $23, Y2, Y2 \
	VPSLLD       $23, Y1, Y1 \
	VMULPS       Y2, Y0, Y0 \
	VMULPS       Y1, Y0, Y0

// AVX-512 register plan: Z0..Z8 as above, constants in Z16..Z29:
//   Z16 = 89, Z17 = -104, Z18 = log2e, Z19 = C1, Z20 = C2,
//   Z21..Z26 = p0..p5, Z27 = 1, Z28 = 127, Z29 = sign mask.
#define EXP_CONSTS_AVX512 \
	VBROADCASTSS expConst<>+0(SB), Z16 \
	VBROADCASTSS expConst<>+4(SB), Z17 \
	VBROADCASTSS expConst<>+8(SB), Z18 \
	VBROADCASTSS expConst<>+12(SB), Z19 \
	VBROADCASTSS expConst<>+16(SB), Z20 \
	VBROADCASTSS expConst<>+20(SB), Z21 \
	VBROADCASTSS expConst<>+24(SB), Z22 \
	VBROADCASTSS expConst<>+28(SB), Z23 \
	VBROADCASTSS expConst<>+32(SB), Z24 \
	VBROADCASTSS expConst<>+36(SB), Z25 \
	VBROADCASTSS expConst<>+40(SB), Z26 \
	VBROADCASTSS expConst<>+44(SB), Z27 \
	VBROADCASTSS expConst<>+48(SB), Z28 \
	VBROADCASTSS expConst<>+52(SB), Z29

// EXP_AVX512 replaces Z0 with exp(Z0).
#define EXP_AVX512 \
	VMINPS       Z0, Z16, Z0 \
	VMAXPS       Z0, Z17, Z0 \
	VMULPS       Z18, Z0, Z1 \
	VCVTPS2DQ    Z1, Z1 \
	VCVTDQ2PS    Z1, Z2 \
	VFNMADD231PS Z19, Z2, Z0 \
	VFNMADD231PS Z20, Z2, Z0 \
	VMOVAPS      Z21, Z3 \
	VFMADD213PS  Z22, Z0, Z3 \
	VFMADD213PS  Z23, Z0, Z3 \
	VFMADD213PS  Z24, Z0, Z3 \
	VFMADD213PS  Z25, Z0, Z3 \
	VFMADD213PS  Z26, Z0, Z3 \
	VMULPS       Z0, Z0, Z4 \
	VFMADD231PS  Z4, Z3, Z0 \
	VADDPS       Z27, Z0, Z0 \
	VPSRAD       $1, Z1, Z2 \
	VPSUBD       Z2, Z1, Z1 \
	VPADDD       Z28, Z2, Z2 \
	VPADDD       Z28, Z1, Z1 \
	VPSLLD       $23, Z2, Z2 \
	VPSLLD       $23, Z1, Z1 \
	VMULPS       Z2, Z0, Z0 \
	VMULPS       Z1, Z0, Z0

// func expSubAVX2(dst, x *float32, n int, m float32) float32
TEXT ·expSubAVX2(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Y8
	VXORPS       Y7, Y7, Y7
	EXP_CONSTS_AVX2
	XORQ         AX, AX

loop:
	VMOVUPS (SI)(AX*4), Y0
	VSUBPS  Y8, Y0, Y0
	EXP_AVX2
	VMOVUPS Y0, (DI)(AX*4)
	VADDPS  Y0, Y7, Y7
	ADDQ    $8, AX
	CMPQ    AX, CX
	JLT     loop

	VEXTRACTF128 $1, Y7, X1
	VADDPS       X1, X7, X0
	VPERMILPS    $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VADDPS       X1, X0, X0
	VMOVSS       X0, ret+32(FP)
	VZEROUPPER
	RET

// func expSubAVX512(dst, x *float32, n int, m float32) float32
TEXT ·expSubAVX512(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Z8
	VPXORD       Z7, Z7, Z7
	EXP_CONSTS_AVX512
	XORQ         AX, AX

loop:
	VMOVUPS (SI)(AX*4), Z0
	VSUBPS  Z8, Z0, Z0
	EXP_AVX512
	VMOVUPS Z0, (DI)(AX*4)
	VADDPS  Z0, Z7, Z7
	ADDQ    $16, AX
	CMPQ    AX, CX
	JLT     loop

	VEXTRACTF64X4 $1, Z7, Y1
	VADDPS        Y1, Y7, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VPERMILPS     $0x4e, X0, X1
	VADDPS        X1, X0, X0
	VPERMILPS     $0xb1, X0, X1
	VADDPS        X1, X0, X0
	VMOVSS        X0, ret+32(FP)
	VZEROUPPER
	RET

// SiLU: dst = x / (1 + exp(-x)); -x flips the sign bit like Go's unary minus.

// func siluAVX2(dst, x *float32, n int)
TEXT ·siluAVX2(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS expConst<>+52(SB), Y8
	EXP_CONSTS_AVX2
	XORQ         AX, AX

loop:
	VMOVUPS (SI)(AX*4), Y5
	VXORPS  Y8, Y5, Y0
	EXP_AVX2
	VADDPS  Y14, Y0, Y0
	VDIVPS  Y0, Y5, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, CX
	JLT     loop
	VZEROUPPER
	RET

// func siluAVX512(dst, x *float32, n int)
TEXT ·siluAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	EXP_CONSTS_AVX512
	XORQ AX, AX

loop:
	VMOVUPS (SI)(AX*4), Z5
	VPXORD  Z29, Z5, Z0
	EXP_AVX512
	VADDPS  Z27, Z0, Z0
	VDIVPS  Z0, Z5, Z0
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ    $16, AX
	CMPQ    AX, CX
	JLT     loop
	VZEROUPPER
	RET

// SwiGLU: dst = silu(gate) * up, the product rounded after the division
// like the generic silu(g)*u.

// func swigluAVX2(dst, gate, up *float32, n int)
TEXT ·swigluAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         gate+8(FP), SI
	MOVQ         up+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS expConst<>+52(SB), Y8
	EXP_CONSTS_AVX2
	XORQ         AX, AX

loop:
	VMOVUPS (SI)(AX*4), Y5
	VXORPS  Y8, Y5, Y0
	EXP_AVX2
	VADDPS  Y14, Y0, Y0
	VDIVPS  Y0, Y5, Y0
	VMULPS  (DX)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, CX
	JLT     loop
	VZEROUPPER
	RET

// func swigluAVX512(dst, gate, up *float32, n int)
TEXT ·swigluAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DX
	MOVQ n+24(FP), CX
	EXP_CONSTS_AVX512
	XORQ AX, AX

loop:
	VMOVUPS (SI)(AX*4), Z5
	VPXORD  Z29, Z5, Z0
	EXP_AVX512
	VADDPS  Z27, Z0, Z0
	VDIVPS  Z0, Z5, Z0
	VMULPS  (DX)(AX*4), Z0, Z0
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ    $16, AX
	CMPQ    AX, CX
	JLT     loop
	VZEROUPPER
	RET
