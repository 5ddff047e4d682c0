//go:build !purego

#include "textflag.h"
#include "hsum_amd64.h"

// AVX2 weight rows against one, two or three activation vectors: the decode
// matvec (one vector) and the guided or batched step (two or three vectors,
// each weight read once for all of them). y_v[r] = dot(w[r*stride:], x_v)
// over the first n elements, for r < m; n is a multiple of 8 and > 0, m > 0.
//
// Every variant computes each vector's sum the same way, so a result has
// the same bits whichever kernel produced it: vector i of eight weights
// (elements 8i..8i+7) goes into accumulator i mod 4 for the whole 32-element
// steps, the leftover vectors (n mod 32) into accumulator 0, and the four
// are added as (a0+a1)+(a2+a3) before the horizontal sum.
//
// The rows are walked one after the other, so contiguous rows are read as
// one linear stream (see rows_amd64.s). The *Pf variants add a software
// prefetch 1 KiB ahead of the loads, one per cache line: on AMD Zen 3 it
// raised a single core's matvec from ~72 % to ~85 % of its plain read
// bandwidth (asm/rows_prefetch.go says where it is used). x stays in L1.
//
// Registers: SI = current row, BX = row stride in bytes, CX = n,
// DX = n rounded down to 32 (64 for one vector), AX = element index,
// DI/R8/R9 = x0/x1/x2, R11/R14/R10 = next output of y0/y1/y2, R12 = rows
// left; Y0-Y3, Y4-Y7, Y8-Y11 accumulate x0, x1, x2; Y12-Y15 hold weights.

#define LDF32(off, dst) VMOVUPS off(SI)(AX*4), dst
#define LDF16(off, dst) VCVTPH2PS off(SI)(AX*2), dst
#define LDBF16(off, dst) VPMOVZXWD off(SI)(AX*2), dst; VPSLLD $16, dst, dst

// Prefetches for one 32-element step: 64 bytes of 16-bit weights, 128 of f32.
#define NOPF
#define PF16 PREFETCHT0 1024(SI)(AX*2)
#define PF32 PREFETCHT0 1024(SI)(AX*4); PREFETCHT0 1088(SI)(AX*4)

#define ARGS_COMMON(shift) \
	MOVQ w+0(FP), SI \
	MOVQ stride+8(FP), BX \
	SHLQ $shift, BX

// FOUR loads weight vectors k..k+3 of the step at AX (k = 0 or 4 as byte
// offset base) into Y12-Y15.
#define FOUR(LOAD, ws, base) \
	LOAD(base, Y12) \
	LOAD(base+ws, Y13) \
	LOAD(base+2*ws, Y14) \
	LOAD(base+3*ws, Y15)

// FMA4(ptr, xoff, a0..a3) adds Y12-Y15 times x at ptr+xoff into a0..a3.
#define FMA4(ptr, xoff, A0, A1, A2, A3) \
	VFMADD231PS xoff(ptr)(AX*4), Y12, A0 \
	VFMADD231PS xoff+32(ptr)(AX*4), Y13, A1 \
	VFMADD231PS xoff+64(ptr)(AX*4), Y14, A2 \
	VFMADD231PS xoff+96(ptr)(AX*4), Y15, A3

// REDUCE(a0..a3) leaves (a0+a1)+(a2+a3), summed across lanes, in X0.
#define REDUCE(A0, A1, A2, A3) \
	VADDPS A1, A0, A0 \
	VADDPS A3, A2, A2 \
	VADDPS A2, A0, Y0 \
	HSUM_Y0

#define ZERO4(A0, A1, A2, A3) \
	VXORPS A0, A0, A0 \
	VXORPS A1, A1, A1 \
	VXORPS A2, A2, A2 \
	VXORPS A3, A3, A3

// ROWS1: one vector; the main loop takes two steps (64 elements) per
// iteration, then at most one more step, then single vectors.
#define ROWS1(LOAD, ws, shift, PF) \
	ARGS_COMMON(shift) \
	MOVQ x+16(FP), DI \
	MOVQ n+24(FP), CX \
	MOVQ y+32(FP), R11 \
	MOVQ m+40(FP), R12 \
	MOVQ CX, DX \
	ANDQ $-64, DX \
row1: \
	XORQ AX, AX \
	ZERO4(Y0, Y1, Y2, Y3) \
	CMPQ DX, $0 \
	JE   step1 \
