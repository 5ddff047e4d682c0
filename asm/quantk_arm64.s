//go:build !purego

#include "textflag.h"
#include "quant_arm64.h"

// The K types (Q4_K, Q5_K, Q6_K) against q8_K activations (292-byte blocks:
// d f32, 256 int8 at +4, 16 int16 sums of 16 values at +260), in the shape
// quant_arm64.h describes. Per block: F31 = d_w*d_x (V31: above the
// registers the values pass through), V12 the int32 lanes of the sum over
// sub-blocks of scale_j * dot_j, added to V30 by F31.

// Q4_K/Q5_K block head: F31 = d*dx, F4 = dmin*dx (used here only), the
// eight 6-bit scales as int32 in V23 (0..3) and V24 (4..7); the min term,
// the sum over j of min_j * (bsums 2j and 2j+1), is added to V27 by F4
// (V27 is subtracted from V30 at the end). ggml's get_scale_min_k4 in four
// 32-bit words, byte by byte: scales 0..3 = u0&63, mins 0..3 = u1&63,
// scales 4..7 = (u2&15) | (u0>>6)<<4, mins 4..7 = (u2>>4) | (u1>>6)<<4.
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
	FMOVS F30, ret+24(FP) \
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
	FMOVS F30, ret+24(FP) \
	RET

// func dotQ6_KSDOT(w, x *byte, nb int) float32
DOT_Q6_K_KERNEL(·dotQ6_KSDOT, DOT16_SDOT)

// func dotQ6_KV80(w, x *byte, nb int) float32
DOT_Q6_K_KERNEL(·dotQ6_KV80, DOT16_V80)
