//go:build !purego

#include "textflag.h"
#include "quant_arm64.h"

// The 32-value formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) against q8_0 or q8_1
// activations, and the activation quantizers. The K types are in
// quantk_arm64.s; quant_arm64.h has the shared macros.
//
// A block: a weight macro leaves the 32 values in V0, V1 and the scale in
// F4 (the Q4_1/Q5_1 offset m in F20), advancing R0 past the block; an
// activation macro leaves the 32 values in V2, V3 and the scale in F5 (the
// q8_1 s in F21), advancing R1. BLK32 multiplies and adds the block to
// accumulator acc, V30 or V31 (two blocks per iteration keep two FMLA
// chains in flight), and MTERM adds m*s to F26 or F27 for the types with
// an offset. Constants: V22, V23 byte indexes and V24 bit masks spreading
// Q5's qh bits (q5Bits), V28 the offset 8 (Q4_0) or 16 (Q5), V29 = 0x0F.

DATA q5Bits<>+0(SB)/8, $0x0000000000000000  // byte 0 of qh to values 0..7
DATA q5Bits<>+8(SB)/8, $0x0101010101010101  // byte 1 to 8..15
DATA q5Bits<>+16(SB)/8, $0x0202020202020202 // byte 2 to 16..23
DATA q5Bits<>+24(SB)/8, $0x0303030303030303 // byte 3 to 24..31
DATA q5Bits<>+32(SB)/8, $0x8040201008040201 // value j tests bit j%8
DATA q5Bits<>+40(SB)/8, $0x8040201008040201
GLOBL q5Bits<>(SB), RODATA|NOPTR, $48

// Q8_0: d, 32 int8.
#define W_Q8_0 \
	F16SCALE(0, R0, R3, F4) \
	ADD  $2, R0 \
	VLD1.P 32(R0), [V0.B16, V1.B16]

// Q4_0 and Q4_1: byte j holds value j in its low nibble, j+16 in its high
// one; Q4_0 subtracts 8.
#define NIBBLES \
	VLD1.P 16(R0), [V8.B16] \
	VAND V29.B16, V8.B16, V0.B16 \
	VUSHR $4, V8.B16, V1.B16

#define MINUS_OFFSET \
	VSUB V28.B16, V0.B16, V0.B16 \
	VSUB V28.B16, V1.B16, V1.B16

#define W_Q4_0 \
	F16SCALE(0, R0, R3, F4) \
	ADD  $2, R0 \
	NIBBLES \
	MINUS_OFFSET

#define W_Q4_1 \
	F16SCALE(0, R0, R3, F4) \
	F16SCALE(2, R0, R5, F20) \
	ADD  $4, R0 \
	NIBBLES

// Q5: bit j of qh (a uint32 at qhoff) is value j's fifth bit: the qh bytes
// are spread one per value (TBL), tested against the value's bit (CMTST)
// and the resulting 0xFF masked to 0x10.
#define Q5HIGH(qhoff) \
	MOVWU qhoff(R0), R7 \
	VMOV R7, V9.S[0] \
	VTBL V22.B16, [V9.B16], V10.B16 \
	VTBL V23.B16, [V9.B16], V11.B16 \
	VCMTST V24.B16, V10.B16, V10.B16 \
	VCMTST V24.B16, V11.B16, V11.B16 \
	VAND V28.B16, V10.B16, V10.B16 \
	VAND V28.B16, V11.B16, V11.B16 \
	ADD  $(qhoff+4), R0 \
	NIBBLES \
	VORR V10.B16, V0.B16, V0.B16 \
	VORR V11.B16, V1.B16, V1.B16

#define W_Q5_0 \
	F16SCALE(0, R0, R3, F4) \
	Q5HIGH(2) \
	MINUS_OFFSET

#define W_Q5_1 \
	F16SCALE(0, R0, R3, F4) \
	F16SCALE(2, R0, R5, F20) \
	Q5HIGH(4)

#define X_Q8_0 \
	F16SCALE(0, R1, R4, F5) \
	ADD  $2, R1 \
	VLD1.P 32(R1), [V2.B16, V3.B16]

#define X_Q8_1 \
	F16SCALE(0, R1, R4, F5) \
	F16SCALE(2, R1, R6, F21) \
	ADD  $4, R1 \
	VLD1.P 32(R1), [V2.B16, V3.B16]

