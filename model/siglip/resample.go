package siglip

import "math"

// Pillow's Image.resize for 8-bit RGB (src/libImaging/Resample.c),
// reproduced operation for operation so a resized picture is the same
// bytes Pillow gives: a separable convolution, horizontal pass first, each
// pass with coefficients normalised in float64, then rounded to fixed point
// with 22 fraction bits, accumulated in int32 from ½, and clipped to 8 bits.
// The filter's support widens by the scale when shrinking (antialiasing).

// pilFilter is a resampling kernel and its support at scale 1.
type pilFilter struct {
	f       func(x float64) float64
	support float64
}

// pilFilters by Pillow's Resampling codes (NEAREST, 0, is not a
// convolution and is not offered).
var pilFilters = map[int]pilFilter{
	1: {lanczosFilter, 3},
	2: {bilinearFilter, 1},
	3: {bicubicFilter, 2},
	4: {boxFilter, 0.5},
	5: {hammingFilter, 1},
}

func boxFilter(x float64) float64 {
	if x > -0.5 && x <= 0.5 {
		return 1
	}
	return 0
}

func bilinearFilter(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return 1 - x
	}
	return 0
}

func hammingFilter(x float64) float64 {
	x = math.Abs(x)
	if x == 0 {
		return 1
	}
	if x >= 1 {
		return 0
	}
	x *= math.Pi
	// Pillow writes the constants as C floats (0.54f, 0.46f).
	return math.Sin(x) / x * (float64(float32(0.54)) + float64(float32(0.46))*math.Cos(x))
}

// bicubicFilter is Keys' cubic with a = −0.5.
func bicubicFilter(x float64) float64 {
	const a = -0.5
	x = math.Abs(x)
	if x < 1 {
		return ((a+2)*x-(a+3))*x*x + 1
	}
	if x < 2 {
		return (((x-5)*x+8)*x - 4) * a
	}
	return 0
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x *= math.Pi
	return math.Sin(x) / x
}

func lanczosFilter(x float64) float64 {
	if -3 <= x && x < 3 {
		return sinc(x) * sinc(x/3)
	}
	return 0
}

// precisionBits is Pillow's PRECISION_BITS for 8-bit images (32 − 8 − 2).
const precisionBits = 22

// pilCoeffs are one pass's taps: output i reads inputs lo[i] .. lo[i]+n[i]
// with fixed-point weights k[i*ksize:].
type pilCoeffs struct {
	lo, n []int
	k     []int32
	ksize int
}

// precompute is Pillow's precompute_coeffs followed by
// normalize_coeffs_8bpc, for the whole input [0, in) mapped onto out.
func precompute(in, out int, filter pilFilter) pilCoeffs {
	scale := float64(in) / float64(out)
	filterscale := max(scale, 1)
	support := filter.support * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c := pilCoeffs{lo: make([]int, out), n: make([]int, out), k: make([]int32, out*ksize), ksize: ksize}
	w := make([]float64, ksize)
	ss := 1 / filterscale
	for xx := 0; xx < out; xx++ {
		center := (float64(xx) + 0.5) * scale
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), in) - xmin
		var ww float64
		for x := 0; x < xmax; x++ {
			w[x] = filter.f((float64(x+xmin) - center + 0.5) * ss)
			ww += w[x]
		}
		for x := 0; x < xmax; x++ {
			v := w[x]
			if ww != 0 {
				v /= ww
			}
			if v < 0 {
				c.k[xx*ksize+x] = int32(-0.5 + v*(1<<precisionBits))
			} else {
				c.k[xx*ksize+x] = int32(0.5 + v*(1<<precisionBits))
			}
		}
		c.lo[xx], c.n[xx] = xmin, max(xmax, 0)
	}
	return c
}

// clip8 is Pillow's clip8: the accumulator's integer part, clamped.
func clip8(v int32) uint8 {
	v >>= precisionBits
	return uint8(min(max(v, 0), 255))
}

// rgbSource yields rows of a picture as packed 8-bit RGB.
type rgbSource interface {
	size() (w, h int)
	row(y int, dst []uint8) // dst has 3·w bytes
}

// resizeRGB resizes src to w×h exactly as Pillow's Image.resize with the
// given filter: the horizontal pass runs on only the input rows the
// vertical pass reads, one input row at a time, so memory is bounded by
// the output width times the input height. Same size in and out is a copy.
// The result is packed RGB, 3·w·h bytes.
func resizeRGB(src rgbSource, w, h int, filter pilFilter) []uint8 {
	inW, inH := src.size()
	needH, needV := w != inW, h != inH
	vert := precompute(inH, h, filter)
	first, last := 0, inH
	if needV {
		first, last = vert.lo[0], vert.lo[h-1]+vert.n[h-1]
	}
	// Horizontal pass over rows [first, last), into tmp (w wide).
	tmpW := inW
	if needH {
		tmpW = w
	}
	tmp := make([]uint8, 3*tmpW*(last-first))
	line := make([]uint8, 3*inW)
	var horiz pilCoeffs
	if needH {
		horiz = precompute(inW, w, filter)
	}
	for y := first; y < last; y++ {
		out := tmp[3*tmpW*(y-first):]
		if !needH {
			src.row(y, out[:3*inW])
			continue
		}
		src.row(y, line)
		for xx := 0; xx < w; xx++ {
			lo, n := horiz.lo[xx], horiz.n[xx]
			k := horiz.k[xx*horiz.ksize : xx*horiz.ksize+n]
			px := line[3*lo : 3*(lo+n)]
			s0, s1, s2 := int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1))
			for x, kv := range k {
				p := px[3*x : 3*x+3]
				s0 += int32(p[0]) * kv
				s1 += int32(p[1]) * kv
				s2 += int32(p[2]) * kv
			}
			out[3*xx], out[3*xx+1], out[3*xx+2] = clip8(s0), clip8(s1), clip8(s2)
		}
	}
	if !needV {
		return tmp
	}
	// Vertical pass, a row of accumulators at a time so the input rows are
	// read in order (integer sums: the order does not change them).
	res := make([]uint8, 3*w*h)
	acc := make([]int32, 3*w)
	for yy := 0; yy < h; yy++ {
		y0, n := vert.lo[yy]-first, vert.n[yy]
		for i := range acc {
			acc[i] = 1 << (precisionBits - 1)
		}
		for y, kv := range vert.k[yy*vert.ksize : yy*vert.ksize+n] {
			row := tmp[3*w*(y0+y) : 3*w*(y0+y+1)]
			for i, v := range row {
				acc[i] += int32(v) * kv
			}
		}
		out := res[3*w*yy : 3*w*(yy+1)]
		for i, s := range acc {
			out[i] = clip8(s)
		}
	}
	return res
}
