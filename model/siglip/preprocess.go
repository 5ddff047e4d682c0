package siglip

import (
	"image"
	"image/color"
)

// Preprocess turns a picture into the tower's input, [3, S, S] normalised,
// exactly as Janus's image processor does:
//
//  1. RGB, as Pillow's convert("RGB"): alpha is dropped, grey replicated;
//  2. the long side L scaled to S: (h, w) → (max(int(h/L·S), MinSize),
//     max(int(w/L·S), MinSize)), with Pillow's resampling (bicubic for
//     Janus; see resizeRGB);
//  3. pasted centred, at ((S−w')/2, (S−h')/2), on an S×S square of the
//     background colour int(mean·255);
//  4. x = (p·rescale − mean)/std in float32, as the processor's numpy does.
//
// The size formula is the original processor's (deepseek-ai/Janus, and
// transformers before it computed h·(S/L)): that one rounds the long side to
// S−1 for some sizes (47, 94, 147, ... pixels), giving a picture the tower
// cannot read. JPEG pictures decode slightly differently in Go than in
// libjpeg, so only lossless inputs (PNG) reproduce Pillow's pixels
// exactly. An empty picture gives the background square.
func (c *Config) Preprocess(img image.Image) []float32 {
	return c.normalise(c.padded(img))
}

// padded is steps 1–3: the S×S picture as packed 8-bit RGB.
func (c *Config) padded(img image.Image) []uint8 {
	S := c.ImageSize
	canvas := make([]uint8, 3*S*S)
	for i := 0; i < S*S; i++ {
		copy(canvas[3*i:3*i+3], c.Background[:])
	}
	src := newRGBSource(img)
	w, h := src.size()
	if w > 0 && h > 0 {
		long := max(w, h)
		nh := max(int(float64(h)/float64(long)*float64(S)), c.MinSize)
		nw := max(int(float64(w)/float64(long)*float64(S)), c.MinSize)
		nh, nw = min(nh, S), min(nw, S)
		resized := resizeRGB(src, nw, nh, pilFilters[c.Resample])
		x0, y0 := (S-nw)/2, (S-nh)/2
		for y := 0; y < nh; y++ {
			copy(canvas[3*((y0+y)*S+x0):3*((y0+y)*S+x0+nw)], resized[3*y*nw:3*(y+1)*nw])
		}
	}
	return canvas
}

// normalise maps packed RGB bytes of an S×S picture to [3, S, S] floats:
// the rescale in float64 rounded to float32 (numpy's rescale), then
// (x − mean)/std in float32 (its normalize).
func (c *Config) normalise(rgb []uint8) []float32 {
	n := len(rgb) / 3
	out := make([]float32, 3*n)
	for ch := 0; ch < 3; ch++ {
		m, s := c.Mean[ch], c.Std[ch]
		plane := out[ch*n : (ch+1)*n]
		for i := range plane {
			r := float32(float64(rgb[3*i+ch]) * c.Rescale)
			plane[i] = (r - m) / s
		}
	}
	return out
}

// newRGBSource reads img's rows as 8-bit RGB, with fast paths for the
// types the PNG and JPEG decoders return.
func newRGBSource(img image.Image) rgbSource {
	return &imageRows{img: img, b: img.Bounds()}
}

type imageRows struct {
	img image.Image
	b   image.Rectangle
}

func (s *imageRows) size() (int, int) { return s.b.Dx(), s.b.Dy() }

// row writes row y (from the top of the bounds) as packed RGB. Colours are
// non-premultiplied 8-bit, as Pillow stores them: an RGBA pixel keeps its
// colour whatever its alpha (convert("RGB") drops the alpha channel).
func (s *imageRows) row(y int, dst []uint8) {
	y += s.b.Min.Y
	x0, w := s.b.Min.X, s.b.Dx()
	switch im := s.img.(type) {
	case *image.NRGBA:
		p := im.Pix[im.PixOffset(x0, y):]
		for x := 0; x < w; x++ {
			dst[3*x], dst[3*x+1], dst[3*x+2] = p[4*x], p[4*x+1], p[4*x+2]
		}
		return
	case *image.RGBA:
		p := im.Pix[im.PixOffset(x0, y):]
		for x := 0; x < w; x++ {
			if a := p[4*x+3]; a == 0xff {
				dst[3*x], dst[3*x+1], dst[3*x+2] = p[4*x], p[4*x+1], p[4*x+2]
			} else {
				c := color.NRGBAModel.Convert(color.RGBA{p[4*x], p[4*x+1], p[4*x+2], a}).(color.NRGBA)
				dst[3*x], dst[3*x+1], dst[3*x+2] = c.R, c.G, c.B
			}
		}
		return
	case *image.Gray:
		p := im.Pix[im.PixOffset(x0, y):]
		for x := 0; x < w; x++ {
			dst[3*x], dst[3*x+1], dst[3*x+2] = p[x], p[x], p[x]
		}
		return
	case *image.YCbCr:
		// The planes directly: YCbCrAt per pixel costs more than the resize.
		yRow := im.Y[im.YOffset(x0, y):]
		for x := 0; x < w; x++ {
			ci := im.COffset(x0+x, y)
			dst[3*x], dst[3*x+1], dst[3*x+2] = color.YCbCrToRGB(yRow[x], im.Cb[ci], im.Cr[ci])
		}
		return
	}
	for x := 0; x < w; x++ {
		c := color.NRGBA64Model.Convert(s.img.At(x0+x, y)).(color.NRGBA64)
		dst[3*x], dst[3*x+1], dst[3*x+2] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8)
	}
}
