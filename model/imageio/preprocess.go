package imageio

import (
	"image"
	"image/color"
	"math"
)

// Preprocess prepares an image as Chameleon does: RGB with alpha composited
// on white, short side resized to res with a Lanczos (a=3) filter, centre
// crop to res×res, and x = p/255·2 − 1, as [3, res, res].
//
// The result is exactly that of resizing the whole image and then
// cropping, but only the cropped res×res outputs are computed, from only
// the input pixels under their filters: the work and memory are bounded by
// res and the part of the image that is kept, however large or thin the
// input (a 2000000×1 image would otherwise resize to 1024000000×512).
func Preprocess(img image.Image, res int) []float32 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	scale := float64(res) / float64(min(w, h))
	nw, nh := int(math.Round(float64(w)*scale)), int(math.Round(float64(h)*scale))
	nw, nh = max(nw, res), max(nh, res)
	x0, y0 := (nw-res)/2, (nh-res)/2
	fx := lanczosTaps(w, nw, x0, res) // output columns x0 .. x0+res
	fy := lanczosTaps(h, nh, y0, res) // output rows y0 .. y0+res
	cx0, cx1 := fx.inputRange()
	ry0, ry1 := fy.inputRange()

	// Horizontal pass, one input row at a time: only the rows the vertical
	// filter reads, only the columns the horizontal filter reads.
	rows := ry1 - ry0
	tmp := make([]float32, 3*rows*res) // [c][row-ry0][x]
	line := make([]float32, 3*(cx1-cx0))
	pix := pixelReader(img)
	for y := ry0; y < ry1; y++ {
		whitenedRow(pix, b.Min.X+cx0, b.Min.X+cx1, b.Min.Y+y, line)
		for c := 0; c < 3; c++ {
			src := line[c*(cx1-cx0):]
			dst := tmp[(c*rows+y-ry0)*res:]
			for i := 0; i < res; i++ {
				dst[i] = fx.apply(i, src, cx0, 1)
			}
		}
	}
	// Vertical pass over the cropped columns, then to [-1, 1].
	out := make([]float32, 3*res*res)
	for c := 0; c < 3; c++ {
		plane := tmp[c*rows*res:]
		for y := 0; y < res; y++ {
			for x := 0; x < res; x++ {
				p := fy.apply(y, plane[x:], ry0, res)
				out[c*res*res+y*res+x] = float32(float64(p)/255*2 - 1)
			}
		}
	}
	return out
}

// whitenedRow converts pixels x0..x1 of row y to planar 8-bit RGB floats
// with alpha blended onto white, truncated to 8 bits as Meta's
// _whiten_transparency does.
func whitenedRow(pix func(x, y int) color.NRGBA64, x0, x1, y int, line []float32) {
	n := x1 - x0
	for x := x0; x < x1; x++ {
		c := pix(x, y)
		a := float64(c.A) / 65535
		for ch, v := range [3]uint16{c.R, c.G, c.B} {
			p := (1-a)*255 + a*float64(v>>8)
			line[ch*n+x-x0] = float32(math.Floor(p))
		}
	}
}

// pixelReader returns a reader of img's pixels as non-premultiplied 16-bit
// colour, equal to color.NRGBA64Model.Convert(img.At(x, y)), but for the
// image types the decoders return without boxing a color per pixel.
func pixelReader(img image.Image) func(x, y int) color.NRGBA64 {
	switch im := img.(type) {
	case *image.NRGBA64:
		return im.NRGBA64At // Convert returns an NRGBA64 as it is
	case *image.NRGBA:
		return func(x, y int) color.NRGBA64 { return unpremultiply(im.NRGBAAt(x, y).RGBA()) }
	case *image.RGBA:
		return func(x, y int) color.NRGBA64 { return unpremultiply(im.RGBAAt(x, y).RGBA()) }
	case *image.RGBA64:
		return func(x, y int) color.NRGBA64 { return unpremultiply(im.RGBA64At(x, y).RGBA()) }
	case *image.YCbCr:
		return func(x, y int) color.NRGBA64 { return unpremultiply(im.YCbCrAt(x, y).RGBA()) }
	case *image.Gray:
		return func(x, y int) color.NRGBA64 { return unpremultiply(im.GrayAt(x, y).RGBA()) }
	case *image.Gray16:
		return func(x, y int) color.NRGBA64 { return unpremultiply(im.Gray16At(x, y).RGBA()) }
	case *image.CMYK:
		return func(x, y int) color.NRGBA64 { return unpremultiply(im.CMYKAt(x, y).RGBA()) }
	}
	return func(x, y int) color.NRGBA64 {
		return color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
	}
}

// unpremultiply is color.NRGBA64Model's conversion of an
// alpha-premultiplied colour.
func unpremultiply(r, g, b, a uint32) color.NRGBA64 {
	switch a {
	case 0xffff:
		return color.NRGBA64{uint16(r), uint16(g), uint16(b), 0xffff}
	case 0:
		return color.NRGBA64{}
	}
	return color.NRGBA64{uint16(r * 0xffff / a), uint16(g * 0xffff / a), uint16(b * 0xffff / a), uint16(a)}
}

func lanczos3(x float64) float64 {
	if x == 0 {
		return 1
	}
	if x <= -3 || x >= 3 {
		return 0
	}
	px := math.Pi * x
	return 3 * math.Sin(px) * math.Sin(px/3) / (px * px)
}

// taps is a 1-D Lanczos resampling of in samples to out, for count outputs
// from first on: output i reads inputs lo[i] .. lo[i]+len(w[i]). The filter
// widens when downscaling and each output is rounded to 8 bits, the way
// PIL's resample does.
type taps struct {
	lo    []int
	w     [][]float64
	total []float64
}

func lanczosTaps(in, out, first, count int) taps {
	scale := float64(in) / float64(out)
	support, fscale := 3.0, 1.0
	if scale > 1 {
		support *= scale
		fscale = scale
	}
	t := taps{lo: make([]int, count), w: make([][]float64, count), total: make([]float64, count)}
	for k := range count {
		center := (float64(first+k) + 0.5) * scale
		lo := max(int(center-support+0.5), 0)
		hi := min(int(center+support+0.5), in)
		ws := make([]float64, 0, max(hi-lo, 0))
		var total float64
		for j := lo; j < hi; j++ {
			wt := lanczos3((float64(j) - center + 0.5) / fscale)
			ws = append(ws, wt)
			total += wt
		}
		t.lo[k], t.w[k], t.total[k] = lo, ws, total
	}
	return t
}

// inputRange is the span of inputs any output reads: [lo, hi).
func (t taps) inputRange() (lo, hi int) {
	lo, hi = math.MaxInt, 0
	for k := range t.lo {
		if len(t.w[k]) > 0 {
			lo, hi = min(lo, t.lo[k]), max(hi, t.lo[k]+len(t.w[k]))
		}
	}
	if lo > hi {
		return 0, 0
	}
	return lo, hi
}

// apply computes output k; input j is src[(j-base)*stride].
func (t taps) apply(k int, src []float32, base, stride int) float32 {
	var s float64
	at := (t.lo[k] - base) * stride
	for _, wt := range t.w[k] {
		s += float64(src[at]) * wt
		at += stride
	}
	if t.total[k] != 0 {
		s /= t.total[k]
	}
	return float32(math.Round(math.Max(0, math.Min(255, s))))
}
