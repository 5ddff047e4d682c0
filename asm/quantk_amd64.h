// Macros and constants shared by the AVX2 K-type kernels (quantk_amd64.s,
// one vector; quantkx_amd64.s, two and four): the scale unpacking, the
// chunk and group bodies and the per-block finish, so every width computes
// the same integers and adds the same float terms in the same order.

DATA qkBits56<>+0(SB)/4, $0x30303030
GLOBL qkBits56<>(SB), RODATA|NOPTR, $4
// qkPairShuf turns a broadcast dword holding int16 scales (s0, s1) into s0
// in every word of the low 128-bit lane and s1 in every word of the high.
DATA qkPairShuf<>+0(SB)/8, $0x0100010001000100
DATA qkPairShuf<>+8(SB)/8, $0x0100010001000100
DATA qkPairShuf<>+16(SB)/8, $0x0302030203020302
DATA qkPairShuf<>+24(SB)/8, $0x0302030203020302
GLOBL qkPairShuf<>(SB), RODATA|NOPTR, $32

// K-type super-blocks run one per iteration: the int32 sums of a block's
// sub-blocks collect in Y10/Y11 and meet the float scales once per block.

// QK_K4_SCALES unpacks the 12 scale bytes at SI+4 (ggml's get_scale_min_k4,
// done four sub-blocks at a time on dwords) and stores the eight 6-bit
// scales as int16 at sc-32(SP) and the eight mins as int16 at sc-16(SP).
#define QK_K4_SCALES \
	MOVL       4(SI), R8 \
	MOVL       8(SI), R9 \
	MOVL       12(SI), R10 \
	MOVL       R10, R11 \
	SHRL       $4, R11 \
	ANDL       $0x0f0f0f0f, R11 \
	MOVL       R9, R12 \
	SHRL       $6, R12 \
	ANDL       $0x03030303, R12 \
	SHLL       $4, R12 \
	ORL        R12, R11 \
	ANDL       $0x0f0f0f0f, R10 \
	MOVL       R8, R12 \
	SHRL       $6, R12 \
	ANDL       $0x03030303, R12 \
	SHLL       $4, R12 \
	ORL        R12, R10 \
	ANDL       $0x3f3f3f3f, R8 \
	ANDL       $0x3f3f3f3f, R9 \
	VMOVD      R8, X6 \
	VPINSRD    $1, R10, X6, X6 \
	VPINSRD    $2, R9, X6, X6 \
	VPINSRD    $3, R11, X6, X6 \
	VPMOVZXBW  X6, Y6 \
	VMOVDQU    Y6, sc-32(SP)

#define NOHIGH

// QK_K4_CHUNK: 64 values from the 32 bytes Y4 (nibbles; Y5 = Y4 >> 4 done
// here) with scales sc-32+4c(SP), sc-30+4c(SP); HIGH adds Q5_K's fifth
// bits (NOHIGH for Q4_K).
#define QK_K4_CHUNK(c, HIGH) \
	VPSRLW       $4, Y4, Y5 \
	VPAND        Y14, Y4, Y4 \
	VPAND        Y14, Y5, Y5 \
	HIGH \
	VPMADDUBSW   (4+64*c)(DI), Y4, Y4 \
	VPMADDUBSW   (36+64*c)(DI), Y5, Y5 \
	VPBROADCASTW sc-(32-4*c)(SP), Y6 \
	VPBROADCASTW sc-(30-4*c)(SP), Y7 \
	VPMADDWD     Y6, Y4, Y4 \
	VPMADDWD     Y7, Y5, Y5 \
	VPADDD       Y4, Y10, Y10 \
	VPADDD       Y5, Y11, Y11