#define NO_MTERM
#define MTERM0 FMADDS F21, F26, F20, F26
#define MTERM1 FMADDS F21, F27, F20, F27

#define BLK32(WEIGHTS, ACT, DOT32, acc, MTERM) \
	WEIGHTS \
	ACT \
	FMULS F5, F4, F4 \
	DOT32(6, 0, 1, 2, 3, 7) \
	SCVTF_4S(6, 6) \
	FMLA_ELEM(acc, 6, 4, 0) \
	MTERM

// One kernel; offset is V28's byte (8 for Q4_0, 16 for the Q5 types).
#define DOT32_KERNEL(name, WEIGHTS, ACT, DOT32, offset, MT0, MT1) \
TEXT name(SB), NOSPLIT|NOFRAME, $0-28 \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD nb+16(FP), R2 \
	MOVD $q5Bits<>(SB), R8 \
	VLD1 (R8), [V22.B16, V23.B16, V24.B16] \
	VMOVI $offset, V28.B16 \
	VMOVI $15, V29.B16 \
	VZERO(26) \
	VZERO(27) \
	VZERO(30) \
	VZERO(31) \
	CMP  $2, R2 \
	BLT  tail \
loop2: \
	BLK32(WEIGHTS, ACT, DOT32, 30, MT0) \
	BLK32(WEIGHTS, ACT, DOT32, 31, MT1) \
	SUB  $2, R2 \
	CMP  $2, R2 \
	BGE  loop2 \
tail: \
	CBZ  R2, done \
	BLK32(WEIGHTS, ACT, DOT32, 30, MT0) \
done: \
	FADD_4S(30, 30, 31) \
	HSUM30 \
	FADDS F27, F26, F26 \
	FADDS F26, F30, F30 \
	FMOVS F30, ret+24(FP) \
	RET

// func dotQ8_0SDOT(w, x *byte, nb int) float32
DOT32_KERNEL(·dotQ8_0SDOT, W_Q8_0, X_Q8_0, DOT32_SDOT, 8, NO_MTERM, NO_MTERM)

// func dotQ8_0V80(w, x *byte, nb int) float32
DOT32_KERNEL(·dotQ8_0V80, W_Q8_0, X_Q8_0, DOT32W_V80, 8, NO_MTERM, NO_MTERM)

// func dotQ4_0SDOT(w, x *byte, nb int) float32
DOT32_KERNEL(·dotQ4_0SDOT, W_Q4_0, X_Q8_0, DOT32_SDOT, 8, NO_MTERM, NO_MTERM)

// func dotQ4_0V80(w, x *byte, nb int) float32
DOT32_KERNEL(·dotQ4_0V80, W_Q4_0, X_Q8_0, DOT32_V80, 8, NO_MTERM, NO_MTERM)

// func dotQ4_1SDOT(w, x *byte, nb int) float32
DOT32_KERNEL(·dotQ4_1SDOT, W_Q4_1, X_Q8_1, DOT32_SDOT, 8, MTERM0, MTERM1)

// func dotQ4_1V80(w, x *byte, nb int) float32
DOT32_KERNEL(·dotQ4_1V80, W_Q4_1, X_Q8_1, DOT32_V80, 8, MTERM0, MTERM1)

// func dotQ5_0SDOT(w, x *byte, nb int) float32
DOT32_KERNEL(·dotQ5_0SDOT, W_Q5_0, X_Q8_0, DOT32_SDOT, 16, NO_MTERM, NO_MTERM)

// func dotQ5_0V80(w, x *byte, nb int) float32
DOT32_KERNEL(·dotQ5_0V80, W_Q5_0, X_Q8_0, DOT32_V80, 16, NO_MTERM, NO_MTERM)

// func dotQ5_1SDOT(w, x *byte, nb int) float32
DOT32_KERNEL(·dotQ5_1SDOT, W_Q5_1, X_Q8_1, DOT32_SDOT, 16, MTERM0, MTERM1)

// func dotQ5_1V80(w, x *byte, nb int) float32
DOT32_KERNEL(·dotQ5_1V80, W_Q5_1, X_Q8_1, DOT32_V80, 16, MTERM0, MTERM1)

