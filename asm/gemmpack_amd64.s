//go:build !purego

#include "textflag.h"

// Transposing packers: a panel of NR weight rows becomes k-major,
// dst[p*NR+j] = widen(row j[p]). Each iteration loads a square block of rows
// (widened to float32 by LD), transposes it in registers and stores it as k
// steps of the panel. Registers: SI = row 0 at the current k, R10 = row
// stride in bytes, R12 = row pointer, DI = dst, CX = chunks left.
//
// AVX-512, 16 k values of 32 rows per iteration, two groups of 16 rows
// (group g stored at byte g of each 128-byte k step). The 16×16 transpose:
// VUNPCK{L,H}PS interleaves row pairs, VUNPCK{L,H}PD row quads, so Z(4q+e)
// lane L holds rows 4q..4q+3 at k = 4L+e; two rounds of VSHUFF32X4 then
// gather lane L of Z(e), Z(4+e), Z(8+e), Z(12+e) into k step 4L+e.

// LOAD16 loads 16 rows from R12 on into Z0..Z15 with LD.
#define LOAD16(LD) \
	LD(Z0) \
	ADDQ R10, R12 \
	LD(Z1) \
	ADDQ R10, R12 \
	LD(Z2) \
	ADDQ R10, R12 \
	LD(Z3) \
	ADDQ R10, R12 \
	LD(Z4) \
	ADDQ R10, R12 \
	LD(Z5) \
	ADDQ R10, R12 \
	LD(Z6) \
	ADDQ R10, R12 \
	LD(Z7) \
	ADDQ R10, R12 \
	LD(Z8) \
	ADDQ R10, R12 \
	LD(Z9) \
	ADDQ R10, R12 \
	LD(Z10) \
	ADDQ R10, R12 \
	LD(Z11) \
	ADDQ R10, R12 \
	LD(Z12) \
	ADDQ R10, R12 \
	LD(Z13) \
	ADDQ R10, R12 \
	LD(Z14) \
	ADDQ R10, R12 \
	LD(Z15) \
	ADDQ R10, R12

