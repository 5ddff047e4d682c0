package vqgan

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/chatumm/chatumm/model/imageio"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// The janus-a (BF16, 5 levels, 32 channels) and janus-b (F32, 4 levels,
// 32/64 channels) checkpoints of tools/reference/make_janus_fixtures.py,
// decoded and encoded by its float64 reference (JANUS_SPEC.md §4, §7).

type janusVQExpected struct {
	VQDecode struct {
		Codes      []int  `json:"codes"`
		Grid       []int  `json:"grid"`
		PixelsFile string `json:"pixels_file"`
		PNG        string `json:"png"`
		// Second: codes spread over the codebook (the drawn codes may
		// repeat a few entries).
		Second struct {
			Codes      []int  `json:"codes"`
			PixelsFile string `json:"pixels_file"`
		} `json:"second"`
	} `json:"vq_decode"`
	VQEncode struct {
		InputFile  string    `json:"input_file"`
		LatentFile string    `json:"latent_file"`
		Codes      []int     `json:"codes"`
		CosineGaps []float64 `json:"cosine_gaps"`
	} `json:"vq_encode"`
}

// loadJanusVQ reads a fixture's vq_config (its grid set from the vision
// tower, as transformers does) and VQ-16 weights.
func loadJanusVQ(t *testing.T, name string, threads int) (*Model, *janusVQExpected, string) {
	t.Helper()
	dir := filepath.Join("../../testdata/ref", name)
	var raw struct {
		VQ     json.RawMessage `json:"vq_config"`
		Vision struct {
			ImageSize int `json:"image_size"`
			PatchSize int `json:"patch_size"`
		} `json:"vision_config"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(raw.VQ)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Arch != ArchLlamaGen {
		t.Fatalf("%s: vq_config not recognised as LlamaGen", name)
	}
	if err := cfg.SetGrid(raw.Vision.ImageSize / raw.Vision.PatchSize); err != nil {
		t.Fatal(err)
	}
	set, err := weights.Open(dir, weights.Mmap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	m, err := Load(set, cfg, runtime.NewPool(threads))
	if err != nil {
		t.Fatal(err)
	}
	var e janusVQExpected
	b, err = os.ReadFile(filepath.Join(dir, "expected", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return m, &e, filepath.Join(dir, "expected")
}

// Bounds against the float64 reference, each about 5× the max |diff|
// measured on 2026-12-06 with `go test ./model/vqgan -run JanusFixtures -v`
// (which logs them), AVX2 and CHATUMM_CPU=generic, 1 and 2 threads:
//
//	fixture   latent    decoded pixels (float PSNR, peak-to-peak 2): drawn, spread codes
//	janus-a   3.0e-6    3.9e-6 (130 dB), 3.8e-6 (130 dB)
//	janus-b   1.3e-6    1.25e-6 (137 dB), 2.1e-6 (134 dB)
//
// The PNG is 51 dB from the reference's: EncodePNG rounds where Janus
// truncates (uint8(clip((x+1)/2·255))), about half the values one level
// apart; truncating, they all agree but one.
var janusVQTol = map[string]struct{ latent, pixels float64 }{
	"janus-a": {latent: 1.5e-5, pixels: 2e-5},
	"janus-b": {latent: 7e-6, pixels: 1e-5},
}

// TestJanusFixturesVQ: decoded float pixels and their PNG, and the latent
// and codes of the reference's preprocessed image.
func TestJanusFixturesVQ(t *testing.T) {
	for _, name := range []string{"janus-a", "janus-b"} {
		for _, threads := range []int{1, 2} {
			m, e, dir := loadJanusVQ(t, name, threads)
			g := m.Cfg.GridSize()
			if e.VQDecode.Grid[0] != g || e.VQDecode.Grid[1] != g {
				t.Fatalf("%s: grid %v, config says %d", name, e.VQDecode.Grid, g)
			}
			got, err := m.Decode(e.VQDecode.Codes)
			if err != nil {
				t.Fatal(err)
			}
			want := readF32(t, filepath.Join(dir, e.VQDecode.PixelsFile))
			if len(got) != len(want) {
				t.Fatalf("%s: %d pixels, want %d", name, len(got), len(want))
			}
			d, p := maxAbsDiff(got, want), psnr(got, want)
			side := m.Cfg.Resolution
			pngPSNR := pngPSNR(t, got, side, filepath.Join(dir, e.VQDecode.PNG))
			t.Logf("%s threads=%d: pixels max |diff| %.3g (limit %.3g), PSNR %.1f dB; PNG PSNR %.1f dB",
				name, threads, d, janusVQTol[name].pixels, p, pngPSNR)
			if d > janusVQTol[name].pixels || pngPSNR < 40 {
				t.Errorf("%s threads=%d: pixels max |diff| %.3g (limit %.3g); PNG PSNR %.1f dB (floor 40)",
					name, threads, d, janusVQTol[name].pixels, pngPSNR)
			}

			if len(e.VQDecode.Second.Codes) == 0 {
				t.Fatalf("%s: no second decode case", name)
			}
			got2, err := m.Decode(e.VQDecode.Second.Codes)
			if err != nil {
				t.Fatal(err)
			}
			want2 := readF32(t, filepath.Join(dir, e.VQDecode.Second.PixelsFile))
			if len(got2) != len(want2) {
				t.Fatalf("%s: %d pixels, want %d", name, len(got2), len(want2))
			}
			d2 := maxAbsDiff(got2, want2)
			t.Logf("%s threads=%d: spread codes: pixels max |diff| %.3g, PSNR %.1f dB", name, threads, d2, psnr(got2, want2))
			if d2 > janusVQTol[name].pixels {
				t.Errorf("%s threads=%d: spread codes: pixels max |diff| %.3g > %.3g", name, threads, d2, janusVQTol[name].pixels)
			}

			input := readF32(t, filepath.Join(dir, e.VQEncode.InputFile))
			z, wantZ := latent(m, input), readF32(t, filepath.Join(dir, e.VQEncode.LatentFile))
			if len(z) != len(wantZ) {
				t.Fatalf("%s: latent has %d values, want %d", name, len(z), len(wantZ))
			}
			dz := maxAbsDiff(z, wantZ)
			t.Logf("%s threads=%d: latent max |diff| %.3g (limit %.3g)", name, threads, dz, janusVQTol[name].latent)
			if dz > janusVQTol[name].latent {
				t.Errorf("%s threads=%d: latent max |diff| %.3g > %.3g", name, threads, dz, janusVQTol[name].latent)
			}
			codes, gaps, err := m.Encode(input)
			if err != nil {
				t.Fatal(err)
			}
			if len(codes) != len(e.VQEncode.Codes) {
				t.Fatalf("%s: %d codes, want %d", name, len(codes), len(e.VQEncode.Codes))
			}
			for i := range codes {
				// Squared distances of unit vectors are 2 − 2·cosine.
				wantGap := 2 * e.VQEncode.CosineGaps[i]
				if codes[i] != e.VQEncode.Codes[i] || math.Abs(float64(gaps[i])-wantGap) > 1e-4 {
					t.Errorf("%s threads=%d: code %d = %d (gap %.5f), want %d (gap %.5f)",
						name, threads, i, codes[i], gaps[i], e.VQEncode.Codes[i], wantGap)
				}
			}
		}
	}
}

// pngPSNR encodes pixels as chatumm writes a PNG and compares the 8-bit
// values with the reference's PNG (peak 255).
func pngPSNR(t *testing.T, pixels []float32, side int, wantPath string) float64 {
	t.Helper()
	data, err := imageio.EncodePNG(pixels, side, side)
	if err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("PNG is %v, reference %v", got.Bounds(), want.Bounds())
	}
	var mse float64
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, _ := got.At(x, y).RGBA()
			r2, g2, b2, _ := want.At(x, y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				mse += d * d
			}
		}
	}
	mse /= float64(3 * b.Dx() * b.Dy())
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}
