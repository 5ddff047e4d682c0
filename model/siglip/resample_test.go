package siglip

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"slices"
	"testing"
)

// TestResampleMatchesPillow: resizeRGB against Pillow 9.4.0's Image.resize
// (testdata/make_resample.py) with every filter, shrinking and enlarging
// along either axis or both.
func TestResampleMatchesPillow(t *testing.T) {
	in := newRGBSource(readPNG(t, filepath.Join("testdata", "resample", "in.png")))
	names := map[int]string{1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}
	for code, name := range names {
		for _, s := range [][2]int{{20, 13}, {80, 50}, {37, 60}, {9, 23}, {5, 3}} {
			file := fmt.Sprintf("%s-%dx%d.png", name, s[0], s[1])
			want := rgbBytes(readPNG(t, filepath.Join("testdata", "resample", file)))
			got := resizeRGB(in, s[0], s[1], pilFilters[code])
			if !slices.Equal(got, want) {
				diff := 0
				for i := range got {
					if got[i] != want[i] {
						diff++
					}
				}
				t.Errorf("%s: %d of %d bytes differ from Pillow's", file, diff, len(want))
			}
		}
	}
	// Same size is a copy.
	w, h := in.size()
	if !slices.Equal(resizeRGB(in, w, h, pilFilters[3]), rgbBytes(readPNG(t, filepath.Join("testdata", "resample", "in.png")))) {
		t.Error("same-size resize is not a copy")
	}
}

// TestPixelTypes: every image type reads as the RGB Pillow's
// convert("RGB") gives: opaque colours as they are, grey replicated, the
// alpha channel dropped (not composited).
func TestPixelTypes(t *testing.T) {
	const w, h = 5, 3
	nrgba := image.NewNRGBA(image.Rect(10, 20, 10+w, 20+h)) // bounds not at the origin
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	gray := image.NewGray(image.Rect(0, 0, w, h))
	rgba64 := image.NewRGBA64(image.Rect(0, 0, w, h))
	pal := image.NewPaletted(image.Rect(0, 0, w, h), nil)
	var want, wantGray []uint8
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{uint8(40*x + 3), uint8(70 * y), uint8(x*y*20 + 1), 255}
			nrgba.SetNRGBA(10+x, 20+y, c)
			rgba.SetRGBA(x, y, color.RGBA{c.R, c.G, c.B, 255})
			rgba64.Set(x, y, c)
			pal.Palette = append(pal.Palette, c)
			pal.SetColorIndex(x, y, uint8(len(pal.Palette)-1))
			gray.SetGray(x, y, color.Gray{c.R})
			want = append(want, c.R, c.G, c.B)
			wantGray = append(wantGray, c.R, c.R, c.R)
		}
	}
	for name, img := range map[string]image.Image{"NRGBA": nrgba, "RGBA": rgba, "RGBA64": rgba64, "Paletted": pal} {
		if got := rgbBytes(img); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if got := rgbBytes(gray); !slices.Equal(got, wantGray) {
		t.Errorf("Gray: %v, want %v", got, wantGray)
	}
	// Transparent pixels keep their stored colour.
	nrgba.SetNRGBA(10, 20, color.NRGBA{200, 100, 50, 0})
	if got := rgbBytes(nrgba)[:3]; !slices.Equal(got, []uint8{200, 100, 50}) {
		t.Errorf("transparent NRGBA pixel reads %v, want [200 100 50]", got)
	}
	// YCbCr (JPEG) converts with Go's YCbCr→RGB, chroma subsampled, bounds
	// off the origin.
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422} {
		ycc := image.NewYCbCr(image.Rect(3, 1, 10, 6), ratio)
		for i := range ycc.Y {
			ycc.Y[i] = uint8(37 * i)
		}
		for i := range ycc.Cb {
			ycc.Cb[i], ycc.Cr[i] = uint8(91*i+5), uint8(53*i+200)
		}
		var want []uint8
		for y := 1; y < 6; y++ {
			for x := 3; x < 10; x++ {
				c := ycc.YCbCrAt(x, y)
				r, g, b := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				want = append(want, r, g, b)
			}
		}
		if got := rgbBytes(ycc); !slices.Equal(got, want) {
			t.Errorf("YCbCr %v reads %v, want %v", ratio, got, want)
		}
	}
}

// TestPreprocessShapes: an empty picture is the background square; a very
// thin one keeps MinSize pixels across, centred.
func TestPreprocessShapes(t *testing.T) {
	c, _ := ParseConfig(json.RawMessage(`{"image_size": 32, "patch_size": 8}`))
	bg := c.padded(image.NewNRGBA(image.Rect(0, 0, 0, 0)))
	for i, v := range bg {
		if v != 127 {
			t.Fatalf("empty picture: byte %d = %d, want the background 127", i, v)
		}
	}
	// 1×40: long side 40 → 32, short side int(1/40·32) = 0 → MinSize 14,
	// pasted at x = (32−14)/2 = 9.
	thin := image.NewNRGBA(image.Rect(0, 0, 1, 40))
	for y := 0; y < 40; y++ {
		thin.SetNRGBA(0, y, color.NRGBA{255, 0, 0, 255})
	}
	p := c.padded(thin)
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			inside := x >= 9 && x < 23
			if r := p[3*(y*32+x)]; inside != (r == 255) {
				t.Fatalf("thin picture: pixel (%d, %d) red = %d", x, y, r)
			}
		}
	}
	if n := len(c.Preprocess(thin)); n != 3*32*32 {
		t.Fatalf("Preprocess gives %d values, want %d", n, 3*32*32)
	}
}
