package vqgan

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// tinyLlamaGenConfig: every VQ-16 part at a test size: 64 and 128 channels
// (2 and 4 per GroupNorm group, Winograd convs), a channel change at the
// lowest resolution (nin shortcuts), attention at 4×4, 16×16 pixels.
const tinyLlamaGenConfig = `{"model_type": "janus_vqgan", "embed_dim": 8, "num_embeddings": 96,
	"latent_channels": 32, "base_channels": 64, "channel_multiplier": [1, 1, 2],
	"num_res_blocks": 1, "num_patches": 4, "projection_dim": 2048, "hidden_act": "gelu"}`

func tinyLlamaGen(t testing.TB, encoder, decoder bool) (*llamaGenCheckpoint, *Config) {
	t.Helper()
	cfg, err := ParseConfig([]byte(tinyLlamaGenConfig))
	if err != nil {
		t.Fatal(err)
	}
	return randomLlamaGen(cfg, 3, encoder, decoder), cfg
}

func hfVQName(n string) string { return "model.vqmodel." + n }

// Float32 against float64 over ~20 convolutions: measured max |diff|
// 3.4e-6 to 4.3e-6 on pixels of rms 0.6 (AVX2 and CHATUMM_CPU=generic, 1
// and 2 threads); a missing normalisation moves them by ~2.
const llamaGenPixelTol = 2e-5

func maxDiff64(got []float32, want []float64) (float64, float64) {
	var d, rms float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-want[i]))
		if math.IsNaN(float64(got[i])) {
			return math.Inf(1), 0
		}
		rms += want[i] * want[i]
	}
	return d, math.Sqrt(rms / float64(len(want)))
}

// TestLlamaGenDecodeMatchesFloat64: square and non-square grids, 1 and 2
// threads, against the float64 forward; the normalised lookup matters.
func TestLlamaGenDecodeMatchesFloat64(t *testing.T) {
	ck, cfg := tinyLlamaGen(t, false, true)
	set := ck.write(t, hfVQName)
	rng := rand.New(rand.NewPCG(5, 5))
	for _, grid := range [][2]int{{4, 4}, {3, 5}} {
		codes := make([]int, grid[0]*grid[1])
		for i := range codes {
			codes[i] = rng.IntN(cfg.NumEmbeddings)
		}
		want := ck.refDecode(codes, grid[0], grid[1], true)
		if d, _ := maxDiff64(float32s(ck.refDecode(codes, grid[0], grid[1], false)), want); d < 100*llamaGenPixelTol {
			t.Fatalf("%v: unnormalised lookup moves pixels by only %.3g: the test cannot see the normalisation", grid, d)
		}
		for _, threads := range []int{1, 2} {
			m, err := Load(set, cfg, runtime.NewPool(threads))
			if err != nil {
				t.Fatal(err)
			}
			if m.HasEncoder() || !m.HasDecoder() {
				t.Fatalf("decoder-only checkpoint: encoder %v decoder %v", m.HasEncoder(), m.HasDecoder())
			}
			got, err := m.DecodeGrid(codes, grid[0], grid[1])
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%v: %d pixels, want %d", grid, len(got), len(want))
			}
			d, rms := maxDiff64(got, want)
			t.Logf("%v threads=%d: max |diff| %.3g (rms %.2f)", grid, threads, d, rms)
			if d > llamaGenPixelTol {
				t.Errorf("%v threads=%d: max |diff| %.3g > %.3g", grid, threads, d, llamaGenPixelTol)
			}
		}
	}
}

