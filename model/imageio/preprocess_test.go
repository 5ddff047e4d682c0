package imageio

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	goruntime "runtime"
	"testing"
)

// referencePreprocess is Preprocess as first written: convert the whole
// image, resize it whole with the same filter, then crop. Preprocess must
// give exactly its result while computing only the crop.
func referencePreprocess(img image.Image, res int) []float32 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rgb := make([]float32, 3*w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
			a := float64(c.A) / 65535
			for ch, v := range []uint16{c.R, c.G, c.B} {
				rgb[ch*w*h+y*w+x] = float32(math.Floor((1-a)*255 + a*float64(v>>8)))
			}
		}
	}
	scale := float64(res) / float64(min(w, h))
	nw, nh := int(math.Round(float64(w)*scale)), int(math.Round(float64(h)*scale))
	nw, nh = max(nw, res), max(nh, res)
	tmp := make([]float32, 3*nw*h)
	for c := 0; c < 3; c++ {
		referenceResample(rgb[c*w*h:], tmp[c*nw*h:], w, nw, h, 1, w, 1, nw)
	}
	resized := make([]float32, 3*nw*nh)
	for c := 0; c < 3; c++ {
		referenceResample(tmp[c*nw*h:], resized[c*nw*nh:], h, nh, nw, nw, 1, nw, 1)
	}
	x0, y0 := (nw-res)/2, (nh-res)/2
	out := make([]float32, 3*res*res)
	for c := 0; c < 3; c++ {
		for y := 0; y < res; y++ {
			for x := 0; x < res; x++ {
				out[c*res*res+y*res+x] = float32(float64(resized[c*nw*nh+(y+y0)*nw+x+x0])/255*2 - 1)
			}
		}
	}
	return out
}

func referenceResample(src, dst []float32, in, out, lines, step, lineStride, dstep, dlineStride int) {
	scale := float64(in) / float64(out)
	support, fscale := 3.0, 1.0
	if scale > 1 {
		support *= scale
		fscale = scale
	}
	for i := 0; i < out; i++ {
		center := (float64(i) + 0.5) * scale
		lo := max(int(center-support+0.5), 0)
		hi := min(int(center+support+0.5), in)
		var ws []float64
		var total float64
		for j := lo; j < hi; j++ {
			wt := lanczos3((float64(j) - center + 0.5) / fscale)
			ws = append(ws, wt)
			total += wt
		}
		for l := 0; l < lines; l++ {
			var s float64
			for k, wt := range ws {
				s += float64(src[l*lineStride+(lo+k)*step]) * wt
			}
			if total != 0 {
				s /= total
			}
			dst[l*dlineStride+i*dstep] = float32(math.Round(math.Max(0, math.Min(255, s))))
		}
	}
}

// testImages returns w×h images of every type the decoders produce, with
// random content (and random alpha where there is alpha).
func testImages(t *testing.T, w, h int, seed uint64) map[string]image.Image {
	rng := rand.New(rand.NewPCG(seed, 7))
	r := image.Rect(3, 5, 3+w, 5+h) // a non-zero origin, as a SubImage has
	nrgba, rgba, n64, r64 := image.NewNRGBA(r), image.NewRGBA(r), image.NewNRGBA64(r), image.NewRGBA64(r)
	gray, g16, cmyk := image.NewGray(r), image.NewGray16(r), image.NewCMYK(r)
	pal := image.NewPaletted(r, color.Palette{color.White, color.Black, color.NRGBA{200, 10, 30, 128}, color.Transparent})
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))}
			if rng.IntN(4) == 0 {
				c.A = 255
			}
			nrgba.Set(x, y, c)
			rgba.Set(x, y, c)
			n64.Set(x, y, color.NRGBA64{uint16(rng.IntN(65536)), uint16(rng.IntN(65536)), uint16(rng.IntN(65536)), uint16(rng.IntN(65536))})
			r64.Set(x, y, c)
			gray.Set(x, y, c)
			g16.Set(x, y, color.Gray16{uint16(rng.IntN(65536))})
			cmyk.Set(x, y, c)
			pal.SetColorIndex(x, y, uint8(rng.IntN(4)))
		}
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, nrgba, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	ycc, err := jpeg.Decode(&jb)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ycc.(*image.YCbCr); !ok {
		t.Fatalf("jpeg decoded to %T", ycc)
	}
	return map[string]image.Image{
		"NRGBA": nrgba, "RGBA": rgba, "NRGBA64": n64, "RGBA64": r64, "Gray": gray,
		"Gray16": g16, "CMYK": cmyk, "Paletted": pal, "YCbCr": ycc,
		"generic": opaqueWrapper{nrgba},
	}
}