// T16_STORE transposes Z0..Z15 (clobbering Z16..Z20) and stores the 16 k
// steps at byte g of each.
#define T16_STORE(g) \
	VUNPCKLPS Z1, Z0, Z16 \
	VUNPCKHPS Z1, Z0, Z17 \
	VUNPCKLPS Z3, Z2, Z18 \
	VUNPCKHPS Z3, Z2, Z19 \
	VUNPCKLPS Z5, Z4, Z20 \
	VUNPCKHPS Z5, Z4, Z21 \
	VUNPCKLPS Z7, Z6, Z22 \
	VUNPCKHPS Z7, Z6, Z23 \
	VUNPCKLPS Z9, Z8, Z24 \
	VUNPCKHPS Z9, Z8, Z25 \
	VUNPCKLPS Z11, Z10, Z26 \
	VUNPCKHPS Z11, Z10, Z27 \
	VUNPCKLPS Z13, Z12, Z28 \
	VUNPCKHPS Z13, Z12, Z29 \
	VUNPCKLPS Z15, Z14, Z30 \
	VUNPCKHPS Z15, Z14, Z31 \
	VUNPCKLPD Z18, Z16, Z0 \
	VUNPCKHPD Z18, Z16, Z1 \
	VUNPCKLPD Z19, Z17, Z2 \
	VUNPCKHPD Z19, Z17, Z3 \
	VUNPCKLPD Z22, Z20, Z4 \
	VUNPCKHPD Z22, Z20, Z5 \
	VUNPCKLPD Z23, Z21, Z6 \
	VUNPCKHPD Z23, Z21, Z7 \
	VUNPCKLPD Z26, Z24, Z8 \
	VUNPCKHPD Z26, Z24, Z9 \
	VUNPCKLPD Z27, Z25, Z10 \
	VUNPCKHPD Z27, Z25, Z11 \
	VUNPCKLPD Z30, Z28, Z12 \
	VUNPCKHPD Z30, Z28, Z13 \
	VUNPCKLPD Z31, Z29, Z14 \
	VUNPCKHPD Z31, Z29, Z15 \
	VSHUFF32X4 $0x44, Z4, Z0, Z16 \
	VSHUFF32X4 $0xEE, Z4, Z0, Z17 \
	VSHUFF32X4 $0x44, Z12, Z8, Z18 \
	VSHUFF32X4 $0xEE, Z12, Z8, Z19 \
	VSHUFF32X4 $0x88, Z18, Z16, Z20 \
	VMOVUPS Z20, 0+g(DI) \
	VSHUFF32X4 $0xDD, Z18, Z16, Z20 \
	VMOVUPS Z20, 512+g(DI) \
	VSHUFF32X4 $0x88, Z19, Z17, Z20 \
	VMOVUPS Z20, 1024+g(DI) \
	VSHUFF32X4 $0xDD, Z19, Z17, Z20 \
	VMOVUPS Z20, 1536+g(DI) \
	VSHUFF32X4 $0x44, Z5, Z1, Z16 \
	VSHUFF32X4 $0xEE, Z5, Z1, Z17 \
	VSHUFF32X4 $0x44, Z13, Z9, Z18 \
	VSHUFF32X4 $0xEE, Z13, Z9, Z19 \
	VSHUFF32X4 $0x88, Z18, Z16, Z20 \
	VMOVUPS Z20, 128+g(DI) \
	VSHUFF32X4 $0xDD, Z18, Z16, Z20 \
	VMOVUPS Z20, 640+g(DI) \
	VSHUFF32X4 $0x88, Z19, Z17, Z20 \
	VMOVUPS Z20, 1152+g(DI) \
	VSHUFF32X4 $0xDD, Z19, Z17, Z20 \
	VMOVUPS Z20, 1664+g(DI) \
	VSHUFF32X4 $0x44, Z6, Z2, Z16 \
	VSHUFF32X4 $0xEE, Z6, Z2, Z17 \
	VSHUFF32X4 $0x44, Z14, Z10, Z18 \
	VSHUFF32X4 $0xEE, Z14, Z10, Z19 \
	VSHUFF32X4 $0x88, Z18, Z16, Z20 \
	VMOVUPS Z20, 256+g(DI) \
	VSHUFF32X4 $0xDD, Z18, Z16, Z20 \
	VMOVUPS Z20, 768+g(DI) \
	VSHUFF32X4 $0x88, Z19, Z17, Z20 \
	VMOVUPS Z20, 1280+g(DI) \
	VSHUFF32X4 $0xDD, Z19, Z17, Z20 \
	VMOVUPS Z20, 1792+g(DI) \
	VSHUFF32X4 $0x44, Z7, Z3, Z16 \
	VSHUFF32X4 $0xEE, Z7, Z3, Z17 \
	VSHUFF32X4 $0x44, Z15, Z11, Z18 \
	VSHUFF32X4 $0xEE, Z15, Z11, Z19 \
	VSHUFF32X4 $0x88, Z18, Z16, Z20 \
	VMOVUPS Z20, 384+g(DI) \
	VSHUFF32X4 $0xDD, Z18, Z16, Z20 \
	VMOVUPS Z20, 896+g(DI) \
	VSHUFF32X4 $0x88, Z19, Z17, Z20 \
	VMOVUPS Z20, 1408+g(DI) \
	VSHUFF32X4 $0xDD, Z19, Z17, Z20 \
	VMOVUPS Z20, 1920+g(DI)

#define LD_F16_Z(r) VCVTPH2PS (R12), r
#define LD_BF16_Z(r) VPMOVZXWD (R12), r; VPSLLD $16, r, r
#define LD_F32_Z(r) VMOVUPS (R12), r

// PACK16 is a whole AVX-512 packer; shift makes R10 bytes, step is the byte
// size of 16 values.
#define PACK16(LD, shift, step, loop) \
	MOVQ dst+0(FP), DI \
	MOVQ src+8(FP), SI \
	MOVQ stride+16(FP), R10 \
	SHLQ $shift, R10 \
	MOVQ chunks+24(FP), CX \