// QK_K4_FINISH_1: for the activation block at (XP): ACC += d·dx·IA, then
// ACC -= dmin·dx·(mins · pair sums of bsums); Y4..Y7 are scratch. Every K
// kernel keeps one accumulator per activation vector, so the one-, two- and
// four-vector kernels add the same terms in the same order.
#define QK_K4_FINISH_1(XP, IA, ACC) \
	VCVTDQ2PS    IA, IA \
	VCVTPH2PS    (SI), X4 \
	VBROADCASTSS (XP), X5 \
	VMULPS       X5, X4, X4 \
	VMOVSHDUP    X4, X5 \
	VBROADCASTSS X4, Y4 \
	VBROADCASTSS X5, Y5 \
	VFMADD231PS  IA, Y4, ACC \
	VMOVDQU      260(XP), Y6 \
	VEXTRACTI128 $1, Y6, X7 \
	VPHADDW      X7, X6, X6 \
	VMOVDQU      sc-16(SP), X7 \
	VPMADDWD     X7, X6, X6 \
	VCVTDQ2PS    X6, X6 \
	VFNMADD231PS Y6, Y5, ACC

// QK_K4_FINISH_X: QK_K4_FINISH_1 of the int32 sums IA+IB.
#define QK_K4_FINISH_X(XP, IA, IB, ACC) \
	VPADDD IB, IA, IA \
	QK_K4_FINISH_1(XP, IA, ACC)

#define QK_K4_FINISH QK_K4_FINISH_X(DI, Y10, Y11, Y0)

// Q5_K: the fifth bits of chunk c are bits 2c and 2c+1 of qh[l]; Y13 holds
// qh shifted right by 2c (word shifts: the bits that cross from the
// neighbouring byte land above bit 1 and are masked off).
#define Q5K_HIGH \
	VPSLLW $4, Y13, Y8 \
	VPSLLW $3, Y13, Y9 \
	VPAND  Y12, Y8, Y8 \
	VPAND  Y12, Y9, Y9 \
	VPOR   Y8, Y4, Y4 \
	VPOR   Y9, Y5, Y5 \
	VPSRLW $2, Y13, Y13


// Q6_K_GROUP: 32 values (Y4, unsigned 0..63) times 32 activations at
// xo(DI), the low 16 with scale k and the high 16 with scale k+1 (int16 at
// sc-32+2k(SP)).
#define Q6_K_GROUP(xo, k) \
	VPMADDUBSW   xo(DI), Y4, Y4 \
	VPBROADCASTD sc-(32-2*(k))(SP), Y6 \
	VPSHUFB      Y12, Y6, Y6 \
	VPMADDWD     Y6, Y4, Y4 \
	VPADDD       Y4, Y10, Y10

// Q6_K_HALF: 128 values from ql at SI+64h and qh at SI+128+32h. Value
// 32k+l is a nibble of ql[l+32(k&1)] (low for k < 2) with bits 2k, 2k+1 of
// qh[l] at bits 4, 5: (qh<<4, qh<<2, qh, qh>>2) & 0x30 (Y13).
#define Q6_K_HALF(h, GROUP) \
	VMOVDQU (64*h)(SI), Y7 \
	VMOVDQU (64*h+32)(SI), Y8 \
	VMOVDQU (128+32*h)(SI), Y9 \
	VPAND   Y14, Y7, Y4 \
	VPSLLW  $4, Y9, Y5 \
	VPAND   Y13, Y5, Y5 \
	VPOR    Y5, Y4, Y4 \
	GROUP(4+128*h, 8*h) \
	VPAND   Y14, Y8, Y4 \
	VPSLLW  $2, Y9, Y5 \
	VPAND   Y13, Y5, Y5 \
	VPOR    Y5, Y4, Y4 \
	GROUP(36+128*h, 8*h+2) \
	VPSRLW  $4, Y7, Y4 \
	VPAND   Y14, Y4, Y4 \
	VPAND   Y13, Y9, Y5 \
	VPOR    Y5, Y4, Y4 \
	GROUP(68+128*h, 8*h+4) \
	VPSRLW  $4, Y8, Y4 \
	VPAND   Y14, Y4, Y4 \
	VPSRLW  $2, Y9, Y5 \
	VPAND   Y13, Y5, Y5 \
	VPOR    Y5, Y4, Y4 \
	GROUP(100+128*h, 8*h+6)

