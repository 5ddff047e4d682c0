//go:build !purego

package asm

// The NEON block-quantized kernels (quant_arm64.s, quantk_arm64.s): a dot
// product of one weight row against quantized activations for every type,
// in two flavours, and the q8_0/q8_1/q8_K activation quantizers. The SDOT
// flavour needs FEAT_DotProd (ARMv8.2+, cpuid's ASIMDDP); the ARMv8.0
// flavour runs on every arm64 CPU. The neon path takes the SDOT one when
// the CPU has it (archKernels); the tests build a table of each flavour
// (setQuantNEON), so a CPU with dotprod checks the fallback too, and
// CHATUMM_CPU keeps naming whole paths. Dequantize stays the generic twin
// (it widens embedding rows, one per token).

// A quantized dot kernel: nb (>= 1) blocks of weights at w against nb
// activation blocks at x.
type quantDot func(w, x *byte, nb int) float32

// quantDotsNEON are the dot kernels of each flavour; types left nil have
// no NEON kernel (the table then holds the generic twin).
func quantDotsNEON(dotprod bool) [NumQTypes]quantDot {
	if dotprod {
		return [NumQTypes]quantDot{
			Q4_0: dotQ4_0SDOT, Q4_1: dotQ4_1SDOT, Q5_0: dotQ5_0SDOT, Q5_1: dotQ5_1SDOT, Q8_0: dotQ8_0SDOT,
			Q4_K: dotQ4_KSDOT, Q5_K: dotQ5_KSDOT, Q6_K: dotQ6_KSDOT,
		}
	}
	return [NumQTypes]quantDot{
		Q4_0: dotQ4_0V80, Q4_1: dotQ4_1V80, Q5_0: dotQ5_0V80, Q5_1: dotQ5_1V80, Q8_0: dotQ8_0V80,
		Q4_K: dotQ4_KV80, Q5_K: dotQ5_KV80, Q6_K: dotQ6_KV80,
	}
}

// setQuantNEON puts the NEON quantized kernels of one flavour into k.
func setQuantNEON(k *Kernels, dotprod bool) {
	for q, dot := range quantDotsNEON(dotprod) {
		if dot != nil {
			k.RowsQ[q] = rowsQNEON(QType(q), dot)
		}
	}
	for _, q := range []QType{Q4_0, Q5_0, Q8_0} {
		k.QuantizeAct[q] = quantizeQ8_0NEONSlices
	}
	for _, q := range []QType{Q4_1, Q5_1} {
		k.QuantizeAct[q] = quantizeQ8_1NEONSlices
	}
	for _, q := range []QType{Q4_K, Q5_K, Q6_K} {
		k.QuantizeAct[q] = quantizeQ8_KNEONSlices
	}
}

// rowsQNEON runs a dot kernel over the rows. The exported RowsQ checked
// the slices; the two index expressions check them again (once per call)
// for callers of the table itself, so no kernel reads outside them.
func rowsQNEON(q QType, dot quantDot) func(w []byte, rowBytes, nb int, xq []byte, y []float32) {
	return func(w []byte, rowBytes, nb int, xq []byte, y []float32) {
		if len(y) == 0 {
			return
		}
		if nb == 0 {
			clear(y)
			return
		}
		_ = w[(len(y)-1)*rowBytes+nb*q.BlockBytes()-1]
		_ = xq[ActBytes(q, nb*q.BlockElems())-1]
		for r := range y {
			y[r] = dot(&w[r*rowBytes], &xq[0], nb)
		}
	}
}

func quantizeQ8_0NEONSlices(dst []byte, x []float32) {
	if nb := len(x) / 32; nb > 0 {
		_ = dst[nb*q8_0Bytes-1]
		quantizeQ8_0NEON(&dst[0], &x[0], nb)
	}
}

func quantizeQ8_1NEONSlices(dst []byte, x []float32) {
	if nb := len(x) / 32; nb > 0 {
		_ = dst[nb*q8_1Bytes-1]
		quantizeQ8_1NEON(&dst[0], &x[0], nb)
	}
}

func quantizeQ8_KNEONSlices(dst []byte, x []float32) {
	if nb := len(x) / 256; nb > 0 {
		_ = dst[nb*q8_KBytes-1]
		quantizeQ8_KNEON(&dst[0], &x[0], nb)
	}
}

// Assembly prototypes (quant_arm64.s, quantk_arm64.s); nb >= 1.

//go:noescape
func dotQ8_0SDOT(w, x *byte, nb int) float32

//go:noescape
func dotQ8_0V80(w, x *byte, nb int) float32

//go:noescape
func dotQ4_0SDOT(w, x *byte, nb int) float32

//go:noescape
func dotQ4_0V80(w, x *byte, nb int) float32

//go:noescape
func dotQ4_1SDOT(w, x *byte, nb int) float32

//go:noescape
func dotQ4_1V80(w, x *byte, nb int) float32

//go:noescape
func dotQ5_0SDOT(w, x *byte, nb int) float32

//go:noescape
func dotQ5_0V80(w, x *byte, nb int) float32

//go:noescape
func dotQ5_1SDOT(w, x *byte, nb int) float32

//go:noescape
func dotQ5_1V80(w, x *byte, nb int) float32

//go:noescape
func dotQ4_KSDOT(w, x *byte, nb int) float32

//go:noescape
func dotQ4_KV80(w, x *byte, nb int) float32

//go:noescape
func dotQ5_KSDOT(w, x *byte, nb int) float32

//go:noescape
func dotQ5_KV80(w, x *byte, nb int) float32

//go:noescape
func dotQ6_KSDOT(w, x *byte, nb int) float32

//go:noescape
func dotQ6_KV80(w, x *byte, nb int) float32

//go:noescape
func quantizeQ8_0NEON(dst *byte, x *float32, nb int)

//go:noescape
func quantizeQ8_1NEON(dst *byte, x *float32, nb int)

//go:noescape
func quantizeQ8_KNEON(dst *byte, x *float32, nb int)