loop: \
	MOVQ SI, R12 \
	LOAD16(LD) \
	T16_STORE(0) \
	LOAD16(LD) \
	T16_STORE(64) \
	ADDQ $step, SI \
	ADDQ $2048, DI \
	DECQ CX \
	JNZ  loop \
	VZEROUPPER \
	RET

// AVX2, 8 k values of 16 rows per iteration, two groups of 8 rows (group g
// at byte g of each 64-byte k step). The 8×8 transpose: VUNPCK{L,H}PS
// interleaves row pairs into Y8..Y15, VUNPCK{L,H}PD row quads back into
// Y0..Y7 (Y(4h+e) then holds rows 4h..4h+3 at k = e in its low half and
// k = 4+e in its high half), and VPERM2F128 joins the halves of Y(e) and
// Y(4+e) into k steps e and 4+e.

// LOAD8 loads 8 rows from R12 on into Y0..Y7 with LD.
#define LOAD8(LD) \
	LD(Y0) \
	ADDQ R10, R12 \
	LD(Y1) \
	ADDQ R10, R12 \
	LD(Y2) \
	ADDQ R10, R12 \
	LD(Y3) \
	ADDQ R10, R12 \
	LD(Y4) \
	ADDQ R10, R12 \
	LD(Y5) \
	ADDQ R10, R12 \
	LD(Y6) \
	ADDQ R10, R12 \
	LD(Y7) \
	ADDQ R10, R12

// T8_STORE transposes Y0..Y7 (clobbering Y8..Y15) and stores the 8 k steps
// at byte g of each.
#define T8_STORE(g) \
	VUNPCKLPS Y1, Y0, Y8 \
	VUNPCKHPS Y1, Y0, Y9 \
	VUNPCKLPS Y3, Y2, Y10 \
	VUNPCKHPS Y3, Y2, Y11 \
	VUNPCKLPS Y5, Y4, Y12 \
	VUNPCKHPS Y5, Y4, Y13 \
	VUNPCKLPS Y7, Y6, Y14 \
	VUNPCKHPS Y7, Y6, Y15 \
	VUNPCKLPD Y10, Y8, Y0 \
	VUNPCKHPD Y10, Y8, Y1 \
	VUNPCKLPD Y11, Y9, Y2 \
	VUNPCKHPD Y11, Y9, Y3 \
	VUNPCKLPD Y14, Y12, Y4 \
	VUNPCKHPD Y14, Y12, Y5 \
	VUNPCKLPD Y15, Y13, Y6 \
	VUNPCKHPD Y15, Y13, Y7 \
	VPERM2F128 $0x20, Y4, Y0, Y8 \
	VMOVUPS Y8, 0+g(DI) \
	VPERM2F128 $0x31, Y4, Y0, Y8 \
	VMOVUPS Y8, 256+g(DI) \
	VPERM2F128 $0x20, Y5, Y1, Y8 \
	VMOVUPS Y8, 64+g(DI) \
	VPERM2F128 $0x31, Y5, Y1, Y8 \
	VMOVUPS Y8, 320+g(DI) \
	VPERM2F128 $0x20, Y6, Y2, Y8 \
	VMOVUPS Y8, 128+g(DI) \
	VPERM2F128 $0x31, Y6, Y2, Y8 \
	VMOVUPS Y8, 384+g(DI) \
	VPERM2F128 $0x20, Y7, Y3, Y8 \
	VMOVUPS Y8, 192+g(DI) \
	VPERM2F128 $0x31, Y7, Y3, Y8 \
	VMOVUPS Y8, 448+g(DI)

#define LD_F16_Y(r) VCVTPH2PS (R12), r
#define LD_BF16_Y(r) VPMOVZXWD (R12), r; VPSLLD $16, r, r
#define LD_F32_Y(r) VMOVUPS (R12), r

#define PACK8(LD, shift, step, loop) \
	MOVQ dst+0(FP), DI \
	MOVQ src+8(FP), SI \
	MOVQ stride+16(FP), R10 \
	SHLQ $shift, R10 \
	MOVQ chunks+24(FP), CX \
