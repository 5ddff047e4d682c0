//go:build !purego

#include "textflag.h"

// NEON kernels for the block-quantized formats (quant.go has the layouts):
// one weight row against quantized activations, and the q8_0/q8_K
// activation quantizers. Every dot kernel exists twice, from one macro:
// with SDOT (FEAT_DotProd, ARMv8.2+) and with ARMv8.0 widening multiplies
// (SMULL/SMLAL2 into int16 lanes, SADDLP/SADALP into int32), for cores such
// as the Cortex-A57 that have no dot-product instructions.
//
// Shape of the dot kernels: func(w, x *byte, nb int) float32, R0 the weight
// blocks, R1 the activation blocks, R2 the block count (>= 1). A block's
// integer products are summed exactly in int32 lanes (sub-block sums times
// their integer scales for the K types); the lanes are converted once per
// block and added to float32 lane accumulators with FMLA by the block's
// scale (d_w*d_x), and the lanes are summed at the end: the generic twin's
// arithmetic up to the order of the float32 additions.
//
// int16 headroom of the ARMv8.0 flavour: activations are never -128
// (quant.go), so a product is at most 128*127 for Q8_0 weights (two per
// int16 lane, DOT32W) and at most 63*127 for every other format (four per
// lane for 32 values, DOT32; two for 16, DOT16): all below 32768.

