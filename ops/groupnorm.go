package ops

import (
	"math"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// GroupNorm normalises one NCHW image of c channels × hw pixels over groups
// of c/groups channels, then applies the per-channel affine w, b, and SiLU
// when silu is set (the norm+swish pair of VQ-GAN blocks, fused so the
// image is read once more instead of twice). dst may alias x. Groups are
// split over the pool; each is computed the same way on any worker, so the
// result does not depend on the thread count. p may be nil.
func GroupNorm(p *runtime.Pool, dst, x []float32, c, hw, groups int, w, b []float32, eps float32, silu bool) {
	if groups <= 0 || c%groups != 0 {
		panic("ops: GroupNorm groups must divide the channels")
	}
	if len(x) < c*hw || len(dst) < c*hw || len(w) < c || len(b) < c {
		panic("ops: GroupNorm: slices too short for the image")
	}
	per := c / groups
	p.For(groups, func(lo, hi int) {
		for g := lo; g < hi; g++ {
			seg := x[g*per*hw : (g+1)*per*hw]
			mean, variance := meanVar(seg)
			inv := float32(1 / math.Sqrt(variance+float64(eps)))
			m := float32(mean)
			for ch := g * per; ch < (g+1)*per; ch++ {
				scale := inv * w[ch]
				shift := b[ch] - m*scale
				src, out := x[ch*hw:(ch+1)*hw], dst[ch*hw:(ch+1)*hw]
				for i, a := range src {
					out[i] = a*scale + shift
				}
				if silu {
					asm.SiLU(out, out)
				}
			}
		}
	})
}
