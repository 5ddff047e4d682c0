//go:build !purego

#include "textflag.h"

// Conversions, element-wise kernels and reductions for AVX2 (Y registers,
// 8 floats) and AVX-512 (Z registers, 16 floats). n is a multiple of the
// vector width and > 0; the Go wrappers (x86_amd64.go) do the tail.
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
// Four accumulators over four vectors per iteration, then one at a time.
TEXT ·sumAVX2(SB), NOSPLIT, $0-20
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	XORQ   AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   CX, DX
	ANDQ   $-32, DX
	JZ     one

four:
	VADDPS (SI)(AX*4), Y0, Y0
	VADDPS 32(SI)(AX*4), Y1, Y1
	VADDPS 64(SI)(AX*4), Y2, Y2
	VADDPS 96(SI)(AX*4), Y3, Y3
	ADDQ   $32, AX
	CMPQ   AX, DX
	JLT    four

one:
	CMPQ   AX, CX
	JGE    done
	VADDPS (SI)(AX*4), Y0, Y0
	ADDQ   $8, AX
	JMP    one

done:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VADDPS       X1, X0, X0
	VMOVSS       X0, ret+16(FP)
	VZEROUPPER
	RET

// func sumAVX512(x *float32, n int) float32
TEXT ·sumAVX512(SB), NOSPLIT, $0-20
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	XORQ   AX, AX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ   CX, DX
	ANDQ   $-64, DX
	JZ     one

four:
	VADDPS (SI)(AX*4), Z0, Z0
	VADDPS 64(SI)(AX*4), Z1, Z1
	VADDPS 128(SI)(AX*4), Z2, Z2
	VADDPS 192(SI)(AX*4), Z3, Z3
	ADDQ   $64, AX
	CMPQ   AX, DX
	JLT    four

one:
	CMPQ   AX, CX
	JGE    done
	VADDPS (SI)(AX*4), Z0, Z0
	ADDQ   $16, AX
	JMP    one

done:
	VADDPS        Z1, Z0, Z0
	VADDPS        Z3, Z2, Z2
	VADDPS        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VPERMILPS     $0x4e, X0, X1
	VADDPS        X1, X0, X0
	VPERMILPS     $0xb1, X0, X1
	VADDPS        X1, X0, X0
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
