package vqgan

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"testing"
)

// FuzzReadImage: any bytes given as an image either decode to an image
// within the caps, which preprocesses to 3×res×res values in [-1, 1], or
// are an error; never a panic, a hang or an allocation sized by a header.
func FuzzReadImage(f *testing.F) {
	if b, err := os.ReadFile("../../testdata/ref/vq-image.png"); err == nil {
		f.Add(b)
	}
	small := image.NewNRGBA(image.Rect(0, 0, 9, 4))
	for i := range small.Pix {
		small.Pix[i] = uint8(i * 37)
	}
	f.Add(encodePNG(f, small))
	var jb bytes.Buffer
	jpeg.Encode(&jb, small, nil)
	f.Add(jb.Bytes())
	f.Add(encodePNG(f, image.NewGray(image.Rect(0, 0, 2000, 1))))
	f.Add(pngHeaderOnly(10_000, 6_000))
	pal := image.NewPaletted(image.Rect(0, 0, 3, 3), color.Palette{color.White, color.Transparent})
	f.Add(encodePNG(f, pal))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeImage(data)
		if err != nil {
			if img != nil {
				t.Fatal("an image and an error")
			}
			return
		}
		b := img.Bounds()
		if err := checkSize("", b.Dx(), b.Dy()); err != nil {
			t.Fatalf("decoded an image outside the caps: %v", err)
		}
		if b.Dx()*b.Dy() > 1<<20 {
			return // valid and large: preprocessing it is slow, not interesting
		}
		const res = 16
		out := Preprocess(img, res)
		if len(out) != 3*res*res {
			t.Fatalf("%d values", len(out))
		}
		for _, v := range out {
			if !(v >= -1 && v <= 1) {
				t.Fatalf("value %v outside [-1, 1]", v)
			}
		}
	})
}

// FuzzParseConfig: any vq_config either parses to a config within every
// cap (so loading and running it is bounded) or is an error.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"resolution": 16384}`,
		`{"embed_dim": 16, "n_embed": 64, "z_channels": 24, "resolution": 32, "ch": 16, "ch_mult": [1, 2, 2], "num_res_blocks": 2, "attn_resolutions": [16], "norm_num_groups": 8}`,
		`{"resolution": 2048, "channel_multiplier": [1, 1, 2, 2, 4], "attn_resolutions": [128]}`,
		`{"base_channels": 16384, "norm_num_groups": 1, "channel_multiplier": [64]}`,
		`{"resolution": 1e3}`, `[]`, `null`, `{"double_z": 1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseConfig(data)
		if err != nil {
			return
		}
		if v.Resolution < 1 || v.Resolution > MaxResolution || len(v.ChannelMult) == 0 || v.GridSize() < 1 {
			t.Fatalf("accepted %+v", *v)
		}
		if err := v.checkWork(v.GridSize(), v.GridSize()); err != nil {
			t.Fatalf("accepted a config over the work caps: %v", err)
		}
	})
}