loop1: \
	PF \
	FOUR(LOAD, ws, 0) \
	FMA4(DI, 0, Y0, Y1, Y2, Y3) \
	ADDQ $32, AX \
	PF \
	FOUR(LOAD, ws, 0) \
	FMA4(DI, 0, Y0, Y1, Y2, Y3) \
	ADDQ $32, AX \
	CMPQ AX, DX \
	JLT  loop1 \
step1: \
	LEAQ 32(AX), R13 \
	CMPQ R13, CX \
	JGT  one1 \
	FOUR(LOAD, ws, 0) \
	FMA4(DI, 0, Y0, Y1, Y2, Y3) \
	MOVQ R13, AX \
one1: \
	CMPQ AX, CX \
	JGE  done1 \
	LOAD(0, Y12) \
	VFMADD231PS (DI)(AX*4), Y12, Y0 \
	ADDQ $8, AX \
	JMP  one1 \
done1: \
	REDUCE(Y0, Y1, Y2, Y3) \
	VMOVSS X0, (R11) \
	ADDQ   $4, R11 \
	ADDQ   BX, SI \
	DECQ   R12 \
	JNZ    row1 \
	VZEROUPPER \
	RET

// ROWS2: two vectors, one 32-element step per iteration.
#define ROWS2(LOAD, ws, shift, PF) \
	ARGS_COMMON(shift) \
	MOVQ x0+16(FP), DI \
	MOVQ x1+24(FP), R8 \
	MOVQ n+32(FP), CX \
	MOVQ y0+40(FP), R11 \
	MOVQ y1+48(FP), R14 \
	MOVQ m+56(FP), R12 \
	MOVQ CX, DX \
	ANDQ $-32, DX \
row2: \
	XORQ AX, AX \
	ZERO4(Y0, Y1, Y2, Y3) \
	ZERO4(Y4, Y5, Y6, Y7) \
	CMPQ DX, $0 \
	JE   one2 \
loop2: \
	PF \
	FOUR(LOAD, ws, 0) \
	FMA4(DI, 0, Y0, Y1, Y2, Y3) \
	FMA4(R8, 0, Y4, Y5, Y6, Y7) \
	ADDQ $32, AX \
	CMPQ AX, DX \
	JLT  loop2 \
one2: \
	CMPQ AX, CX \
	JGE  done2 \
	LOAD(0, Y12) \
	VFMADD231PS (DI)(AX*4), Y12, Y0 \
	VFMADD231PS (R8)(AX*4), Y12, Y4 \
	ADDQ $8, AX \
	JMP  one2 \
done2: \
	REDUCE(Y0, Y1, Y2, Y3) \
	VMOVSS X0, (R11) \
	REDUCE(Y4, Y5, Y6, Y7) \
	VMOVSS X0, (R14) \
	ADDQ   $4, R11 \
	ADDQ   $4, R14 \
	ADDQ   BX, SI \
	DECQ   R12 \
	JNZ    row2 \
	VZEROUPPER \
	RET

// ROWS3: three vectors, one 32-element step per iteration.
#define ROWS3(LOAD, ws, shift, PF) \
	ARGS_COMMON(shift) \
	MOVQ x0+16(FP), DI \
	MOVQ x1+24(FP), R8 \
	MOVQ x2+32(FP), R9 \
	MOVQ n+40(FP), CX \
	MOVQ y0+48(FP), R11 \
	MOVQ y1+56(FP), R14 \
	MOVQ y2+64(FP), R10 \
	MOVQ m+72(FP), R12 \
	MOVQ CX, DX \
	ANDQ $-32, DX \
row3: \
	XORQ AX, AX \
	ZERO4(Y0, Y1, Y2, Y3) \
	ZERO4(Y4, Y5, Y6, Y7) \
	ZERO4(Y8, Y9, Y10, Y11) \
	CMPQ DX, $0 \
	JE   one3 \
loop3: \
	PF \
	FOUR(LOAD, ws, 0) \
	FMA4(DI, 0, Y0, Y1, Y2, Y3) \
	FMA4(R8, 0, Y4, Y5, Y6, Y7) \
	FMA4(R9, 0, Y8, Y9, Y10, Y11) \
	ADDQ $32, AX \
	CMPQ AX, DX \
	JLT  loop3 \
one3: \
	CMPQ AX, CX \
	JGE  done3 \
	LOAD(0, Y12) \
	VFMADD231PS (DI)(AX*4), Y12, Y0 \
	VFMADD231PS (R8)(AX*4), Y12, Y4 \
	VFMADD231PS (R9)(AX*4), Y12, Y8 \
	ADDQ $8, AX \
	JMP  one3 \
