package vqgan

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model/imageio"

	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

type vqExpected struct {
	InputFile  string    `json:"input_file"`
	Codes      []int     `json:"codes"`
	Gaps       []float64 `json:"code_distance_gaps"`
	Preprocess struct {
		ResizedSize []int `json:"resized_size"`
	} `json:"preprocess"`
	Decode []struct {
		Codes      []int  `json:"codes"`
		Grid       []int  `json:"grid"`
		PixelsFile string `json:"pixels_file"`
	} `json:"decode"`
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

func loadFixture(t *testing.T, name string, threads int) (*Model, *vqExpected, string) {
	t.Helper()
	dir := filepath.Join("../../testdata/ref", name)
	var raw struct {
		VQ json.RawMessage `json:"vq_config"`
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
	set, err := weights.Open(dir, weights.Mmap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	m, err := Load(set, cfg, runtime.NewPool(threads))
	if err != nil {
		t.Fatal(err)
	}
	var e vqExpected
	b, _ = os.ReadFile(filepath.Join(dir, "expected.json"))
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return m, &e, dir
}

// Largest errors allowed against the float64 reference (float32 files),
// each about 5× the max |diff| measured on 2026-12-06 with
// `go test ./model/vqgan -run MatchesReference -v` (which logs it), on AVX2
// and with CHATUMM_CPU=generic, 1 and 2 threads (identical):
//
//	fixture      latent (rms 0.5-0.6)   decoded pixels (rms 0.25-0.29)
//	vq-anole     1.7e-6                 1.3e-6 (8×8)
//	vq-facebook  2.3e-6                 (no decoder)
//	vq-lumina    2.7e-6                 1.3e-6 (8×8), 0.95e-6 (6×4)
//
// GroupNorm's eps ×10 moves the latent by 3e-5 to 8e-5 and the pixels by
// 2.5e-5 to 4.5e-5, so these bounds see it; an 8-bit PNG could not.
var vqTol = map[string]struct{ latent, pixels float64 }{
	"vq-anole":    {latent: 8.5e-6, pixels: 6.5e-6},
	"vq-facebook": {latent: 1.15e-5},
	"vq-lumina":   {latent: 1.35e-5, pixels: 6.5e-6},
}

// minDecodePSNR is the decoded pixels' PSNR floor (peak-to-peak 2), a few dB
// under the 137.8-140.0 dB measured as above.
const minDecodePSNR = 130

func maxAbsDiff(got, want []float32) float64 {
	var d float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(want[i])))
		if math.IsNaN(float64(got[i])) {
			return math.Inf(1)
		}
	}
	return d
}

// latent is Encode's quant_conv output [embed_dim, g, g], before the
// nearest-code search.
func latent(m *Model, pixels []float32) []float32 {
	R := m.Cfg.Resolution
	return m.conv(m.quantConv, m.runEncoder(tensor{pixels, m.Cfg.InChannels, R, R}), 1).data
}

// TestEncodeMatchesReference: from the reference's preprocessed input the
// latent matches in float, and the codes are identical (the reference's
// smallest nearest/second-nearest gap is 0.0031, far above float error).
func TestEncodeMatchesReference(t *testing.T) {
	for _, name := range []string{"vq-anole", "vq-facebook", "vq-lumina"} {
		for _, threads := range []int{1, 2} {
			m, e, dir := loadFixture(t, name, threads)
			input := readF32(t, filepath.Join(dir, e.InputFile))
			wantZ := readF32(t, filepath.Join(dir, "latent.f32"))
			z := latent(m, input)
			if len(z) != len(wantZ) {
				t.Fatalf("%s: latent has %d values, want %d", name, len(z), len(wantZ))
			}
			d := maxAbsDiff(z, wantZ)
			t.Logf("%s threads=%d: latent max |diff| %.3g (limit %.3g)", name, threads, d, vqTol[name].latent)
			if d > vqTol[name].latent {
				t.Errorf("%s threads=%d: latent max |diff| %.3g > %.3g", name, threads, d, vqTol[name].latent)
			}
			codes, _, err := m.Encode(input)
			if err != nil {
				t.Fatal(err)
			}
			if len(codes) != len(e.Codes) {
				t.Fatalf("%s: %d codes, want %d", name, len(codes), len(e.Codes))
			}
			for i := range codes {
				if codes[i] != e.Codes[i] {
					t.Errorf("%s threads=%d: code %d = %d, want %d (gap %.3g)", name, threads, i, codes[i], e.Codes[i], e.Gaps[i])
				}
			}
		}
	}
}