loop: \
	MOVQ SI, R12 \
	LOAD8(LD) \
	T8_STORE(0) \
	LOAD8(LD) \
	T8_STORE(32) \
	ADDQ $step, SI \
	ADDQ $512, DI \
	DECQ CX \
	JNZ  loop \
	VZEROUPPER \
	RET

// func gemmPackT16F16AVX512(dst *float32, src *uint16, stride, chunks int)
TEXT ·gemmPackT16F16AVX512(SB), NOSPLIT, $0-32
	PACK16(LD_F16_Z, 1, 32, t16f16)

// func gemmPackT16BF16AVX512(dst *float32, src *uint16, stride, chunks int)
// bf16 is the top half of a float32: zero-extend, shift up.
TEXT ·gemmPackT16BF16AVX512(SB), NOSPLIT, $0-32
	PACK16(LD_BF16_Z, 1, 32, t16bf16)

// func gemmPackT16F32AVX512(dst, src *float32, stride, chunks int)
TEXT ·gemmPackT16F32AVX512(SB), NOSPLIT, $0-32
	PACK16(LD_F32_Z, 2, 64, t16f32)

// func gemmPackT8F16AVX2(dst *float32, src *uint16, stride, chunks int)
TEXT ·gemmPackT8F16AVX2(SB), NOSPLIT, $0-32
	PACK8(LD_F16_Y, 1, 16, t8f16)

// func gemmPackT8BF16AVX2(dst *float32, src *uint16, stride, chunks int)
TEXT ·gemmPackT8BF16AVX2(SB), NOSPLIT, $0-32
	PACK8(LD_BF16_Y, 1, 16, t8bf16)

// func gemmPackT8F32AVX2(dst, src *float32, stride, chunks int)
TEXT ·gemmPackT8F32AVX2(SB), NOSPLIT, $0-32
	PACK8(LD_F32_Y, 2, 32, t8f32)

// Column-major panel packing: for p < kc, widen one panel row of src (at a
// stride of BX bytes) into 64 or 128 bytes of dst.

// func gemmPackC16F16AVX2(dst *float32, src *uint16, stride, kc int)
TEXT ·gemmPackC16F16AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ stride+16(FP), BX
	SHLQ $1, BX
	MOVQ kc+24(FP), CX

c16h:
	VCVTPH2PS (SI), Y0
	VCVTPH2PS 16(SI), Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      BX, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       c16h
	VZEROUPPER
	RET

// func gemmPackC16BF16AVX2(dst *float32, src *uint16, stride, kc int)
TEXT ·gemmPackC16BF16AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ stride+16(FP), BX
	SHLQ $1, BX
	MOVQ kc+24(FP), CX

c16b:
	VPMOVZXWD (SI), Y0
	VPMOVZXWD 16(SI), Y1
	VPSLLD    $16, Y0, Y0
	VPSLLD    $16, Y1, Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      BX, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       c16b
	VZEROUPPER
	RET

// func gemmPackC32F16AVX512(dst *float32, src *uint16, stride, kc int)
TEXT ·gemmPackC32F16AVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ stride+16(FP), BX
	SHLQ $1, BX
	MOVQ kc+24(FP), CX

c32h:
	VCVTPH2PS (SI), Z0
	VCVTPH2PS 32(SI), Z1
	VMOVUPS   Z0, (DI)
	VMOVUPS   Z1, 64(DI)
	ADDQ      BX, SI
	ADDQ      $128, DI
	DECQ      CX
	JNZ       c32h
	VZEROUPPER
	RET

// func gemmPackC32BF16AVX512(dst *float32, src *uint16, stride, kc int)
TEXT ·gemmPackC32BF16AVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ stride+16(FP), BX
	SHLQ $1, BX
	MOVQ kc+24(FP), CX

c32b:
	VPMOVZXWD (SI), Z0
	VPMOVZXWD 32(SI), Z1
	VPSLLD    $16, Z0, Z0
	VPSLLD    $16, Z1, Z1
	VMOVUPS   Z0, (DI)
	VMOVUPS   Z1, 64(DI)
	ADDQ      BX, SI
	ADDQ      $128, DI
	DECQ      CX
	JNZ       c32b
	VZEROUPPER
	RET
