package siglip

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParseConfigDefaultsAreJanusPro(t *testing.T) {
	c, err := ParseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{ImageSize: 384, PatchSize: 16, Channels: 3, Hidden: 1024, Layers: 24, Heads: 16, MLPHidden: 4096,
		Eps: 1e-6, QKVBias: true, LMDim: 2048, AlignDepth: 2, NumTokens: 576,
		Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}, Background: [3]uint8{127, 127, 127},
		MinSize: 14, Rescale: 1.0 / 255, Resample: 3}
	if c != want {
		t.Fatalf("defaults\n got %+v\nwant %+v", c, want)
	}
}

// oneLine fails unless err is a single line containing every fragment.
func oneLine(t *testing.T, what string, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("%s: error is not one line: %q", what, msg)
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("%s: error %q does not mention %q", what, msg, f)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		json  string
		frags []string
	}{
		{`{"image_size": 384, "patch_size": 16, "num_image_tokens": 500}`, []string{"image_size 384", "patch_size 16", "576 patches", "num_image_tokens is 500"}},
		{`{"image_size": 380, "patch_size": 16}`, []string{"image_size 380", "not a multiple of patch_size 16"}},
		{`{"hidden_size": 100, "num_attention_heads": 16}`, []string{"hidden_size 100", "num_attention_heads 16"}},
		{`{"hidden_act": "gelu_pytorch_tanh"}`, []string{"hidden_act", "gelu_pytorch_tanh"}},
		{`{"use_qk_norm": true}`, []string{"use_qk_norm"}},
		{`{"num_channels": 4}`, []string{"num_channels 4"}},
		{`{"patch_size": 0}`, []string{"patch_size 0"}},
		{`{"image_size": 100000}`, []string{"image_size 100000"}},
		{`{"depth": 0}`, []string{"depth 0"}},
		{`{"layer_norm_eps": 0}`, []string{"layer_norm_eps"}},
		{`{"mlp_ratio": -1}`, []string{"mlp_ratio"}},
		{`{"select_layer": -30}`, []string{"select_layer -30"}},
		{`{"hidden_size": "big"}`, []string{"vision_config"}},
	} {
		_, err := ParseConfig(json.RawMessage(tc.json))
		oneLine(t, tc.json, err, tc.frags...)
	}
}

func TestSelectLayer(t *testing.T) {
	// The original's rule: k ≤ 0 keeps min(24, 24+k+1) blocks, k > 0 min(24, k).
	for _, tc := range []struct{ sel, want int }{{-1, 24}, {-2, 23}, {0, 24}, {6, 6}, {30, 24}} {
		c, err := ParseConfig(json.RawMessage(`{"select_layer": ` + itoa(tc.sel) + `}`))
		if err != nil {
			t.Fatal(err)
		}
		if c.Layers != tc.want {
			t.Errorf("select_layer %d: %d layers, want %d", tc.sel, c.Layers, tc.want)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestApplyPreprocessor(t *testing.T) {
	c, _ := ParseConfig(nil)
	err := c.ApplyPreprocessor([]byte(`{"image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": 0.25,
		"min_size": 20, "resample": 1, "size": {"height": 384, "width": 384}}`), "pre.json")
	if err != nil {
		t.Fatal(err)
	}
	// int(m·255) truncates: 122.77, 116.75, 104.09.
	if c.Background != [3]uint8{122, 116, 104} || c.Std != [3]float32{0.25, 0.25, 0.25} || c.MinSize != 20 || c.Resample != 1 {
		t.Fatalf("got %+v", c)
	}
	// The original processor's keys.
	if err := c.ApplyPreprocessor([]byte(`{"image_size": 384, "do_normalize": false}`), "pre.json"); err != nil {
		t.Fatal(err)
	}
	if c.Mean != [3]float32{} || c.Std != [3]float32{1, 1, 1} || c.Background != [3]uint8{122, 116, 104} {
		t.Fatalf("do_normalize false: got %+v", c)
	}
	for _, tc := range []struct {
		json  string
		frags []string
	}{
		{`{"size": {"height": 512, "width": 512}}`, []string{"pre.json", "512", "image_size is 384"}},
		{`{"size": {"height": 384, "width": 300}}`, []string{"pre.json", "not square"}},
		{`{"image_size": 336}`, []string{"pre.json", "336"}},
		{`{"resample": 0}`, []string{"pre.json", "resample 0"}},
		{`{"image_std": [0.5, 0, 0.5]}`, []string{"pre.json", "image_std"}},
		{`{"image_mean": [0.5, 0.5]}`, []string{"pre.json", "image_mean"}},
		{`{"min_size": 1000}`, []string{"pre.json", "min_size 1000"}},
		{`{"do_resize": false}`, []string{"pre.json", "do_resize"}},
		{`{"rescale_factor": -1}`, []string{"pre.json", "rescale_factor"}},
		{`[1, 2]`, []string{"pre.json"}},
	} {
		c, _ := ParseConfig(nil)
		oneLine(t, tc.json, c.ApplyPreprocessor([]byte(tc.json), "pre.json"), tc.frags...)
	}
}

func TestLoadErrors(t *testing.T) {
	cfg := tinyConfig(t)
	rng := rand.New(rand.NewPCG(9, 9))
	base := randomTower(rng, cfg, false)

	// Position table of the wrong length: the one-line size error.
	bad := newTensorSet()
	for _, name := range base.order {
		v, shape := base.vals[name], base.shapes[name]
		if strings.HasSuffix(name, "position_embedding.weight") {
			v, shape = v[:9*cfg.Hidden], []int{9, cfg.Hidden}
		}
		bad.put(name, v, false, shape...)
	}
	_, err := Load(bad.write(t, nil), cfg, "model.")
	oneLine(t, "positions", err, "model.safetensors", "position_embedding.weight", "9 positions", "image_size 16 / patch_size 4", "16 patches")

	// No tower at all.
	none := newTensorSet()
	none.put("model.language_model.norm.weight", []float64{1}, false, 1)
	_, err = Load(none.write(t, nil), cfg, "model.")
	if !errors.Is(err, ErrNoTower) {
		t.Fatalf("no tower: %v, want ErrNoTower", err)
	}
	oneLine(t, "no tower", err, "patch_embedding.weight")

	// A missing layer tensor, and a wrong shape.
	missing := newTensorSet()
	wrong := newTensorSet()
	for _, name := range base.order {
		v, shape := base.vals[name], base.shapes[name]
		if name != "model.vision_model.encoder.layers.1.mlp.fc2.bias" {
			missing.put(name, v, false, shape...)
		}
		if name == "model.aligner.fc1.weight" {
			shape = []int{shape[1], shape[0]}
		}
		wrong.put(name, v, false, shape...)
	}
	_, err = Load(missing.write(t, nil), cfg, "model.")
	oneLine(t, "missing", err, "model.safetensors", "missing tensor", "layers.1.mlp.fc2.bias")
	_, err = Load(wrong.write(t, nil), cfg, "model.")
	oneLine(t, "shape", err, "model.safetensors", "aligner.fc1.weight", "[24, 20]", "want [20, 24]")
}

func TestFeaturesPanicsOnWrongPixels(t *testing.T) {
	cfg := tinyConfig(t)
	tower, err := Load(randomTower(rand.New(rand.NewPCG(1, 1)), cfg, false).write(t, nil), cfg, "model.")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	tower.Features(nil, make([]float32, 10))
}
