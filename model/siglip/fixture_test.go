package siglip

import (
	"encoding/binary"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// The tower against the independent float64 PyTorch reference
// (tools/reference/janus_ref.py, Pillow 9.4.0): testdata/ref/janus-a (BF16,
// depth-2 aligner) and janus-b (F16, depth-3 aligner, other LN eps and
// mlp_ratio). See tools/reference/JANUS_SPEC.md §7.

var fixtures = []string{"janus-a", "janus-b"}

func fixtureDir(name string) string { return filepath.Join("..", "..", "testdata", "ref", name) }

type fixtureExpected struct {
	Preprocess struct {
		PixelValuesFile string `json:"pixel_values_file"`
	} `json:"preprocess"`
	Understanding struct {
		FeaturesFile string `json:"image_features_file"`
		HiddenFile   string `json:"vision_hidden_file"`
	} `json:"understanding"`
	ResizeCases []struct {
		Input, Output string
	} `json:"resize_cases"`
}

// loadFixture parses the fixture's configs and opens its weights.
func loadFixture(t *testing.T, name string) (Config, *weights.Set, fixtureExpected) {
	t.Helper()
	dir := fixtureDir(name)
	var top struct {
		Vision json.RawMessage `json:"vision_config"`
	}
	readJSON(t, filepath.Join(dir, "config.json"), &top)
	cfg, err := ParseConfig(top.Vision)
	if err != nil {
		t.Fatal(err)
	}
	pre := filepath.Join(dir, "preprocessor_config.json")
	data, err := os.ReadFile(pre)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.ApplyPreprocessor(data, pre); err != nil {
		t.Fatal(err)
	}
	set, err := weights.Open(filepath.Join(dir, "model.safetensors"), weights.Mmap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	var exp fixtureExpected
	readJSON(t, filepath.Join(dir, "expected", "expected.json"), &exp)
	return cfg, set, exp
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
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

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func widen(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestFixtureFeatures(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			cfg, set, exp := loadFixture(t, name)
			tower, err := Load(set, cfg, "model.")
			if err != nil {
				t.Fatal(err)
			}
			e := filepath.Join(fixtureDir(name), "expected")
			pixels := readF32(t, filepath.Join(e, exp.Preprocess.PixelValuesFile))
			pool := runtime.NewPool(2)
			defer pool.Close()
			closeTo(t, "vision_hidden", tower.encode(pool, pixels), widen(readF32(t, filepath.Join(e, exp.Understanding.HiddenFile))), 1e-5)
			closeTo(t, "image_features", tower.Features(pool, pixels), widen(readF32(t, filepath.Join(e, exp.Understanding.FeaturesFile))), 1e-5)
		})
	}
}

// TestFixturePreprocess: the whole preprocessing of image.png (80×56:
// resized and padded) gives expected/preprocessed.png byte for byte, and
// both give pixel_values.f32 to within an ulp of the rescaled value. (The
// reference normalises in float64 and rounds once; the processor's numpy,
// and Preprocess, round (p/255 − mean)/std in float32 at each step, so the
// two can differ in the last bit.)
func TestFixturePreprocess(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			cfg, _, exp := loadFixture(t, name)
			e := filepath.Join(fixtureDir(name), "expected")
			img := readPNG(t, filepath.Join(fixtureDir(name), "image.png"))
			if !slices.Equal(cfg.padded(img), rgbBytes(readPNG(t, filepath.Join(e, "preprocessed.png")))) {
				t.Fatal("image.png resized and padded differs from expected/preprocessed.png")
			}
			want := readF32(t, filepath.Join(e, exp.Preprocess.PixelValuesFile))
			for _, in := range []string{filepath.Join(fixtureDir(name), "image.png"), filepath.Join(e, "preprocessed.png")} {
				got := cfg.Preprocess(readPNG(t, in))
				if len(got) != len(want) {
					t.Fatalf("%s: %d values, want %d", in, len(got), len(want))
				}
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); d > 2.5e-7 { // an ulp of p/255 − 0.5, over std 0.5
						t.Fatalf("%s: value %d = %g, want %g", in, i, got[i], want[i])
					}
				}
			}
		})
	}
}

// TestFixtureResizeCases: Pillow's padded S×S result for pictures wider,
// taller, smaller and larger than S, one under min_size, one already S×S.
func TestFixtureResizeCases(t *testing.T) {
	cfg, _, exp := loadFixture(t, "janus-a")
	if len(exp.ResizeCases) == 0 {
		t.Fatal("janus-a lists no resize cases")
	}
	e := filepath.Join(fixtureDir("janus-a"), "expected")
	for _, rc := range exp.ResizeCases {
		got := cfg.padded(readPNG(t, filepath.Join(e, rc.Input)))
		want := rgbBytes(readPNG(t, filepath.Join(e, rc.Output)))
		if !slices.Equal(got, want) {
			diff := 0
			for i := range got {
				if got[i] != want[i] {
					diff++
				}
			}
			t.Errorf("%s: %d of %d bytes differ from Pillow's", rc.Input, diff, len(want))
		}
	}
}

// rgbBytes is an image's pixels as packed RGB.
func rgbBytes(img image.Image) []uint8 {
	src := newRGBSource(img)
	w, h := src.size()
	out := make([]uint8, 3*w*h)
	for y := 0; y < h; y++ {
		src.row(y, out[3*w*y:3*w*(y+1)])
	}
	return out
}

// TestFixtureOriginalNames: janus-a converted to the deepseek-ai names
// (fused qkv, pos_embed, aligner.layers.N) gives the same features bit for
// bit.
func TestFixtureOriginalNames(t *testing.T) {
	cfg, set, exp := loadFixture(t, "janus-a")
	hf, err := Load(set, cfg, "model.")
	if err != nil {
		t.Fatal(err)
	}
	orig, err := weights.Open(filepath.Join(fixtureDir("janus-a"), "original-names", "model.safetensors"), weights.Mmap)
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	tower, err := Load(orig, cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	pixels := readF32(t, filepath.Join(fixtureDir("janus-a"), "expected", exp.Preprocess.PixelValuesFile))
	if !slices.Equal(hf.Features(nil, pixels), tower.Features(nil, pixels)) {
		t.Fatal("original-name checkpoint gives different features")
	}
}