// Instructions the Go assembler does not know, by encoding (registers are
// numbers; checked against llvm-mc).
#define VZERO(d) WORD $(0x6F00E400 | (d))                                   // MOVI Vd.2D, #0
#define SDOT(d, n, m) WORD $(0x4E809400 | (m)<<16 | (n)<<5 | (d))           // SDOT Vd.4S, Vn.16B, Vm.16B
#define SMULL_8H(d, n, m) WORD $(0x0E20C000 | (m)<<16 | (n)<<5 | (d))       // SMULL Vd.8H, Vn.8B, Vm.8B
#define SMLAL_8H(d, n, m) WORD $(0x0E208000 | (m)<<16 | (n)<<5 | (d))       // SMLAL Vd.8H, Vn.8B, Vm.8B
#define SMLAL2_8H(d, n, m) WORD $(0x4E208000 | (m)<<16 | (n)<<5 | (d))      // SMLAL2 Vd.8H, Vn.16B, Vm.16B
#define SMULL_4S(d, n, m) WORD $(0x0E60C000 | (m)<<16 | (n)<<5 | (d))       // SMULL Vd.4S, Vn.4H, Vm.4H
#define SMLAL_4S(d, n, m) WORD $(0x0E608000 | (m)<<16 | (n)<<5 | (d))       // SMLAL Vd.4S, Vn.4H, Vm.4H
#define SMLAL2_4S(d, n, m) WORD $(0x4E608000 | (m)<<16 | (n)<<5 | (d))      // SMLAL2 Vd.4S, Vn.8H, Vm.8H
#define SADDLP_4S(d, n) WORD $(0x4E602800 | (n)<<5 | (d))                   // SADDLP Vd.4S, Vn.8H
#define SADALP_4S(d, n) WORD $(0x4E606800 | (n)<<5 | (d))                   // SADALP Vd.4S, Vn.8H
#define ADDP_8H(d, n, m) WORD $(0x4E60BC00 | (m)<<16 | (n)<<5 | (d))        // ADDP Vd.8H, Vn.8H, Vm.8H
#define ADD_8H(d, n, m) WORD $(0x4E608400 | (m)<<16 | (n)<<5 | (d))         // ADD Vd.8H, Vn.8H, Vm.8H
#define ADDV_8H(d, n) WORD $(0x4E71B800 | (n)<<5 | (d))                     // ADDV Hd, Vn.8H
#define SXTL_8H(d, n) WORD $(0x0F08A400 | (n)<<5 | (d))                     // SXTL Vd.8H, Vn.8B
#define SXTL2_8H(d, n) WORD $(0x4F08A400 | (n)<<5 | (d))                    // SXTL2 Vd.8H, Vn.16B
#define SXTL_4S(d, n) WORD $(0x0F10A400 | (n)<<5 | (d))                     // SXTL Vd.4S, Vn.4H
#define SXTL2_4S(d, n) WORD $(0x4F10A400 | (n)<<5 | (d))                    // SXTL2 Vd.4S, Vn.8H
#define MLA_ELEM(d, n, m, i) WORD $(0x6F800000 | ((i)&1)<<21 | ((i)>>1)<<11 | (m)<<16 | (n)<<5 | (d)) // MLA Vd.4S, Vn.4S, Vm.S[i]
#define SCVTF_4S(d, n) WORD $(0x4E21D800 | (n)<<5 | (d))                    // SCVTF Vd.4S, Vn.4S
#define FCVTNS_4S(d, n) WORD $(0x4E21A800 | (n)<<5 | (d))                   // FCVTNS Vd.4S, Vn.4S (ties to even)
#define FMLA_ELEM(d, n, m, i) WORD $(0x4F801000 | ((i)&1)<<21 | ((i)>>1)<<11 | (m)<<16 | (n)<<5 | (d)) // FMLA Vd.4S, Vn.4S, Vm.S[i]
#define FMUL_ELEM(d, n, m, i) WORD $(0x4F809000 | ((i)&1)<<21 | ((i)>>1)<<11 | (m)<<16 | (n)<<5 | (d)) // FMUL Vd.4S, Vn.4S, Vm.S[i]
#define FADD_4S(d, n, m) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))        // FADD Vd.4S, Vn.4S, Vm.4S
#define FSUB_4S(d, n, m) WORD $(0x4EA0D400 | (m)<<16 | (n)<<5 | (d))        // FSUB Vd.4S, Vn.4S, Vm.4S
#define FADDP_4S(d, n, m) WORD $(0x6E20D400 | (m)<<16 | (n)<<5 | (d))       // FADDP Vd.4S, Vn.4S, Vm.4S
#define FABS_4S(d, n) WORD $(0x4EA0F800 | (n)<<5 | (d))                     // FABS Vd.4S, Vn.4S
#define FMAX_4S(d, n, m) WORD $(0x4E20F400 | (m)<<16 | (n)<<5 | (d))        // FMAX Vd.4S, Vn.4S, Vm.4S
#define FMIN_4S(d, n, m) WORD $(0x4EA0F400 | (m)<<16 | (n)<<5 | (d))        // FMIN Vd.4S, Vn.4S, Vm.4S
#define FMAXV(d, n) WORD $(0x6E30F800 | (n)<<5 | (d))                       // FMAXV Sd, Vn.4S
#define FMINV(d, n) WORD $(0x6EB0F800 | (n)<<5 | (d))                       // FMINV Sd, Vn.4S
#define SQXTN_4H(d, n) WORD $(0x0E614800 | (n)<<5 | (d))                    // SQXTN Vd.4H, Vn.4S
#define SQXTN2_8H(d, n) WORD $(0x4E614800 | (n)<<5 | (d))                   // SQXTN2 Vd.8H, Vn.4S
#define SQXTN_8B(d, n) WORD $(0x0E214800 | (n)<<5 | (d))                    // SQXTN Vd.8B, Vn.8H
#define SQXTN2_16B(d, n) WORD $(0x4E214800 | (n)<<5 | (d))                  // SQXTN2 Vd.16B, Vn.8H

// Integer dot products, into int32x4 V(d) whose lanes sum to the result.
// DOT32*: 32 products, weights V(a), V(b) against activations V(x0), V(x1);
// t is a scratch register (DOT32W_V80 only). DOT16: 16 products.
#define DOT32_SDOT(d, a, b, x0, x1, t) \
	VZERO(d) \
	SDOT(d, a, x0) \
	SDOT(d, b, x1)