done3: \
	REDUCE(Y0, Y1, Y2, Y3) \
	VMOVSS X0, (R11) \
	REDUCE(Y4, Y5, Y6, Y7) \
	VMOVSS X0, (R14) \
	REDUCE(Y8, Y9, Y10, Y11) \
	VMOVSS X0, (R10) \
	ADDQ   $4, R11 \
	ADDQ   $4, R14 \
	ADDQ   $4, R10 \
	ADDQ   BX, SI \
	DECQ   R12 \
	JNZ    row3 \
	VZEROUPPER \
	RET

// func rowsF32AVX2(w *float32, stride int, x *float32, n int, y *float32, m int)
TEXT ·rowsF32AVX2(SB), NOSPLIT, $0-48
	ROWS1(LDF32, 32, 2, NOPF)

// func rowsF16AVX2(w *uint16, stride int, x *float32, n int, y *float32, m int)
TEXT ·rowsF16AVX2(SB), NOSPLIT, $0-48
	ROWS1(LDF16, 16, 1, NOPF)

// func rowsBF16AVX2(w *uint16, stride int, x *float32, n int, y *float32, m int)
TEXT ·rowsBF16AVX2(SB), NOSPLIT, $0-48
	ROWS1(LDBF16, 16, 1, NOPF)

// func rowsF32PfAVX2(w *float32, stride int, x *float32, n int, y *float32, m int)
TEXT ·rowsF32PfAVX2(SB), NOSPLIT, $0-48
	ROWS1(LDF32, 32, 2, PF32)

// func rowsF16PfAVX2(w *uint16, stride int, x *float32, n int, y *float32, m int)
TEXT ·rowsF16PfAVX2(SB), NOSPLIT, $0-48
	ROWS1(LDF16, 16, 1, PF16)

// func rowsBF16PfAVX2(w *uint16, stride int, x *float32, n int, y *float32, m int)
TEXT ·rowsBF16PfAVX2(SB), NOSPLIT, $0-48
	ROWS1(LDBF16, 16, 1, PF16)

// func rows2F32AVX2(w *float32, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)
TEXT ·rows2F32AVX2(SB), NOSPLIT, $0-64
	ROWS2(LDF32, 32, 2, NOPF)

// func rows2F16AVX2(w *uint16, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)
TEXT ·rows2F16AVX2(SB), NOSPLIT, $0-64
	ROWS2(LDF16, 16, 1, NOPF)

// func rows2BF16AVX2(w *uint16, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)
TEXT ·rows2BF16AVX2(SB), NOSPLIT, $0-64
	ROWS2(LDBF16, 16, 1, NOPF)

// func rows2F32PfAVX2(w *float32, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)
TEXT ·rows2F32PfAVX2(SB), NOSPLIT, $0-64
	ROWS2(LDF32, 32, 2, PF32)

// func rows2F16PfAVX2(w *uint16, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)
TEXT ·rows2F16PfAVX2(SB), NOSPLIT, $0-64
	ROWS2(LDF16, 16, 1, PF16)

// func rows2BF16PfAVX2(w *uint16, stride int, x0, x1 *float32, n int, y0, y1 *float32, m int)
TEXT ·rows2BF16PfAVX2(SB), NOSPLIT, $0-64
	ROWS2(LDBF16, 16, 1, PF16)

// func rows3F32AVX2(w *float32, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)
TEXT ·rows3F32AVX2(SB), NOSPLIT, $0-80
	ROWS3(LDF32, 32, 2, NOPF)

// func rows3F16AVX2(w *uint16, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)
TEXT ·rows3F16AVX2(SB), NOSPLIT, $0-80
	ROWS3(LDF16, 16, 1, NOPF)

// func rows3BF16AVX2(w *uint16, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)
TEXT ·rows3BF16AVX2(SB), NOSPLIT, $0-80
	ROWS3(LDBF16, 16, 1, NOPF)

// func rows3F32PfAVX2(w *float32, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)
TEXT ·rows3F32PfAVX2(SB), NOSPLIT, $0-80
	ROWS3(LDF32, 32, 2, PF32)

// func rows3F16PfAVX2(w *uint16, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)
TEXT ·rows3F16PfAVX2(SB), NOSPLIT, $0-80
	ROWS3(LDF16, 16, 1, PF16)

// func rows3BF16PfAVX2(w *uint16, stride int, x0, x1, x2 *float32, n int, y0, y1, y2 *float32, m int)
TEXT ·rows3BF16PfAVX2(SB), NOSPLIT, $0-80
	ROWS3(LDBF16, 16, 1, PF16)
