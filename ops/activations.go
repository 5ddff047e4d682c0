package ops

import (
	"math"

	"github.com/chatumm/chatumm/asm"
)

// Softmax normalises x in place: exp(x − max)/Σ.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	m := asm.Max(x)
	if math.IsInf(float64(m), -1) {
		// Everything masked: a uniform distribution beats NaNs.
		for i := range x {
			x[i] = 1 / float32(len(x))
		}
		return
	}
	s := asm.ExpSub(x, x, m)
	asm.Scale(1/s, x)
}

// SiLU: dst = x·sigmoid(x).
func SiLU(dst, x []float32) { asm.SiLU(dst, x) }

// SwiGLU: dst = silu(gate)·up, the gated MLP of Llama and Chameleon.
func SwiGLU(dst, gate, up []float32) { asm.SwiGLU(dst, gate, up) }

// GELU is the exact (erf) form, torch's default.
func GELU(dst, x []float32) {
	for i, v := range x[:len(dst)] {
		dst[i] = float32(0.5 * float64(v) * (1 + math.Erf(float64(v)/math.Sqrt2)))
	}
}

// GELUTanh is the tanh approximation (torch approximate="tanh").
func GELUTanh(dst, x []float32) {
	const c = 0.7978845608028654 // sqrt(2/pi)
	for i, v := range x[:len(dst)] {
		f := float64(v)
		dst[i] = float32(0.5 * f * (1 + math.Tanh(c*(f+0.044715*f*f*f))))
	}
}