#define DOT32W_V80(d, a, b, x0, x1, t) \
	SMULL_8H(d, a, x0) \
	SMLAL2_8H(d, a, x0) \
	SMULL_8H(t, b, x1) \
	SMLAL2_8H(t, b, x1) \
	SADDLP_4S(d, d) \
	SADALP_4S(d, t)

#define DOT32_V80(d, a, b, x0, x1, t) \
	SMULL_8H(d, a, x0) \
	SMLAL2_8H(d, a, x0) \
	SMLAL_8H(d, b, x1) \
	SMLAL2_8H(d, b, x1) \
	SADDLP_4S(d, d)

#define DOT16_SDOT(d, a, x0) \
	VZERO(d) \
	SDOT(d, a, x0)

#define DOT16_V80(d, a, x0) \
	SMULL_8H(d, a, x0) \
	SMLAL2_8H(d, a, x0) \
	SADDLP_4S(d, d)

// F16SCALE loads the f16 at off(base) into Fdst as float32, via Rt.
#define F16SCALE(off, base, Rt, Fdst) \
	MOVHU off(base), Rt \
	FMOVS Rt, Fdst \
	FCVTHS Fdst, Fdst

// HSUM30 stores the sum of V30's lanes, (l0+l1)+(l2+l3), as the result.
#define HSUM30 \
	FADDP_4S(30, 30, 30) \
	FADDP_4S(30, 30, 30) \
	FMOVS F30, ret+24(FP)

// The 32-value formats against q8_0 (34-byte blocks: d, then 32 int8 at
// +2). Q8W and Q4W leave the block's weights in V0, V1 and its scale in F4,
// advancing R0; BLK32 finishes the block into accumulator acc (V30 or V31:
// two blocks per iteration keep two FMLA chains in flight).
#define Q8W \
	F16SCALE(0, R0, R3, F4) \
	ADD  $2, R0 \
	VLD1.P 32(R0), [V0.B16, V1.B16]

// Q4_0: 18-byte blocks, value j in the low nibble of byte j, j+16 in the
// high one, minus 8 (V28 = 0x08, V29 = 0x0F).
#define Q4W \
	F16SCALE(0, R0, R3, F4) \
	ADD  $2, R0 \
	VLD1.P 16(R0), [V8.B16] \
	VAND V29.B16, V8.B16, V0.B16 \
	VUSHR $4, V8.B16, V1.B16 \
	VSUB V28.B16, V0.B16, V0.B16 \
	VSUB V28.B16, V1.B16, V1.B16

#define BLK32(WEIGHTS, DOT32, acc) \
	WEIGHTS \
	F16SCALE(0, R1, R4, F5) \
	ADD  $2, R1 \
	VLD1.P 32(R1), [V2.B16, V3.B16] \
	FMULS F5, F4, F4 \
	DOT32(6, 0, 1, 2, 3, 7) \
	SCVTF_4S(6, 6) \
	FMLA_ELEM(acc, 6, 4, 0)

#define DOT_Q8_0_KERNEL(name, WEIGHTS, DOT32) \
TEXT name(SB), NOSPLIT|NOFRAME, $0-28 \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD nb+16(FP), R2 \
	VMOVI $8, V28.B16 \
	VMOVI $15, V29.B16 \
	VZERO(30) \
	VZERO(31) \
	CMP  $2, R2 \
	BLT  tail \
loop2: \
	BLK32(WEIGHTS, DOT32, 30) \
	BLK32(WEIGHTS, DOT32, 31) \
	SUB  $2, R2 \
	CMP  $2, R2 \
	BGE  loop2 \
tail: \
	CBZ  R2, done \
	BLK32(WEIGHTS, DOT32, 30) \
done: \
	FADD_4S(30, 30, 31) \
	HSUM30 \
	RET

// func dotQ8_0SDOT(w, x *byte, nb int) float32
DOT_Q8_0_KERNEL(·dotQ8_0SDOT, Q8W, DOT32_SDOT)

// func dotQ8_0V80(w, x *byte, nb int) float32
DOT_Q8_0_KERNEL(·dotQ8_0V80, Q8W, DOT32W_V80)

