//go:build !purego

#include "textflag.h"
#include "hsum_amd64.h"

// Conversions, element-wise kernels and reductions for AVX2 (Y registers,
// 8 floats) and AVX-512 (Z registers, 16 floats). n is a multiple of the
// vector width and > 0; the Go wrappers (simd.go) do the tail.
// AX is the element index in every loop, CX = n.
//
// Axpy is a multiply then an add (not an FMA) so it rounds exactly like the
// generic Go loop "y[i] += a*x[i]" on amd64.

// LOOP_TAIL advances the index by one vector and loops while AX < CX.
#define LOOP_TAIL(width, label) \
	ADDQ $width, AX \
	CMPQ AX, CX \
	JLT  label

// BINARY_OP is dst[i] = a[i] OP b[i] with register names of one width.
#define BINARY_OP(OP, V0, width) \
	MOVQ dst+0(FP), DI \
	MOVQ a+8(FP), SI \
	MOVQ b+16(FP), DX \
	MOVQ n+24(FP), CX \
	XORQ AX, AX \
loop: \
	VMOVUPS (SI)(AX*4), V0 \
	OP      (DX)(AX*4), V0, V0 \
	VMOVUPS V0, (DI)(AX*4) \
	LOOP_TAIL(width, loop) \
	VZEROUPPER \
	RET

// SUM is the body of sumAVX2 and sumAVX512: eight accumulators over eight
// vectors per iteration (as many loads in flight as the row kernels, so the
// bandwidth probe built on it is not beaten by the matvec it is the yardstick
// for), then one vector at a time. step is the byte size of a vector.
#define SUM(V0, V1, V2, V3, V4, V5, V6, V7, CLR, step, mask) \
	MOVQ   x+0(FP), SI \
	MOVQ   n+8(FP), CX \
	XORQ   AX, AX \
	CLR    V0, V0, V0 \
	CLR    V1, V1, V1 \
	CLR    V2, V2, V2 \
	CLR    V3, V3, V3 \
	CLR    V4, V4, V4 \
	CLR    V5, V5, V5 \
	CLR    V6, V6, V6 \
	CLR    V7, V7, V7 \
	MOVQ   CX, DX \
	ANDQ   $mask, DX \
	JZ     one \
eight: \
	VADDPS (SI)(AX*4), V0, V0 \
	VADDPS step(SI)(AX*4), V1, V1 \
	VADDPS 2*step(SI)(AX*4), V2, V2 \
	VADDPS 3*step(SI)(AX*4), V3, V3 \
	VADDPS 4*step(SI)(AX*4), V4, V4 \
	VADDPS 5*step(SI)(AX*4), V5, V5 \
	VADDPS 6*step(SI)(AX*4), V6, V6 \
	VADDPS 7*step(SI)(AX*4), V7, V7 \
	ADDQ   $(2*step), AX \
	CMPQ   AX, DX \
	JLT    eight \
one: \
	CMPQ   AX, CX \
	JGE    done \
	VADDPS (SI)(AX*4), V0, V0 \
	ADDQ   $(step/4), AX \
	JMP    one \
done: \
	VADDPS V4, V0, V0 \
	VADDPS V5, V1, V1 \
	VADDPS V6, V2, V2 \
	VADDPS V7, V3, V3 \
	VADDPS V1, V0, V0 \
	VADDPS V3, V2, V2 \
	VADDPS V2, V0, V0

// func f16ToF32AVX2(dst *float32, src *uint16, n int)
TEXT ·f16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

loop:
	VCVTPH2PS (SI)(AX*2), Y0
	VMOVUPS   Y0, (DI)(AX*4)
	LOOP_TAIL(8, loop)
	VZEROUPPER
	RET

// func f16ToF32AVX512(dst *float32, src *uint16, n int)
TEXT ·f16ToF32AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

