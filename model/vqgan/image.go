package vqgan

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // JPEG input
	"image/png"
	"io"
	"math"
	"os"
)

// MaxPixels bounds the decoded size of an input image, checked from its
// header before any pixel buffer is allocated.
const MaxPixels = 50_000_000

// ReadImage decodes a PNG or JPEG file, refusing empty, unreadable and
// enormous images with an error that names the file.
func ReadImage(path string) (image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	img, err := DecodeImage(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return img, nil
}

// DecodeImage decodes PNG or JPEG bytes with the pixel-count bound.
func DecodeImage(data []byte) (image.Image, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("empty file, not an image")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if err == image.ErrFormat {
			return nil, fmt.Errorf("not a PNG or JPEG image")
		}
		return nil, fmt.Errorf("unreadable image: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%s image has size %d×%d", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("%s image of %d×%d pixels is too large (limit %d pixels)", format, cfg.Width, cfg.Height, MaxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("truncated %s image", format)
		}
		return nil, fmt.Errorf("unreadable %s image: %v", format, err)
	}
	return img, nil
}

// Preprocess prepares an image as Chameleon does: RGB with alpha composited
// on white, short side resized to res with a Lanczos (a=3) filter, centre
// crop to res×res, and x = p/255·2 − 1, as [3, res, res].
func Preprocess(img image.Image, res int) []float32 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rgb := make([]float32, 3*w*h) // planar, 0..255
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
			a := float64(c.A) / 65535
			for ch, v := range []uint16{c.R, c.G, c.B} {
				// Blend onto white and truncate to 8 bits, as Meta's
				// _whiten_transparency does.
				p := (1-a)*255 + a*float64(v>>8)
				rgb[ch*w*h+y*w+x] = float32(math.Floor(p))
			}
		}
	}
	scale := float64(res) / float64(min(w, h))
	nw, nh := int(math.Round(float64(w)*scale)), int(math.Round(float64(h)*scale))
	nw, nh = max(nw, res), max(nh, res)
	resized := resizeLanczos(rgb, 3, w, h, nw, nh)
	x0, y0 := (nw-res)/2, (nh-res)/2
	out := make([]float32, 3*res*res)
	for c := 0; c < 3; c++ {
		for y := 0; y < res; y++ {
			for x := 0; x < res; x++ {
				p := float64(resized[c*nw*nh+(y+y0)*nw+x+x0])
				out[c*res*res+y*res+x] = float32(p/255*2 - 1)
			}
		}
	}
	return out
}

// EncodePNG turns decoder output [3, h, w] in [-1, 1] into PNG bytes.
func EncodePNG(pixels []float32, w, h int) ([]byte, error) {
	if len(pixels) != 3*w*h {
		return nil, fmt.Errorf("pixel tensor has %d values, want 3×%d×%d", len(pixels), h, w)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	n := w * h
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			v := (float64(pixels[c*n+i]) + 1) * 127.5
			img.Pix[4*i+c] = uint8(math.Round(math.Max(0, math.Min(255, v))))
		}
		img.Pix[4*i+3] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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

// resizeLanczos resamples planar channels separably (horizontal, then
// vertical), widening the filter when downscaling and rounding to 8 bits
// after each pass, the way PIL's resample does.
func resizeLanczos(src []float32, chans, w, h, nw, nh int) []float32 {
	tmp := make([]float32, chans*nw*h)
	for c := 0; c < chans; c++ {
		resample1D(src[c*w*h:], tmp[c*nw*h:], w, nw, h, 1, w, 1, nw)
	}
	out := make([]float32, chans*nw*nh)
	for c := 0; c < chans; c++ {
		resample1D(tmp[c*nw*h:], out[c*nw*nh:], h, nh, nw, nw, 1, nw, 1)
	}
	return out
}

// resample1D resizes n lines of length in→out. Element i of line l is at
// l*lineStride + i*step in the source (and dl/dstep in the destination).
func resample1D(src, dst []float32, in, out, lines, step, lineStride, dstep, dlineStride int) {
	scale := float64(in) / float64(out)
	support := 3.0
	fscale := 1.0
	if scale > 1 {
		support *= scale
		fscale = scale
	}
	weights := make([]float64, 0, int(2*support)+3)
	for i := 0; i < out; i++ {
		center := (float64(i) + 0.5) * scale
		lo := max(int(center-support+0.5), 0)
		hi := min(int(center+support+0.5), in)
		weights = weights[:0]
		var total float64
		for j := lo; j < hi; j++ {
			wt := lanczos3((float64(j) - center + 0.5) / fscale)
			weights = append(weights, wt)
			total += wt
		}
		for l := 0; l < lines; l++ {
			var s float64
			for k, wt := range weights {
				s += float64(src[l*lineStride+(lo+k)*step]) * wt
			}
			if total != 0 {
				s /= total
			}
			dst[l*dlineStride+i*dstep] = float32(math.Round(math.Max(0, math.Min(255, s))))
		}
	}
}
