// What the AVX2 tile kernels share (quant_tile_amd64.s, quant_tilek_amd64.s):
// the multiply kernels' arguments, block step and stores; the packers'
// prologue, the copy of the eight rows' scales and the 8×8 word transpose.

// TILE_MUL_PROLOGUE loads func(tile *byte, nb int, x0, x1, x2, x3 *byte, y
// *[32]float32): SI = tile, CX = nb, DI/R8/R9/R10 = x0..x3, and zeroes the
// accumulators Y0..Y3.
#define TILE_MUL_PROLOGUE \
	MOVQ   tile+0(FP), SI \
	MOVQ   nb+8(FP), CX \
	MOVQ   x0+16(FP), DI \
	MOVQ   x1+24(FP), R8 \
	MOVQ   x2+32(FP), R9 \
	MOVQ   x3+40(FP), R10 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3

// TILE_MUL_STEP moves to the next block (tb bytes of tile, xb of each
// vector) and loops to label while blocks are left.
#define TILE_MUL_STEP(tb, xb, label) \
	ADDQ $tb, SI \
	ADDQ $xb, DI \
	ADDQ $xb, R8 \
	ADDQ $xb, R9 \
	ADDQ $xb, R10 \
	DECQ CX \
	JNZ  label

// TILE_MUL_STORE stores Y0..Y3 (vector v's eight rows) to y[8v:8v+8].
#define TILE_MUL_STORE \
	MOVQ    y+48(FP), AX \
	VMOVUPS Y0, 0(AX) \
	VMOVUPS Y1, 32(AX) \
	VMOVUPS Y2, 64(AX) \
	VMOVUPS Y3, 96(AX) \
	VZEROUPPER \
	RET

// TILE_PACK_PROLOGUE loads func(dst, w *byte, rowBytes, nb int): DI = dst,
// SI = rows 0-3, R8 = rows 4-7, BX = the row stride, DX = 3·stride, CX = nb.
#define TILE_PACK_PROLOGUE \
	MOVQ dst+0(FP), DI \
	MOVQ w+8(FP), SI \
	MOVQ rowBytes+16(FP), BX \
	MOVQ nb+24(FP), CX \
	LEAQ (BX)(BX*2), DX \
	LEAQ (SI)(BX*4), R8

// TILE_SCALES8 copies the f16 at 0 of each row's block to 0..14(DI); AX
// scratch.
#define TILE_SCALES8 \
	MOVW 0(SI), AX \
	MOVW AX, 0(DI) \
	MOVW 0(SI)(BX*1), AX \
	MOVW AX, 2(DI) \
	MOVW 0(SI)(BX*2), AX \
	MOVW AX, 4(DI) \
	MOVW 0(SI)(DX*1), AX \
	MOVW AX, 6(DI) \
	MOVW 0(R8), AX \
	MOVW AX, 8(DI) \
	MOVW 0(R8)(BX*1), AX \
	MOVW AX, 10(DI) \
	MOVW 0(R8)(BX*2), AX \
	MOVW AX, 12(DI) \
	MOVW 0(R8)(DX*1), AX \
	MOVW AX, 14(DI)

// TILE_TRANSPOSE_STORE(P) stores rows Y0..Y7 (eight 32-bit words each: word
// k = values 4k..4k+3) at 32k(P) as chunk k = word k of rows 0..7, the 8×8
// transpose of their words; Y8..Y15 scratch.
#define TILE_TRANSPOSE_STORE(P) \
	VPUNPCKLDQ Y1, Y0, Y8 \
	VPUNPCKHDQ Y1, Y0, Y9 \
	VPUNPCKLDQ Y3, Y2, Y10 \
	VPUNPCKHDQ Y3, Y2, Y11 \
	VPUNPCKLDQ Y5, Y4, Y12 \
	VPUNPCKHDQ Y5, Y4, Y13 \
	VPUNPCKLDQ Y7, Y6, Y14 \
	VPUNPCKHDQ Y7, Y6, Y15 \
	VPUNPCKLQDQ Y10, Y8, Y0 \
	VPUNPCKHQDQ Y10, Y8, Y1 \
	VPUNPCKLQDQ Y11, Y9, Y2 \
	VPUNPCKHQDQ Y11, Y9, Y3 \
	VPUNPCKLQDQ Y14, Y12, Y4 \
	VPUNPCKHQDQ Y14, Y12, Y5 \
	VPUNPCKLQDQ Y15, Y13, Y6 \
	VPUNPCKHQDQ Y15, Y13, Y7 \
	VPERM2I128 $0x20, Y4, Y0, Y8 \
	VPERM2I128 $0x20, Y5, Y1, Y9 \
	VPERM2I128 $0x20, Y6, Y2, Y10 \
	VPERM2I128 $0x20, Y7, Y3, Y11 \
	VPERM2I128 $0x31, Y4, Y0, Y12 \
	VPERM2I128 $0x31, Y5, Y1, Y13 \
	VPERM2I128 $0x31, Y6, Y2, Y14 \
	VPERM2I128 $0x31, Y7, Y3, Y15 \
	VMOVDQU    Y8, 0(P) \
	VMOVDQU    Y9, 32(P) \
	VMOVDQU    Y10, 64(P) \
	VMOVDQU    Y11, 96(P) \
	VMOVDQU    Y12, 128(P) \
	VMOVDQU    Y13, 160(P) \
	VMOVDQU    Y14, 192(P) \
	VMOVDQU    Y15, 224(P)