loop:
	VCVTPH2PS (SI)(AX*2), Z0
	VMOVUPS   Z0, (DI)(AX*4)
	LOOP_TAIL(16, loop)
	VZEROUPPER
	RET

// func bf16ToF32AVX2(dst *float32, src *uint16, n int)
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

loop:
	VPMOVZXWD (SI)(AX*2), Y0
	VPSLLD    $16, Y0, Y0
	VMOVDQU   Y0, (DI)(AX*4)
	LOOP_TAIL(8, loop)
	VZEROUPPER
	RET

// func bf16ToF32AVX512(dst *float32, src *uint16, n int)
TEXT ·bf16ToF32AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

loop:
	VPMOVZXWD (SI)(AX*2), Z0
	VPSLLD    $16, Z0, Z0
	VMOVDQU32 Z0, (DI)(AX*4)
	LOOP_TAIL(16, loop)
	VZEROUPPER
	RET

// VCVTPS2PH $0 rounds to nearest even (the immediate overrides MXCSR.RC),
// quiets NaNs keeping sign and the top 10 payload bits, and produces half
// subnormals: exactly what x448/float16 (ToF16) computes. Go never sets
// MXCSR.DAZ, so float32 subnormal inputs are honoured too. The test
// compares both bit for bit on every tie and NaN kind.

// func f32ToF16AVX2(dst *uint16, src *float32, n int)
TEXT ·f32ToF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

loop:
	VMOVUPS   (SI)(AX*4), Y0
	VCVTPS2PH $0, Y0, X1
	VMOVDQU   X1, (DI)(AX*2)
	LOOP_TAIL(8, loop)
	VZEROUPPER
	RET

// func f32ToF16AVX512(dst *uint16, src *float32, n int)
TEXT ·f32ToF16AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

loop:
	VMOVUPS   (SI)(AX*4), Z0
	VCVTPS2PH $0, Z0, Y1
	VMOVDQU   Y1, (DI)(AX*2)
	LOOP_TAIL(16, loop)
	VZEROUPPER
	RET

// func axpyAVX2(a float32, x, y *float32, n int)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y15
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX

loop:
	VMULPS  (SI)(AX*4), Y15, Y0
	VADDPS  (DI)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	LOOP_TAIL(8, loop)
	VZEROUPPER
	RET

// func axpyAVX512(a float32, x, y *float32, n int)
TEXT ·axpyAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Z15
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX

loop:
	VMULPS  (SI)(AX*4), Z15, Z0
	VADDPS  (DI)(AX*4), Z0, Z0
	VMOVUPS Z0, (DI)(AX*4)
	LOOP_TAIL(16, loop)
	VZEROUPPER
	RET

// func axpyF16AVX2(a float32, x *uint16, y *float32, n int)
TEXT ·axpyF16AVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y15
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX

loop:
	VCVTPH2PS (SI)(AX*2), Y1
	VMULPS    Y1, Y15, Y0
	VADDPS    (DI)(AX*4), Y0, Y0
	VMOVUPS   Y0, (DI)(AX*4)
	LOOP_TAIL(8, loop)
	VZEROUPPER
	RET

// func axpyF16AVX512(a float32, x *uint16, y *float32, n int)
TEXT ·axpyF16AVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Z15
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX

loop:
	VCVTPH2PS (SI)(AX*2), Z1
	VMULPS    Z1, Z15, Z0
	VADDPS    (DI)(AX*4), Z0, Z0
	VMOVUPS   Z0, (DI)(AX*4)
	LOOP_TAIL(16, loop)
	VZEROUPPER
	RET

// func axpyBF16AVX2(a float32, x *uint16, y *float32, n int)
TEXT ·axpyBF16AVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y15
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX

loop:
	VPMOVZXWD (SI)(AX*2), Y1
	VPSLLD    $16, Y1, Y1
	VMULPS    Y1, Y15, Y0
	VADDPS    (DI)(AX*4), Y0, Y0
	VMOVUPS   Y0, (DI)(AX*4)
	LOOP_TAIL(8, loop)
	VZEROUPPER
	RET

