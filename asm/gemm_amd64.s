//go:build !purego

#include "textflag.h"

// GEMM micro-kernels: C[MR×NR] += A·B with A packed k-major (MR floats per
// k step) and B packed k-major (NR floats per k step). Registers:
//   CX = k steps left, SI = a, DI = b, DX = c row, R8 = ldc in bytes.
// The accumulators start at zero; after the k loop each row of C is loaded,
// added to and stored back.

// ROW_AVX2 adds broadcast a[i] times the two B vectors into row i's pair.
#define ROW_AVX2(off, acc0, acc1) \
	VBROADCASTSS off(SI), Y14 \
	VFMADD231PS  Y12, Y14, acc0 \
	VFMADD231PS  Y13, Y14, acc1

// STORE_AVX2 adds one accumulator pair into the current C row, then steps
// to the next row.
#define STORE_AVX2(acc0, acc1) \
	VADDPS  (DX), acc0, acc0 \
	VADDPS  32(DX), acc1, acc1 \
	VMOVUPS acc0, (DX) \
	VMOVUPS acc1, 32(DX) \
	ADDQ    R8, DX

// func gemm6x16AVX2(k int, a, b, c *float32, ldc int)
// Accumulators: row i in Y(2i), Y(2i+1); B in Y12, Y13; broadcast in Y14.
TEXT ·gemm6x16AVX2(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

avx2loop:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	ROW_AVX2(0, Y0, Y1)
	ROW_AVX2(4, Y2, Y3)
	ROW_AVX2(8, Y4, Y5)
	ROW_AVX2(12, Y6, Y7)
	ROW_AVX2(16, Y8, Y9)
	ROW_AVX2(20, Y10, Y11)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  avx2loop

	STORE_AVX2(Y0, Y1)
	STORE_AVX2(Y2, Y3)
	STORE_AVX2(Y4, Y5)
	STORE_AVX2(Y6, Y7)
	STORE_AVX2(Y8, Y9)
	STORE_AVX2(Y10, Y11)
	VZEROUPPER
	RET

// ROW_AVX512 multiplies broadcast a[i] by the two B vectors into row i's
// pair (one broadcast load shared by both FMAs).
#define ROW_AVX512(off, acc0, acc1) \
	VBROADCASTSS off(SI), Z18 \
	VFMADD231PS  Z16, Z18, acc0 \
	VFMADD231PS  Z17, Z18, acc1

#define STORE_AVX512(acc0, acc1) \
	VADDPS  (DX), acc0, acc0 \
	VADDPS  64(DX), acc1, acc1 \
	VMOVUPS acc0, (DX) \
	VMOVUPS acc1, 64(DX) \
	ADDQ    R8, DX

// func gemm8x32AVX512(k int, a, b, c *float32, ldc int)
// Accumulators: row i in Z(2i), Z(2i+1); B in Z16, Z17; broadcast in Z18.
TEXT ·gemm8x32AVX512(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

avx512loop:
	VMOVUPS (DI), Z16
	VMOVUPS 64(DI), Z17
	ROW_AVX512(0, Z0, Z1)
	ROW_AVX512(4, Z2, Z3)
	ROW_AVX512(8, Z4, Z5)
	ROW_AVX512(12, Z6, Z7)
	ROW_AVX512(16, Z8, Z9)
	ROW_AVX512(20, Z10, Z11)
	ROW_AVX512(24, Z12, Z13)
	ROW_AVX512(28, Z14, Z15)
	ADDQ $32, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  avx512loop

	STORE_AVX512(Z0, Z1)
	STORE_AVX512(Z2, Z3)
	STORE_AVX512(Z4, Z5)
	STORE_AVX512(Z6, Z7)
	STORE_AVX512(Z8, Z9)
	STORE_AVX512(Z10, Z11)
	STORE_AVX512(Z12, Z13)
	STORE_AVX512(Z14, Z15)
	VZEROUPPER
	RET

#define STORESET_AVX512(acc0, acc1) \
	VMOVUPS acc0, (DX) \
	VMOVUPS acc1, 64(DX) \
	ADDQ    R8, DX

// func gemm8x32SetAVX512(k int, a, b, c *float32, ldc int)
// gemm8x32AVX512 storing A·B over C instead of adding it.
// Accumulators: row i in Z(2i), Z(2i+1); B in Z16, Z17; broadcast in Z18.
TEXT ·gemm8x32SetAVX512(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

avx512setloop:
	VMOVUPS (DI), Z16
	VMOVUPS 64(DI), Z17
	ROW_AVX512(0, Z0, Z1)
	ROW_AVX512(4, Z2, Z3)
	ROW_AVX512(8, Z4, Z5)
	ROW_AVX512(12, Z6, Z7)
	ROW_AVX512(16, Z8, Z9)
	ROW_AVX512(20, Z10, Z11)
	ROW_AVX512(24, Z12, Z13)
	ROW_AVX512(28, Z14, Z15)
	ADDQ $32, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  avx512setloop

	STORESET_AVX512(Z0, Z1)
	STORESET_AVX512(Z2, Z3)
	STORESET_AVX512(Z4, Z5)
	STORESET_AVX512(Z6, Z7)
	STORESET_AVX512(Z8, Z9)
	STORESET_AVX512(Z10, Z11)
	STORESET_AVX512(Z12, Z13)
	STORESET_AVX512(Z14, Z15)
	VZEROUPPER
	RET