// Activation quantizers, per 32 values: amax by FMAX, d = amax/127 stored
// as f16, the values times 127/amax (0 for an all-zero block) rounded to
// nearest even and narrowed with saturation (never needed: |x*127/amax|
// rounds to at most 127). q8_1 also stores s = d*sum(values) as f16, from
// the float32 d.
#define Q8_32(SUM) \
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4] \
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4] \
	FABS_4S(16, 0) \
	FABS_4S(17, 1) \
	FABS_4S(18, 2) \
	FABS_4S(19, 3) \
	FABS_4S(20, 4) \
	FABS_4S(21, 5) \
	FABS_4S(22, 6) \
	FABS_4S(23, 7) \
	FMAX_4S(16, 16, 17) \
	FMAX_4S(18, 18, 19) \
	FMAX_4S(20, 20, 21) \
	FMAX_4S(22, 22, 23) \
	FMAX_4S(16, 16, 18) \
	FMAX_4S(20, 20, 22) \
	FMAX_4S(16, 16, 20) \
	FMAXV(16, 16) \
	FDIVS  F27, F16, F17 \
	FDIVS  F16, F27, F18 \
	FCMPS  $(0.0), F16 \
	FCSELS EQ, F26, F18, F18 \
	FCVTSH F17, F19 \
	FMOVS  F19, R3 \
	MOVH.P R3, 2(R0) \
	FMUL_ELEM(0, 0, 18, 0) \
	FMUL_ELEM(1, 1, 18, 0) \
	FMUL_ELEM(2, 2, 18, 0) \
	FMUL_ELEM(3, 3, 18, 0) \
	FMUL_ELEM(4, 4, 18, 0) \
	FMUL_ELEM(5, 5, 18, 0) \
	FMUL_ELEM(6, 6, 18, 0) \
	FMUL_ELEM(7, 7, 18, 0) \
	FCVTNS_4S(0, 0) \
	FCVTNS_4S(1, 1) \
	FCVTNS_4S(2, 2) \
	FCVTNS_4S(3, 3) \
	FCVTNS_4S(4, 4) \
	FCVTNS_4S(5, 5) \
	FCVTNS_4S(6, 6) \
	FCVTNS_4S(7, 7) \
	SUM \
	SQXTN_4H(16, 0) \
	SQXTN2_8H(16, 1) \
	SQXTN_4H(17, 2) \
	SQXTN2_8H(17, 3) \
	SQXTN_4H(18, 4) \
	SQXTN2_8H(18, 5) \
	SQXTN_4H(19, 6) \
	SQXTN2_8H(19, 7) \
	SQXTN_8B(20, 16) \
	SQXTN2_16B(20, 17) \
	SQXTN_8B(21, 18) \
	SQXTN2_16B(21, 19) \
	VST1.P [V20.B16, V21.B16], 32(R0)

#define NO_SUM

// s = f16(d*sum), F17 holding d.
#define S_Q8_1 \
	VADD V1.S4, V0.S4, V22.S4 \
	VADD V3.S4, V2.S4, V23.S4 \
	VADD V23.S4, V22.S4, V22.S4 \
	VADD V5.S4, V4.S4, V23.S4 \
	VADD V23.S4, V22.S4, V22.S4 \
	VADD V7.S4, V6.S4, V23.S4 \
	VADD V23.S4, V22.S4, V22.S4 \
	ADDV_4S(22, 22) \
	SCVTF_S(22, 22) \
	FMULS  F17, F22, F22 \
	FCVTSH F22, F22 \
	FMOVS  F22, R3 \
	MOVH.P R3, 2(R0)

#define QUANT32_KERNEL(name, SUM) \
TEXT name(SB), NOSPLIT|NOFRAME, $0-24 \
	MOVD  dst+0(FP), R0 \
	MOVD  x+8(FP), R1 \
	MOVD  nb+16(FP), R2 \
	FMOVS $127.0, F27 \
	VZERO(26) \
loop: \
	Q8_32(SUM) \
	SUBS  $1, R2 \
	BNE   loop \
	RET

// func quantizeQ8_0NEON(dst *byte, x *float32, nb int)
QUANT32_KERNEL(·quantizeQ8_0NEON, NO_SUM)

// func quantizeQ8_1NEON(dst *byte, x *float32, nb int)
QUANT32_KERNEL(·quantizeQ8_1NEON, S_Q8_1)

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