// opaqueWrapper hides the concrete type, to exercise the generic path.
type opaqueWrapper struct{ image.Image }

// TestPreprocessEqualsWholeResize: computing only the crop gives exactly
// the whole-image resize-then-crop, for every image type, for upscaling
// and downscaling, wide and tall.
func TestPreprocessEqualsWholeResize(t *testing.T) {
	sizes := [][3]int{{48, 40, 32}, {40, 48, 32}, {7, 5, 16}, {100, 17, 16}, {17, 100, 16}, {33, 33, 33}, {1, 1, 8}, {5, 200, 8}}
	for si, sz := range sizes {
		w, h, res := sz[0], sz[1], sz[2]
		imgs := testImages(t, w, h, uint64(si))
		for name, img := range imgs {
			got, want := Preprocess(img, res), referencePreprocess(img, res)
			if len(got) != len(want) {
				t.Fatalf("%s %d×%d→%d: %d values, want %d", name, w, h, res, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s %d×%d→%d: value %d = %v, want %v", name, w, h, res, i, got[i], want[i])
				}
			}
		}
	}
}

// TestPreprocessWorkBoundedByOutput: a very thin image costs memory in
// proportion to the output, not to the resized long side (which for this
// image is 20,000,000×64 pixels, 15 GB as float32).
func TestPreprocessWorkBoundedByOutput(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 1_000_000, 3))
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	out := Preprocess(img, 64)
	goruntime.ReadMemStats(&after)
	if len(out) != 3*64*64 {
		t.Fatalf("%d values", len(out))
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("Preprocess of a 1000000×3 image allocated %d bytes", grew)
	}
	for _, v := range out {
		if v != -1 { // black everywhere
			t.Fatalf("value %v in a black image", v)
		}
	}
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngHeaderOnly is the start of a w×h 8-bit grey PNG: signature and IHDR,
// all that image.DecodeConfig reads.
func pngHeaderOnly(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := binary.BigEndian.AppendUint32(nil, w)
	chunk = binary.BigEndian.AppendUint32(chunk, h)
	chunk = append(chunk, 8, 0, 0, 0, 0) // depth 8, grey, deflate, no filter, no interlace
	binary.Write(&b, binary.BigEndian, uint32(len(chunk)))
	typed := append([]byte("IHDR"), chunk...)
	b.Write(typed)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(typed))
	return b.Bytes()
}

// TestDecodeImageCaps: pixel count and aspect ratio are refused from the
// header, before the pixels are decoded.
func TestDecodeImageCaps(t *testing.T) {
	thin := encodePNG(t, image.NewGray(image.Rect(0, 0, 2_000_000, 1)))
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	_, err := DecodeImage(thin)
	goruntime.ReadMemStats(&after)
	want := "png image of 2000000×1 pixels is too elongated (aspect ratio 2000000:1; at most 50:1)"
	if err == nil || err.Error() != want {
		t.Errorf("2000000×1: %v, want %q", err, want)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("refusing a %d-byte PNG allocated %d bytes", len(thin), grew)
	}
	if _, err := DecodeImage(encodePNG(t, image.NewGray(image.Rect(0, 0, 500, 10)))); err != nil {
		t.Errorf("500×10 (50:1) refused: %v", err)
	}
	if _, err := DecodeImage(encodePNG(t, image.NewGray(image.Rect(0, 0, 10, 501)))); err == nil {
		t.Error("10×501 accepted")
	}
	_, err = DecodeImage(pngHeaderOnly(10_000, 6_000))
	want = "png image of 10000×6000 pixels is too large (at most 50 megapixels)"
	if err == nil || err.Error() != want {
		t.Errorf("60 Mpx: %v, want %q", err, want)
	}
}