// TestPreprocessMatchesReference: our Lanczos resize and crop against
// PIL's, within one 8-bit level (PIL's resampler is fixed-point).
func TestPreprocessMatchesReference(t *testing.T) {
	for _, name := range []string{"vq-anole", "vq-facebook"} {
		m, e, dir := loadFixture(t, name, 1)
		img, err := imageio.ReadImage("../../testdata/ref/vq-image.png")
		if err != nil {
			t.Fatal(err)
		}
		got := imageio.Preprocess(img, m.Cfg.Resolution)
		want := readF32(t, filepath.Join(dir, e.InputFile))
		var maxDiff float64
		for i := range want {
			maxDiff = math.Max(maxDiff, math.Abs(float64(got[i]-want[i])))
		}
		if maxDiff > 2.0/255+1e-6 {
			t.Errorf("%s: preprocessed pixels differ by up to %.4f (> one 8-bit level)", name, maxDiff)
		}
	}
}

func psnr(got, want []float32) float64 {
	var mse float64
	for i := range want {
		d := float64(got[i] - want[i])
		mse += d * d
	}
	mse /= float64(len(want))
	return 10 * math.Log10(4/mse) // peak-to-peak range 2 ([-1, 1])
}

// TestDecodeMatchesReference: the float pixels of square and non-square
// grids match the reference within vqTol and minDecodePSNR.
func TestDecodeMatchesReference(t *testing.T) {
	for _, name := range []string{"vq-anole", "vq-lumina"} {
		for _, threads := range []int{1, 2} {
			m, e, dir := loadFixture(t, name, threads)
			if len(e.Decode) == 0 {
				t.Fatalf("%s: no decode cases in expected.json", name)
			}
			for _, d := range e.Decode {
				got, err := m.DecodeGrid(d.Codes, d.Grid[0], d.Grid[1])
				if err != nil {
					t.Fatal(err)
				}
				want := readF32(t, filepath.Join(dir, d.PixelsFile))
				if len(got) != len(want) {
					t.Fatalf("%s: %d pixels, want %d", name, len(got), len(want))
				}
				diff, p := maxAbsDiff(got, want), psnr(got, want)
				t.Logf("%s %v threads=%d: max |diff| %.3g (limit %.3g), PSNR %.1f dB", name, d.Grid, threads, diff, vqTol[name].pixels, p)
				if diff > vqTol[name].pixels || p < minDecodePSNR {
					t.Errorf("%s %v threads=%d: max |diff| %.3g (limit %.3g), PSNR %.1f dB (floor %d)", name, d.Grid, threads, diff, vqTol[name].pixels, p, minDecodePSNR)
				}
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	m, _, _ := loadFixture(t, "vq-facebook", 1)
	if _, err := m.Decode(make([]int, 64)); err == nil || !strings.Contains(err.Error(), "no decoder") {
		t.Fatalf("encoder-only decode: %v", err)
	}
	a, _, _ := loadFixture(t, "vq-anole", 1)
	if _, err := a.Decode(make([]int, 63)); err == nil {
		t.Fatal("wrong code count accepted")
	}
	bad := make([]int, 64)
	bad[5] = 64
	if _, err := a.Decode(bad); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("out-of-range code: %v", err)
	}
}

func TestImageErrors(t *testing.T) {
	cases := map[string]string{
		"":                          "empty",
		"hello, not an image":       "not a PNG or JPEG",
		"\x89PNG\r\n\x1a\n\x00\x00": "unreadable",
	}
	for data, want := range cases {
		if _, err := imageio.DecodeImage([]byte(data)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", data, err, want)
		}
	}
}
