//go:build !purego

#include "textflag.h"
#include "hsum_amd64.h"

// Dot products and reductions for AVX2+FMA+F16C (Y registers, 8 floats) and
// AVX-512 (Z registers, 16 floats). n is a multiple of the vector width; the
// Go wrappers (simd.go) add the tail. Registers:
//   SI = weights (or a), DI = x (or b), CX = n, AX = element index,
//   DX = n rounded down to four vectors, Y0..Y3 / Z0..Z3 = accumulators.
// Four independent accumulators hide the 4-cycle FMA latency; the main loop
// handles four vectors, a second loop the remaining one to three.
//
// Widening loads (the weight side of every product):
//   f32:  VMOVUPS
//   f16:  VCVTPH2PS, exact half -> single conversion
//   bf16: VPMOVZXWD (zero-extend to 32 bits) then VPSLLD $16: bf16 is the
//         top half of a float32.

#define LOADF32(off, dst) VMOVUPS off(SI)(AX*4), dst
#define LOADF16(off, dst) VCVTPH2PS off(SI)(AX*2), dst
#define LOADBF16(off, dst) VPMOVZXWD off(SI)(AX*2), dst; VPSLLD $16, dst, dst

// DOT_AVX2 is the body of an AVX2 dot product; LOAD widens 8 weights,
// wstep is the byte size of 8 weights, W and X name the two pointer args.
#define DOT_AVX2(LOAD, wstep, W, X) \
	MOVQ   W+0(FP), SI \
	MOVQ   X+8(FP), DI \
	MOVQ   n+16(FP), CX \
	XORQ   AX, AX \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	MOVQ   CX, DX \
	ANDQ   $-32, DX \
	JZ     one \
four: \
	LOAD(0, Y4) \
	LOAD(wstep, Y5) \
	LOAD(2*wstep, Y6) \
	LOAD(3*wstep, Y7) \
	VFMADD231PS (DI)(AX*4), Y4, Y0 \
	VFMADD231PS 32(DI)(AX*4), Y5, Y1 \
	VFMADD231PS 64(DI)(AX*4), Y6, Y2 \
	VFMADD231PS 96(DI)(AX*4), Y7, Y3 \
	ADDQ $32, AX \
	CMPQ AX, DX \
	JLT  four \
one: \
	CMPQ AX, CX \
	JGE  done \
	LOAD(0, Y4) \
	VFMADD231PS (DI)(AX*4), Y4, Y0 \
	ADDQ $8, AX \
	JMP  one \
done: \
	VADDPS Y1, Y0, Y0 \
	VADDPS Y3, Y2, Y2 \
	VADDPS Y2, Y0, Y0 \
	HSUM_Y0 \
	VMOVSS X0, ret+24(FP) \
	VZEROUPPER \
	RET

// DOT_AVX512: as DOT_AVX2 with 16-float vectors.
#define DOT_AVX512(LOAD, wstep, W, X) \
	MOVQ    W+0(FP), SI \
	MOVQ    X+8(FP), DI \
	MOVQ    n+16(FP), CX \
	XORQ    AX, AX \
	VPXORD  Z0, Z0, Z0 \
	VPXORD  Z1, Z1, Z1 \
	VPXORD  Z2, Z2, Z2 \
	VPXORD  Z3, Z3, Z3 \
	MOVQ    CX, DX \
	ANDQ    $-64, DX \
	JZ      one \
four: \
	LOAD(0, Z4) \
	LOAD(wstep, Z5) \
	LOAD(2*wstep, Z6) \
	LOAD(3*wstep, Z7) \
	VFMADD231PS (DI)(AX*4), Z4, Z0 \
	VFMADD231PS 64(DI)(AX*4), Z5, Z1 \
	VFMADD231PS 128(DI)(AX*4), Z6, Z2 \
	VFMADD231PS 192(DI)(AX*4), Z7, Z3 \
	ADDQ $64, AX \
	CMPQ AX, DX \
	JLT  four \
one: \
	CMPQ AX, CX \
	JGE  done \
	LOAD(0, Z4) \
	VFMADD231PS (DI)(AX*4), Z4, Z0 \
	ADDQ $16, AX \
	JMP  one \
done: \
	VADDPS Z1, Z0, Z0 \
	VADDPS Z3, Z2, Z2 \
	VADDPS Z2, Z0, Z0 \
	HSUM_Z0 \
	VMOVSS X0, ret+24(FP) \
	VZEROUPPER \
	RET

// func dotF32AVX2(a, b *float32, n int) float32
TEXT ·dotF32AVX2(SB), NOSPLIT, $0-28
	DOT_AVX2(LOADF32, 32, a, b)

// func dotF16AVX2(w *uint16, x *float32, n int) float32
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-28
	DOT_AVX2(LOADF16, 16, w, x)

// func dotBF16AVX2(w *uint16, x *float32, n int) float32
TEXT ·dotBF16AVX2(SB), NOSPLIT, $0-28
	DOT_AVX2(LOADBF16, 16, w, x)

// func dotF32AVX512(a, b *float32, n int) float32
TEXT ·dotF32AVX512(SB), NOSPLIT, $0-28
	DOT_AVX512(LOADF32, 64, a, b)

// func dotF16AVX512(w *uint16, x *float32, n int) float32
TEXT ·dotF16AVX512(SB), NOSPLIT, $0-28
	DOT_AVX512(LOADF16, 32, w, x)

// func dotBF16AVX512(w *uint16, x *float32, n int) float32
TEXT ·dotBF16AVX512(SB), NOSPLIT, $0-28
	DOT_AVX512(LOADBF16, 32, w, x)
