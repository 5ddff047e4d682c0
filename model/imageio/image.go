package imageio

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // JPEG input
	"image/png"
	"io"
	"math"

	"github.com/chatumm/chatumm/runtime/fileio"
)

// Limits on an input image, checked from its header (image.DecodeConfig)
// before any pixel buffer is allocated. The file itself is capped at
// fileio.Image (64 MiB) before it is read.
const (
	// MaxPixels bounds the decoded size: 50 megapixels is a high-end
	// camera's photo, and decoding it takes at most 400 MB (16-bit RGBA).
	MaxPixels = 50_000_000
	// MaxAspect bounds the ratio of the long side to the short one. The
	// centre crop keeps a square of the short side, so beyond 50:1 it
	// would keep under 2 % of the image, which is not a picture of what
	// was sent; and the short side of such an image is a few pixels
	// that the resize can only smear out.
	MaxAspect = 50
)

// ReadImage decodes a PNG or JPEG file, refusing non-regular, empty,
// unreadable, enormous and extremely thin images with an error that names
// the file.
func ReadImage(path string) (image.Image, error) {
	data, err := fileio.ReadFile(path, fileio.Image)
	if err != nil {
		return nil, err
	}
	img, err := DecodeImage(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return img, nil
}

// DecodeImage decodes PNG or JPEG bytes, refusing from the header alone an
// image over MaxPixels pixels or with an aspect ratio over MaxAspect.
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
	if err := checkSize(format, cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("truncated %s image", format)
		}
		return nil, fmt.Errorf("unreadable %s image: %v", format, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("%s image decodes to %d×%d, not the %d×%d of its header", format, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return img, nil
}

// checkSize applies the pixel and aspect-ratio caps to a w×h image.
func checkSize(format string, w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%s image has size %d×%d", format, w, h)
	}
	if int64(w)*int64(h) > MaxPixels {
		return fmt.Errorf("%s image of %d×%d pixels is too large (at most %d megapixels)", format, w, h, MaxPixels/1_000_000)
	}
	if long, short := max(w, h), min(w, h); int64(long) > MaxAspect*int64(short) {
		return fmt.Errorf("%s image of %d×%d pixels is too elongated (aspect ratio %.0f:1; at most %d:1)",
			format, w, h, float64(long)/float64(short), MaxAspect)
	}
	return nil
}

// EncodePNG turns decoder output [3, h, w] in [-1, 1] into PNG bytes.
func EncodePNG(pixels []float32, w, h int) ([]byte, error) {
	return EncodePNGWith(pixels, w, h, math.Round)
}

// EncodePNGWith is EncodePNG with the given rounding of each value in
// [0, 255] to its byte: Janus's own decoders truncate (math.Trunc), where
// Chameleon's round.
func EncodePNGWith(pixels []float32, w, h int, round func(float64) float64) ([]byte, error) {
	if len(pixels) != 3*w*h {
		return nil, fmt.Errorf("pixel tensor has %d values, want 3×%d×%d", len(pixels), h, w)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	n := w * h
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			v := (float64(pixels[c*n+i]) + 1) * 127.5
			img.Pix[4*i+c] = uint8(round(math.Max(0, math.Min(255, v))))
		}
		img.Pix[4*i+3] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
