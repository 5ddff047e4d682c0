package ops

import (
	"fmt"
	"math"
)

// RoPE rotates query and key heads by their position. The table holds
// cos/sin for the first positions; later positions are computed on the fly
// the same way, so long contexts cost no memory.
type RoPE struct {
	headDim     int
	interleaved bool
	invFreq     []float32
	cos, sin    []float32 // [tablePos × headDim/2]
	tablePos    int
	maxPos      int
}

// maxTablePos bounds the precomputed table (4096 positions of a 128-wide
// head are 2 MiB).
const maxTablePos = 8192

// NewRoPE prepares rotations for positions [0, maxPos). The frequencies
// follow Hugging Face's float32 arithmetic: inv_freq[j] = 1/θ^(2j/d) and
// angle = float32(pos)·inv_freq[j], then cos and sin of that float32.
// interleaved pairs dims (2j, 2j+1) (Meta, GGUF); otherwise dims j and
// j+d/2 are paired (HF rotate_half).
func NewRoPE(headDim int, theta float64, maxPos int, interleaved bool) *RoPE {
	half := headDim / 2
	r := &RoPE{headDim: headDim, interleaved: interleaved, maxPos: maxPos, invFreq: make([]float32, half)}
	for j := range r.invFreq {
		e := float32(2*j) / float32(headDim)
		r.invFreq[j] = float32(1 / math.Pow(theta, float64(e)))
	}
	r.tablePos = min(maxPos, maxTablePos)
	r.cos = make([]float32, r.tablePos*half)
	r.sin = make([]float32, r.tablePos*half)
	for p := 0; p < r.tablePos; p++ {
		r.angles(p, r.cos[p*half:(p+1)*half], r.sin[p*half:(p+1)*half])
	}
	return r
}

func (r *RoPE) angles(pos int, c, s []float32) {
	for j, f := range r.invFreq {
		a := float64(float32(pos) * f)
		c[j], s[j] = float32(math.Cos(a)), float32(math.Sin(a))
	}
}

// Apply rotates the nHeads heads of one token (x is [nHeads × headDim]) in
// place for position pos.
func (r *RoPE) Apply(x []float32, nHeads, pos int) {
	if pos < 0 || pos >= r.maxPos {
		panic(fmt.Sprintf("ops: RoPE position %d outside [0, %d)", pos, r.maxPos))
	}
	half := r.headDim / 2
	var c, s []float32
	if pos < r.tablePos {
		c, s = r.cos[pos*half:(pos+1)*half], r.sin[pos*half:(pos+1)*half]
	} else {
		var cb, sb [256]float32
		c, s = cb[:half], sb[:half]
		if half > len(cb) {
			c, s = make([]float32, half), make([]float32, half)
		}
		r.angles(pos, c, s)
	}
	for h := 0; h < nHeads; h++ {
		v := x[h*r.headDim : (h+1)*r.headDim]
		if r.interleaved {
			for j := 0; j < half; j++ {
				a, b := v[2*j], v[2*j+1]
				v[2*j] = a*c[j] - b*s[j]
				v[2*j+1] = b*c[j] + a*s[j]
			}
			continue
		}
		lo, hi := v[:half], v[half:]
		for j := 0; j < half; j++ {
			a, b := lo[j], hi[j]
			lo[j] = a*c[j] - b*s[j]
			hi[j] = b*c[j] + a*s[j]
		}
	}
}