// func dotQ4_0SDOT(w, x *byte, nb int) float32
DOT_Q8_0_KERNEL(·dotQ4_0SDOT, Q4W, DOT32_SDOT)

// func dotQ4_0V80(w, x *byte, nb int) float32
DOT_Q8_0_KERNEL(·dotQ4_0V80, Q4W, DOT32_V80)

// The K types against q8_K (292-byte blocks: d f32, 256 int8 at +4, 16
// int16 sums of 16 at +260). Per block: F31 = d_w*d_x (V31: above the
// registers the values pass through), V12 the int32 lanes of
// sum(scale_j * dot_j), added to V30 by F31.

// Q4_K/Q5_K block head: F31 = d*dx, F4 = dmin*dx (used here only), the eight 6-bit scales
// as int32 in V23 (0..3) and V24 (4..7); the min term, sum over j of
// min_j * (bsums 2j and 2j+1), is added to V27 by F4 (and V27 subtracted
// from V30 at the end).
// ggml's get_scale_min_k4 in four 32-bit words: scales 0..3 = u0&63,
// mins 0..3 = u1&63, scales 4..7 = (u2&15) | (u0>>6)<<4, mins 4..7 =
// (u2>>4) | (u1>>6)<<4, byte by byte.
#define KHEAD \
	FMOVS (R1), F5 \
	F16SCALE(0, R0, R3, F31) \
	F16SCALE(2, R0, R4, F4) \
	FMULS F5, F31, F31 \
	FMULS F5, F4, F4 \
	MOVWU 4(R0), R5 \
	MOVWU 8(R0), R6 \
	MOVWU 12(R0), R7 \
	ANDW $0x3f3f3f3f, R5, R8 \
	ANDW $0x3f3f3f3f, R6, R9 \
	LSRW $6, R5, R10 \
	ANDW $0x03030303, R10, R10 \
	ANDW $0x0f0f0f0f, R7, R11 \
	ORRW R10<<4, R11, R11 \
	LSRW $6, R6, R10 \
	ANDW $0x03030303, R10, R10 \
	LSRW $4, R7, R12 \
	ANDW $0x0f0f0f0f, R12, R12 \
	ORRW R10<<4, R12, R12 \
	ORR  R11<<32, R8, R8 \
	ORR  R12<<32, R9, R9 \
	VMOV R8, V20.D[0] \
	VMOV R9, V20.D[1] \
	VUXTL V20.B8, V21.H8 \
	VUXTL2 V20.B16, V22.H8 \
	VUXTL V21.H4, V23.S4 \
	VUXTL2 V21.H8, V24.S4 \
	ADD  $260, R1, R13 \
	VLD1 (R13), [V16.H8, V17.H8] \
	ADDP_8H(18, 16, 17) \
	SMULL_4S(19, 18, 22) \
	SMLAL2_4S(19, 18, 22) \
	SCVTF_4S(19, 19) \
	FMLA_ELEM(27, 19, 4, 0) \
	VZERO(12)

// Q4_K: 64 values (32 bytes of qs at R14, 64 activations at R15): the low
// nibbles are sub-block 2c (scale V(sreg).S[l0]), the high ones 2c+1.
#define CHUNK_Q4K(DOT32, sreg, l0, l1) \
	VLD1.P 32(R14), [V0.B16, V1.B16] \
	VLD1.P 64(R15), [V2.B16, V3.B16, V4.B16, V5.B16] \
	VAND V29.B16, V0.B16, V6.B16 \
	VAND V29.B16, V1.B16, V7.B16 \
	VUSHR $4, V0.B16, V8.B16 \
	VUSHR $4, V1.B16, V9.B16 \
	DOT32(10, 6, 7, 2, 3, 13) \
	DOT32(11, 8, 9, 4, 5, 14) \
	MLA_ELEM(12, 10, sreg, l0) \
	MLA_ELEM(12, 11, sreg, l1)

