package ops

import (
	"math"
	"sync"

	"github.com/chatumm/chatumm/asm"
)

// RMSNorm computes dst = x / sqrt(mean(x²) + eps) · w (dst may alias x).
// The mean of squares is accumulated in float32 lanes and finished in
// float64, as PyTorch's float32 reduction does in spirit.
func RMSNorm(dst, x, w []float32, eps float32) {
	n := len(x)
	ss := float64(asm.SumSq(x)) / float64(n)
	inv := float32(1 / math.Sqrt(ss+float64(eps)))
	// HF order: (x · rsqrt(…)) · w.
	copy(dst[:n], x)
	asm.Scale(inv, dst[:n])
	asm.Mul(dst[:n], dst[:n], w[:n])
}

// devChunk is the block over which squared deviations are summed: a
// pooled buffer, because a local array passed to a kernel escapes to the
// heap (one allocation per norm, per head, per token).
const devChunk = 1024

var devBuffers = sync.Pool{New: func() any { return new([devChunk]float32) }}

// meanVar returns the mean and biased variance of x, two-pass, accumulated
// in float64 over float32 chunks so long vectors keep their precision; the
// squared deviations go through the vector kernel (asm.SumSq over chunks of
// x − mean), not one serial float32 chain.
func meanVar(x []float32) (mean, variance float64) {
	var s float64
	for i := 0; i < len(x); i += devChunk {
		s += float64(asm.Sum(x[i:min(i+devChunk, len(x))]))
	}
	mean = s / float64(len(x))
	m := float32(mean)
	dev := devBuffers.Get().(*[devChunk]float32)
	var v float64
	for i := 0; i < len(x); i += devChunk {
		d := dev[:min(devChunk, len(x)-i)]
		for k, a := range x[i : i+len(d)] {
			d[k] = a - m
		}
		v += float64(asm.SumSq(d))
	}
	devBuffers.Put(dev)
	return mean, v / float64(len(x))
}

// LayerNorm computes dst = (x − mean)/sqrt(var + eps) · w + b; w and b may
// be nil (no affine). dst may alias x.
func LayerNorm(dst, x, w, b []float32, eps float32) {
	mean, variance := meanVar(x)
	inv := float32(1 / math.Sqrt(variance+float64(eps)))
	m := float32(mean)
	for i, a := range x {
		v := (a - m) * inv
		if w != nil {
			v *= w[i]
		}
		if b != nil {
			v += b[i]
		}
		dst[i] = v
	}
}

// HeadLayerNorm applies Chameleon's qk-norm in place: a LayerNorm over each
// head's headDim values, then the affine of its group. w and b are
// [groups, headDim]; head h uses row h/(nHeads/groups), so [nHeads, headDim]
// (Chameleon), [1, headDim] (Lumina) and any divisor in between work.
func HeadLayerNorm(x []float32, nHeads, headDim int, w, b []float32, groups int, eps float32) {
	if groups <= 0 || nHeads%groups != 0 {
		panic("ops: HeadLayerNorm groups must divide the heads")
	}
	per := nHeads / groups
	for h := 0; h < nHeads; h++ {
		g := h / per
		v := x[h*headDim : (h+1)*headDim]
		LayerNorm(v, v, w[g*headDim:(g+1)*headDim], b[g*headDim:(g+1)*headDim], eps)
	}
}