func float32s(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// TestLlamaGenEncodeMatchesFloat64: the codes of random images equal the
// float64 search over normalised latents and entries, except where the
// reference's nearest and second-nearest are within float error; an
// unnormalised search would give other codes.
func TestLlamaGenEncodeMatchesFloat64(t *testing.T) {
	ck, cfg := tinyLlamaGen(t, true, true)
	set := ck.write(t, hfVQName)
	R := cfg.Resolution
	rng := rand.New(rand.NewPCG(9, 9))
	rawDiffers := 0
	for img := 0; img < 3; img++ {
		pixels := make([]float64, 3*R*R)
		for i := range pixels {
			pixels[i] = float64(float32(rng.Float64()*2 - 1))
		}
		want, gaps, raw := ck.refEncode(pixels)
		if !slices.Equal(want, raw) {
			rawDiffers++
		}
		for _, threads := range []int{1, 2} {
			m, err := Load(set, cfg, runtime.NewPool(threads))
			if err != nil {
				t.Fatal(err)
			}
			codes, gotGaps, err := m.Encode(float32s(pixels))
			if err != nil {
				t.Fatal(err)
			}
			if len(codes) != len(want) || len(codes) != cfg.GridSize()*cfg.GridSize() {
				t.Fatalf("%d codes, want %d", len(codes), len(want))
			}
			for i := range codes {
				if codes[i] != want[i] && gaps[i] > 1e-5 {
					t.Errorf("image %d threads=%d: code %d = %d, want %d (gap %.3g)", img, threads, i, codes[i], want[i], gaps[i])
				}
				if math.Abs(float64(gotGaps[i])-gaps[i]) > 1e-4 {
					t.Errorf("image %d: gap %d = %.5f, want %.5f", img, i, gotGaps[i], gaps[i])
				}
			}
		}
	}
	if rawDiffers == 0 {
		t.Fatal("an unnormalised search gives the same codes: the test cannot see the normalisation")
	}
}

// TestLlamaGenOriginalNames: the same weights under deepseek-ai/Janus's
// names (gen_vision_model.*, conv_blocks, res, mid.0/1/2) decode and encode
// bit for bit as under transformers' names.
func TestLlamaGenOriginalNames(t *testing.T) {
	ck, cfg := tinyLlamaGen(t, true, true)
	pool := runtime.NewPool(1)
	hf, err := Load(ck.write(t, hfVQName), cfg, pool)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := Load(ck.write(t, func(n string) string { return "gen_vision_model." + originalName(n) }), cfg, pool)
	if err != nil {
		t.Fatal(err)
	}
	codes := make([]int, 16)
	for i := range codes {
		codes[i] = (i * 37) % cfg.NumEmbeddings
	}
	a, _ := hf.Decode(codes)
	b, err := orig.Decode(codes)
	if err != nil || !slices.Equal(a, b) {
		t.Fatalf("original names decode differently (err %v)", err)
	}
	ca, _, _ := hf.Encode(a)
	cb, _, err := orig.Encode(a)
	if err != nil || !slices.Equal(ca, cb) {
		t.Fatalf("original names encode differently: %v vs %v (err %v)", ca, cb, err)
	}
}

// TestLlamaGenConfig: Janus's defaults and keys, and the errors a config
// can cause; taming configs are unchanged.
func TestLlamaGenConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"model_type": "janus_vqgan"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Arch != ArchLlamaGen || c.Resolution != 384 || c.GridSize() != 24 || c.NumEmbeddings != 16384 ||
		c.EmbedDim != 8 || c.LatentChannels != 256 || c.BaseChannels != 128 || c.NormGroups != 32 || len(c.ChannelMult) != 5 {
		t.Fatalf("Janus-Pro defaults: %+v", c)
	}
	if c, err := ParseLlamaGenConfig([]byte(`{"embed_dim": 4}`)); err != nil || c.Arch != ArchLlamaGen || c.EmbedDim != 4 || c.GridSize() != 24 {
		t.Fatalf("ParseLlamaGenConfig without Janus keys: %+v, %v", c, err)
	}
	c, err = ParseConfig([]byte(`{"num_patches": 16, "channel_multiplier": [1, 2, 2, 4], "attn_resolutions": [32], "norm_num_groups": 8}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Arch != ArchLlamaGen || c.Resolution != 128 || c.GridSize() != 16 || c.AttnResolution != nil || c.NormGroups != 32 {
		t.Fatalf("num_patches 16 over 4 levels: %+v", c)
	}
	if err := c.SetGrid(3); err != nil || c.Resolution != 24 || c.GridSize() != 3 {
		t.Fatalf("SetGrid(3): %+v, %v", c, err)
	}
	if err := c.SetGrid(1000); err == nil || !strings.Contains(err.Error(), "num_patches = 1000 out of range") || c.GridSize() != 3 {
		t.Fatalf("SetGrid(1000): %v, grid now %d", err, c.GridSize())
	}
	if c, err := ParseConfig([]byte(`{"resolution": 256}`)); err != nil || c.Arch != ArchTaming || c.GridSize() != 16 || c.SetGrid(8) == nil {
		t.Fatalf("taming config: %+v, %v", c, err)
	}
	for _, bad := range []struct{ json, err string }{
		{`{"num_patches": 0}`, "num_patches = 0 out of range [1, 128]"},
		{`{"num_patches": 129}`, "num_patches = 129 out of range [1, 128]"},
		{`{"num_patches": "24"}`, "num_patches: json: cannot unmarshal"},
		{`{"num_patches": 24, "resolution": 512}`, "resolution 512 disagrees with num_patches 24 (24×16 = 384)"},
		{`{"num_patches": 24, "double_latent": true}`, "double_latent is not supported"},
		{`{"num_patches": 24, "channel_multiplier": []}`, "len(channel_multiplier) = 0 out of range"},
		{`{"num_patches": 24, "base_channels": 48}`, "not divisible by norm_num_groups 32"},
	} {
		if _, err := ParseConfig([]byte(bad.json)); err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("%s: %v, want %q", bad.json, err, bad.err)
		}
	}
}

// TestLlamaGenMissingParts: an encoder-only checkpoint loads and says it
// cannot decode; a missing tensor or codebook is one line naming it.
func TestLlamaGenMissingParts(t *testing.T) {
	ck, cfg := tinyLlamaGen(t, true, false)
	m, err := Load(ck.write(t, hfVQName), cfg, runtime.NewPool(1))
	if err != nil {
		t.Fatal(err)
	}
	if !m.HasEncoder() || m.HasDecoder() {
		t.Fatalf("encoder-only: encoder %v decoder %v", m.HasEncoder(), m.HasDecoder())
	}
	if _, err := m.Decode(make([]int, 16)); err == nil || !strings.Contains(err.Error(), "no decoder") {
		t.Fatalf("decode without decoder: %v", err)
	}
	drop := func(skip string) *weights.Set {
		return ck.write(t, func(n string) string {
			if n == skip {
				return "unrelated." + n
			}
			return hfVQName(n)
		})
	}
	for skip, want := range map[string]string{
		"encoder.down.2.attn.0.q.weight": `missing tensor "model.vqmodel.encoder.down.2.attn.0.q.weight"`,
		"quantize.embedding.weight":      "no VQ-16 image tokenizer in the checkpoint",
	} {
		_, err := Load(drop(skip), cfg, runtime.NewPool(1))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("without %s: %v, want %q", skip, err, want)
		}
	}
	other, _ := ParseConfig([]byte(`{"model_type": "janus_vqgan", "embed_dim": 8, "num_embeddings": 96,
		"latent_channels": 32, "base_channels": 64, "channel_multiplier": [1, 2, 2], "num_res_blocks": 1, "num_patches": 4}`))
	if _, err := Load(ck.write(t, hfVQName), other, runtime.NewPool(1)); err == nil || !strings.Contains(err.Error(), "has shape") {
		t.Errorf("a config that disagrees with the tensors: %v", err)
	}
}

// FuzzLlamaGenConfig: FuzzParseConfig's promise from Janus-shaped seeds:
// a vq_config parses to one within every cap, or is an error.
func FuzzLlamaGenConfig(f *testing.F) {
	for _, s := range []string{
		`{"model_type": "janus_vqgan"}`, tinyLlamaGenConfig, `{"num_patches": 128}`,
		`{"num_patches": 24, "channel_multiplier": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}`,
		`{"num_patches": 1, "resolution": 16}`, `{"model_type": "janus_vqgan", "num_patches": null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseConfig(data)
		if err != nil {
			return
		}
		if v.Resolution < 1 || v.Resolution > MaxResolution || len(v.ChannelMult) == 0 || v.GridSize() < 1 ||
			v.GridSize()<<(len(v.ChannelMult)-1) != v.Resolution {
			t.Fatalf("accepted %+v", *v)
		}
		if err := v.checkWork(v.GridSize(), v.GridSize()); err != nil {
			t.Fatalf("accepted a config over the work caps: %v", err)
		}
	})
}