// Q5_K: as Q4_K, with the fifth bits from qh (V25, V26, shifted right by
// two per chunk): bit 2c of qh[l] tops value l of sub-block 2c, bit 2c+1
// value l of 2c+1 (V28 = 0x10).
#define CHUNK_Q5K(DOT32, sreg, l0, l1) \
	VLD1.P 32(R14), [V0.B16, V1.B16] \
	VLD1.P 64(R15), [V2.B16, V3.B16, V4.B16, V5.B16] \
	VAND V29.B16, V0.B16, V6.B16 \
	VAND V29.B16, V1.B16, V7.B16 \
	VUSHR $4, V0.B16, V8.B16 \
	VUSHR $4, V1.B16, V9.B16 \
	VSHL $4, V25.B16, V16.B16 \
	VSHL $4, V26.B16, V17.B16 \
	VSHL $3, V25.B16, V18.B16 \
	VSHL $3, V26.B16, V19.B16 \
	VAND V28.B16, V16.B16, V16.B16 \
	VAND V28.B16, V17.B16, V17.B16 \
	VAND V28.B16, V18.B16, V18.B16 \
	VAND V28.B16, V19.B16, V19.B16 \
	VORR V16.B16, V6.B16, V6.B16 \
	VORR V17.B16, V7.B16, V7.B16 \
	VORR V18.B16, V8.B16, V8.B16 \
	VORR V19.B16, V9.B16, V9.B16 \
	VUSHR $2, V25.B16, V25.B16 \
	VUSHR $2, V26.B16, V26.B16 \
	DOT32(10, 6, 7, 2, 3, 13) \
	DOT32(11, 8, 9, 4, 5, 14) \
	MLA_ELEM(12, 10, sreg, l0) \
	MLA_ELEM(12, 11, sreg, l1)

// KTAIL adds the block's V12 to V30 by F31 and steps to the next blocks;
// KRESULT subtracts the min term and returns.
#define KTAIL(wbytes) \
	SCVTF_4S(12, 12) \
	FMLA_ELEM(30, 12, 31, 0) \
	ADD  $wbytes, R0 \
	ADD  $292, R1 \
	SUBS $1, R2 \
	BNE  loop

#define KRESULT \
	FSUB_4S(30, 30, 27) \
	HSUM30 \
	RET

#define DOT_Q4_K_KERNEL(name, DOT32) \
TEXT name(SB), NOSPLIT|NOFRAME, $0-28 \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD nb+16(FP), R2 \
	VMOVI $15, V29.B16 \
	VZERO(27) \
	VZERO(30) \
loop: \
	KHEAD \
	ADD  $16, R0, R14 \
	ADD  $4, R1, R15 \
	CHUNK_Q4K(DOT32, 23, 0, 1) \
	CHUNK_Q4K(DOT32, 23, 2, 3) \
	CHUNK_Q4K(DOT32, 24, 0, 1) \
	CHUNK_Q4K(DOT32, 24, 2, 3) \
	KTAIL(144) \
	KRESULT

#define DOT_Q5_K_KERNEL(name, DOT32) \
TEXT name(SB), NOSPLIT|NOFRAME, $0-28 \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD nb+16(FP), R2 \
	VMOVI $16, V28.B16 \
	VMOVI $15, V29.B16 \
	VZERO(27) \
	VZERO(30) \
loop: \
	KHEAD \
	ADD  $16, R0, R14 \
	VLD1.P 32(R14), [V25.B16, V26.B16] \
	ADD  $4, R1, R15 \
	CHUNK_Q5K(DOT32, 23, 0, 1) \
	CHUNK_Q5K(DOT32, 23, 2, 3) \
	CHUNK_Q5K(DOT32, 24, 0, 1) \
	CHUNK_Q5K(DOT32, 24, 2, 3) \
	KTAIL(176) \
	KRESULT

// func dotQ4_KSDOT(w, x *byte, nb int) float32
DOT_Q4_K_KERNEL(·dotQ4_KSDOT, DOT32_SDOT)