// func axpyBF16AVX512(a float32, x *uint16, y *float32, n int)
TEXT ·axpyBF16AVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Z15
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX

loop:
	VPMOVZXWD (SI)(AX*2), Z1
	VPSLLD    $16, Z1, Z1
	VMULPS    Z1, Z15, Z0
	VADDPS    (DI)(AX*4), Z0, Z0
	VMOVUPS   Z0, (DI)(AX*4)
	LOOP_TAIL(16, loop)
	VZEROUPPER
	RET

// func scaleAVX2(a float32, x *float32, n int)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-24
	VBROADCASTSS a+0(FP), Y15
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	XORQ         AX, AX

loop:
	VMULPS  (SI)(AX*4), Y15, Y0
	VMOVUPS Y0, (SI)(AX*4)
	LOOP_TAIL(8, loop)
	VZEROUPPER
	RET

// func scaleAVX512(a float32, x *float32, n int)
TEXT ·scaleAVX512(SB), NOSPLIT, $0-24
	VBROADCASTSS a+0(FP), Z15
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	XORQ         AX, AX

loop:
	VMULPS  (SI)(AX*4), Z15, Z0
	VMOVUPS Z0, (SI)(AX*4)
	LOOP_TAIL(16, loop)
	VZEROUPPER
	RET

// func addAVX2(dst, a, b *float32, n int)
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	BINARY_OP(VADDPS, Y0, 8)

// func addAVX512(dst, a, b *float32, n int)
TEXT ·addAVX512(SB), NOSPLIT, $0-32
	BINARY_OP(VADDPS, Z0, 16)

// func mulAVX2(dst, a, b *float32, n int)
TEXT ·mulAVX2(SB), NOSPLIT, $0-32
	BINARY_OP(VMULPS, Y0, 8)

// func mulAVX512(dst, a, b *float32, n int)
TEXT ·mulAVX512(SB), NOSPLIT, $0-32
	BINARY_OP(VMULPS, Z0, 16)

// func sumAVX2(x *float32, n int) float32
TEXT ·sumAVX2(SB), NOSPLIT, $0-20
	SUM(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, VXORPS, 32, -64)
	HSUM_Y0
	VMOVSS       X0, ret+16(FP)
	VZEROUPPER
	RET

// func sumAVX512(x *float32, n int) float32
TEXT ·sumAVX512(SB), NOSPLIT, $0-20
	SUM(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, VPXORD, 64, -128)
	HSUM_Z0
	VMOVSS        X0, ret+16(FP)
	VZEROUPPER
	RET

// Max: MAXPS returns its second source when either operand is NaN. With the
// running maximum as second source, "VMAXPS acc, x, acc" keeps acc for a NaN
// x, so NaNs are skipped exactly like the generic "if v > m" loop, and the
// accumulator (starting at -Inf) never becomes NaN.

// func maxAVX2(x *float32, n int) float32
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVL         $0xff800000, AX // -Inf
	MOVQ         AX, X0
	VBROADCASTSS X0, Y0
	XORQ         AX, AX

loop:
	VMOVUPS (SI)(AX*4), Y1
	VMAXPS  Y0, Y1, Y0
	LOOP_TAIL(8, loop)
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSS       X0, ret+16(FP)
	VZEROUPPER
	RET

// func maxAVX512(x *float32, n int) float32
TEXT ·maxAVX512(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVL         $0xff800000, AX // -Inf
	MOVQ         AX, X0
	VBROADCASTSS X0, Z0
	XORQ         AX, AX

loop:
	VMOVUPS (SI)(AX*4), Z1
	VMAXPS  Z0, Z1, Z0
	LOOP_TAIL(16, loop)
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0x4e, X0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0xb1, X0, X1
	VMAXPS        X1, X0, X0
	VMOVSS        X0, ret+16(FP)
	VZEROUPPER
	RET
