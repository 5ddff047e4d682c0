// Shared by quant_arm64.s and quantk_arm64.s, the NEON kernels for the
// block-quantized formats (quant.go has the layouts): one weight row
// against quantized activations, and the activation quantizers. Every dot
// kernel exists twice, from one macro: with SDOT (FEAT_DotProd, ARMv8.2+)
// and with ARMv8.0 widening multiplies (SMULL/SMLAL2 into int16 lanes,
// SADDLP/SADALP into int32), for cores such as the Cortex-A57 that have no
// dot-product instructions.
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
// (quant.go). Q8_0 weights (-128..127) put two products in an int16 lane
// (DOT32W: at most 2*128*127 = 32512); the other 32-value groups hold
// weights of magnitude at most 31 and put four in a lane (DOT32: 4*31*127);
// Q6_K's values, taken unsigned (0..63), two (DOT16: 2*63*127). All stay
// below 32768.

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
#define ADDV_4S(d, n) WORD $(0x4EB1B800 | (n)<<5 | (d))                     // ADDV Sd, Vn.4S
#define SCVTF_S(d, n) WORD $(0x5E21D800 | (n)<<5 | (d))                     // SCVTF Sd, Sn
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

// HSUM30 leaves the sum of V30's lanes, (l0+l1)+(l2+l3), in F30.
#define HSUM30 \
	FADDP_4S(30, 30, 30) \
	FADDP_4S(30, 30, 30)