// func dotQ4_KV80(w, x *byte, nb int) float32
DOT_Q4_K_KERNEL(·dotQ4_KV80, DOT32_V80)

// func dotQ5_KSDOT(w, x *byte, nb int) float32
DOT_Q5_K_KERNEL(·dotQ5_KSDOT, DOT32_SDOT)

// func dotQ5_KV80(w, x *byte, nb int) float32
DOT_Q5_K_KERNEL(·dotQ5_KV80, DOT32_V80)

// Q6_K: 210-byte blocks. Each half of 128 values has 64 bytes of ql (R6)
// and 32 of qh (R7); value 32k+l of the half is the low (k < 2) or high
// nibble of ql[l + 32*(k&1)] with bits 2k, 2k+1 of qh[l] as bits 4, 5
// (V28 = 0x30, V29 = 0x0F). The values are used unsigned (0..63) and the
// offset comes back once per block: 32 * sum_g(scale_g * bsum_g), in V18.
// Q6GROUP takes the 32 values in V8, V9 with their qh bits in V6, V7.
#define Q6GROUP(DOT16, sreg, l0, l1) \
	VAND V28.B16, V6.B16, V6.B16 \
	VAND V28.B16, V7.B16, V7.B16 \
	VORR V6.B16, V8.B16, V8.B16 \
	VORR V7.B16, V9.B16, V9.B16 \
	VLD1.P 32(R8), [V10.B16, V11.B16] \
	DOT16(13, 8, 10) \
	DOT16(14, 9, 11) \
	MLA_ELEM(12, 13, sreg, l0) \
	MLA_ELEM(12, 14, sreg, l1)

#define HALF_Q6K(DOT16, sa, sb) \
	VLD1.P 64(R6), [V0.B16, V1.B16, V2.B16, V3.B16] \
	VLD1.P 32(R7), [V4.B16, V5.B16] \
	VAND V29.B16, V0.B16, V8.B16 \
	VAND V29.B16, V1.B16, V9.B16 \
	VSHL $4, V4.B16, V6.B16 \
	VSHL $4, V5.B16, V7.B16 \
	Q6GROUP(DOT16, sa, 0, 1) \
	VAND V29.B16, V2.B16, V8.B16 \
	VAND V29.B16, V3.B16, V9.B16 \
	VSHL $2, V4.B16, V6.B16 \
	VSHL $2, V5.B16, V7.B16 \
	Q6GROUP(DOT16, sa, 2, 3) \
	VUSHR $4, V0.B16, V8.B16 \
	VUSHR $4, V1.B16, V9.B16 \
	VORR V4.B16, V4.B16, V6.B16 \
	VORR V5.B16, V5.B16, V7.B16 \
	Q6GROUP(DOT16, sb, 0, 1) \
	VUSHR $4, V2.B16, V8.B16 \
	VUSHR $4, V3.B16, V9.B16 \
	VUSHR $2, V4.B16, V6.B16 \
	VUSHR $2, V5.B16, V7.B16 \
	Q6GROUP(DOT16, sb, 2, 3)

#define DOT_Q6_K_KERNEL(name, DOT16) \
TEXT name(SB), NOSPLIT|NOFRAME, $0-28 \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD nb+16(FP), R2 \
	VMOVI $48, V28.B16 \
	VMOVI $15, V29.B16 \
	VZERO(30) \
loop: \
	F16SCALE(208, R0, R3, F31) \
	FMOVS (R1), F5 \
	FMULS F5, F31, F31 \
	ADD  $192, R0, R4 \
	VLD1 (R4), [V20.B16] \
	SXTL_8H(21, 20) \
	SXTL2_8H(22, 20) \
	SXTL_4S(23, 21) \
	SXTL2_4S(24, 21) \
	SXTL_4S(25, 22) \
	SXTL2_4S(26, 22) \
	ADD  $260, R1, R5 \
	VLD1 (R5), [V16.H8, V17.H8] \
	SMULL_4S(18, 16, 21) \
	SMLAL2_4S(18, 16, 21) \
	SMLAL_4S(18, 17, 22) \
	SMLAL2_4S(18, 17, 22) \
	VSHL $5, V18.S4, V18.S4 \
	VZERO(12) \
	MOVD R0, R6 \
	ADD  $128, R0, R7 \
	ADD  $4, R1, R8 \
	HALF_Q6K(DOT16, 23, 24) \
	HALF_Q6K(DOT16, 25, 26) \
	VSUB V18.S4, V12.S4, V12.S4 \
	KTAIL(210) \
	HSUM30 \
	RET

