package vqgan

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

// TestEncodeMatchesReference: codes from the reference's preprocessed input
// are identical, except where the reference itself had a near-tie.
func TestEncodeMatchesReference(t *testing.T) {
	for _, name := range []string{"vq-anole", "vq-facebook", "vq-lumina"} {
		for _, threads := range []int{1, 2} {
			m, e, dir := loadFixture(t, name, threads)
			codes, _, err := m.Encode(readF32(t, filepath.Join(dir, e.InputFile)))
			if err != nil {
				t.Fatal(err)
			}
			for i := range codes {
				if codes[i] != e.Codes[i] && e.Gaps[i] >= 1e-4 {
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
		img, err := ReadImage("../../testdata/ref/vq-image.png")
		if err != nil {
			t.Fatal(err)
		}
		got := Preprocess(img, m.Cfg.Resolution)
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

// TestDecodeMatchesReference: PSNR >= 50 dB against the float reference,
// square and non-square grids.
func TestDecodeMatchesReference(t *testing.T) {
	for _, name := range []string{"vq-anole", "vq-lumina"} {
		for _, threads := range []int{1, 2} {
			m, e, dir := loadFixture(t, name, threads)
			for _, d := range e.Decode {
				got, err := m.DecodeGrid(d.Codes, d.Grid[0], d.Grid[1])
				if err != nil {
					t.Fatal(err)
				}
				want := readF32(t, filepath.Join(dir, d.PixelsFile))
				if len(got) != len(want) {
					t.Fatalf("%s: %d pixels, want %d", name, len(got), len(want))
				}
				if p := psnr(got, want); p < 50 {
					t.Errorf("%s %v threads=%d: PSNR %.1f dB < 50", name, d.Grid, threads, p)
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
		if _, err := DecodeImage([]byte(data)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", data, err, want)
		}
	}
}