// func dotQ6_KSDOT(w, x *byte, nb int) float32
DOT_Q6_K_KERNEL(·dotQ6_KSDOT, DOT16_SDOT)

// func dotQ6_KV80(w, x *byte, nb int) float32
DOT_Q6_K_KERNEL(·dotQ6_KV80, DOT16_V80)

// func quantizeQ8_0NEON(dst *byte, x *float32, nb int)
//
// Per 32 values: amax by FMAX, d = amax/127 stored as f16, the values times
// 127/amax (0 for an all-zero block) rounded to nearest even and narrowed
// with saturation (never needed: |x*127/amax| rounds to at most 127).
TEXT ·quantizeQ8_0NEON(SB), NOSPLIT|NOFRAME, $0-24
	MOVD  dst+0(FP), R0
	MOVD  x+8(FP), R1
	MOVD  nb+16(FP), R2
	FMOVS $127.0, F27
	VZERO(26)

q8loop:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	FABS_4S(16, 0)
	FABS_4S(17, 1)
	FABS_4S(18, 2)
	FABS_4S(19, 3)
	FABS_4S(20, 4)
	FABS_4S(21, 5)
	FABS_4S(22, 6)
	FABS_4S(23, 7)
	FMAX_4S(16, 16, 17)
	FMAX_4S(18, 18, 19)
	FMAX_4S(20, 20, 21)
	FMAX_4S(22, 22, 23)
	FMAX_4S(16, 16, 18)
	FMAX_4S(20, 20, 22)
	FMAX_4S(16, 16, 20)
	FMAXV(16, 16)
	FDIVS  F27, F16, F17 // d = amax/127
	FDIVS  F16, F27, F18 // 127/amax
	FCMPS  $(0.0), F16
	FCSELS EQ, F26, F18, F18
	FCVTSH F17, F17
	FMOVS  F17, R3
	MOVH.P R3, 2(R0)
	FMUL_ELEM(0, 0, 18, 0)
	FMUL_ELEM(1, 1, 18, 0)
	FMUL_ELEM(2, 2, 18, 0)
	FMUL_ELEM(3, 3, 18, 0)
	FMUL_ELEM(4, 4, 18, 0)
	FMUL_ELEM(5, 5, 18, 0)
	FMUL_ELEM(6, 6, 18, 0)
	FMUL_ELEM(7, 7, 18, 0)
	FCVTNS_4S(0, 0)
	FCVTNS_4S(1, 1)
	FCVTNS_4S(2, 2)
	FCVTNS_4S(3, 3)
	FCVTNS_4S(4, 4)
	FCVTNS_4S(5, 5)
	FCVTNS_4S(6, 6)
	FCVTNS_4S(7, 7)
	SQXTN_4H(16, 0)
	SQXTN2_8H(16, 1)
	SQXTN_4H(17, 2)
	SQXTN2_8H(17, 3)
	SQXTN_4H(18, 4)
	SQXTN2_8H(18, 5)
	SQXTN_4H(19, 6)
	SQXTN2_8H(19, 7)
	SQXTN_8B(20, 16)
	SQXTN2_16B(20, 17)
	SQXTN_8B(21, 18)
	SQXTN2_16B(21, 19)
	VST1.P [V20.B16, V21.B16], 32(R0)
	SUBS   $1, R2
	BNE    q8loop
	RET

// func quantizeQ8_KNEON(dst *byte, x *float32, nb int)
//
// Per 256 values, ggml's quantize_row_q8_K_ref: the signed value of largest
// magnitude (the first one, when a positive and a negative value tie; found
// from the maximum and minimum, with a scan only on a tie), multiplier
// -127/that, d = 1/multiplier, values rounded to nearest even, and the sums
// of each 16. An all-zero block is all zero bytes.
TEXT ·quantizeQ8_KNEON(SB), NOSPLIT|NOFRAME, $0-24
	MOVD  dst+0(FP), R0
	MOVD  x+8(FP), R1
	MOVD  nb+16(FP), R2
	FMOVS $-127.0, F27
	FMOVS $1.0, F26
	VZERO(31)

kblock:
	VZERO(16)
	VZERO(17)
	VZERO(18)
	VZERO(19)
	VZERO(20)
	VZERO(21)
	VZERO(22)
	VZERO(23)
	MOVD R1, R5
	MOVD $16, R4

kscan:
	VLD1.P 64(R5), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMAX_4S(16, 16, 0)
	FMAX_4S(17, 17, 1)
	FMAX_4S(18, 18, 2)
	FMAX_4S(19, 19, 3)
	FMIN_4S(20, 20, 0)
	FMIN_4S(21, 21, 1)
	FMIN_4S(22, 22, 2)
	FMIN_4S(23, 23, 3)
	SUBS $1, R4
	BNE  kscan
	FMAX_4S(16, 16, 17)
	FMAX_4S(18, 18, 19)
	FMAX_4S(16, 16, 18)
	FMAXV(16, 16)
	FMIN_4S(20, 20, 21)
	FMIN_4S(22, 22, 23)
	FMIN_4S(20, 20, 22)
	FMINV(20, 20)
	FNEGS F20, F21
	FMOVS F16, F22
	FCMPS F21, F16
	BGT   kquant       // the largest magnitude is the maximum
	FMOVS F20, F22
	BMI   kquant       // ... or the minimum
	FCMPS $(0.0), F16
	BEQ   kzero
	MOVD  R1, R5       // a tie (or a NaN): the first value of magnitude amax
	MOVD  $256, R4
	FMOVS F16, F22

ktie:
	FMOVS.P 4(R5), F0
	FABSS   F0, F1
	FCMPS   F16, F1
	BEQ     kfound
	SUBS    $1, R4
	BNE     ktie
	B       kquant

kfound:
	FMOVS F0, F22

kquant:
	FDIVS F22, F27, F24 // multiplier -127/max
	FDIVS F24, F26, F25 // d
	FMOVS F25, (R0)
	ADD   $4, R0, R6
	ADD   $260, R0, R7
	MOVD  $16, R4

kgroup:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMUL_ELEM(0, 0, 24, 0)
	FMUL_ELEM(1, 1, 24, 0)
	FMUL_ELEM(2, 2, 24, 0)
	FMUL_ELEM(3, 3, 24, 0)
	FCVTNS_4S(0, 0)
	FCVTNS_4S(1, 1)
	FCVTNS_4S(2, 2)
	FCVTNS_4S(3, 3)
	SQXTN_4H(4, 0)
	SQXTN2_8H(4, 1)
	SQXTN_4H(5, 2)
	SQXTN2_8H(5, 3)
	SQXTN_8B(6, 4)
	SQXTN2_16B(6, 5)
	VST1.P [V6.B16], 16(R6)
	ADD_8H(7, 4, 5)
	ADDV_8H(7, 7)
	VMOV   V7.H[0], R8
	MOVH.P R8, 2(R7)
	SUBS   $1, R4
	BNE    kgroup
	ADD    $292, R0
	SUBS   $1, R2
	BNE    kblock
	RET

kzero:
	MOVW ZR, (R0)
	ADD  $4, R0, R6
	MOVD $18, R4

kzloop:
	VST1.P [V31.B16], 16(R6)
	SUBS   $1, R4
	BNE    kzloop
	ADD    $1024, R1
	ADD    $292, R0
	SUBS   $1, R2
	BNE    kblock
	RET
