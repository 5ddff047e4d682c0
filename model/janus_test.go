package model

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/randmodel"
	"github.com/chatumm/chatumm/runtime"
)

// janusTiny writes a tiny random Janus checkpoint (edited by change) and
// loads it.
func janusTiny(t *testing.T, change func(*randmodel.JanusSpec)) *Model {
	t.Helper()
	s := randmodel.JanusShapes["janus-tiny"]
	if change != nil {
		change(&s)
	}
	dir := t.TempDir()
	if err := randmodel.WriteJanus(dir, s, 7); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir, Options{Pool: runtime.NewPool(2), F32KV: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestJanusLoads: the Hugging Face layout loads as the janus family with
// its protocol, codes as ids above the vocabulary, and text logits through
// Model.Prefill equal the decoder's own.
func TestJanusLoads(t *testing.T) {
	m := janusTiny(t, nil)
	if m.Family().Name() != "janus" || m.Janus == nil || m.Janus.missingGen != "" {
		t.Fatalf("family %s, janus %v", m.Family().Name(), m.Janus)
	}
	V := m.Cfg.VocabSize
	if m.LogitsSize() != V+64 || m.IDOfCode[5] != V+5 || m.CodeOfID[V+5] != 5 || !m.IsImageToken(V+63) || m.IsImageToken(V-1) {
		t.Fatalf("code ids: logits %d, id of 5 %d", m.LogitsSize(), m.IDOfCode[5])
	}
	p := m.Proto
	if p.BOS != 256 || p.EOS != 257 || p.Pad != 258 || p.Image.Begin != 262 || p.Image.End != 263 || p.Image.Placeholder != 264 || !p.Image.Features || !p.Image.OnRequest || p.Template == nil {
		t.Fatalf("protocol %+v", p)
	}
	ids := []int{256, 260, 40, 41, 42, 261}
	want := make([]float32, len(ids)*V)
	if err := m.T.Prefill(m.T.NewState(16, true), ids, want, true); err != nil {
		t.Fatal(err)
	}
	W := m.LogitsSize()
	got := make([]float32, len(ids)*W)
	if err := m.Prefill(m.NewState(), ids, nil, got, true); err != nil {
		t.Fatal(err)
	}
	for r := range ids {
		for k := 0; k < V; k++ {
			if d := math.Abs(float64(got[r*W+k] - want[r*V+k])); d > 1e-5 {
				t.Fatalf("row %d logit %d: %g, want %g", r, k, got[r*W+k], want[r*V+k])
			}
		}
		if !math.IsInf(float64(got[r*W+V]), -1) {
			t.Fatalf("row %d: the code part of text logits is %g, want -Inf", r, got[r*W+V])
		}
	}
}

// TestJanusCodeHead: after <begin_of_image> the logits are the code head's
// (text part -Inf), and a drawn code fed back changes them.
func TestJanusCodeHead(t *testing.T) {
	m := janusTiny(t, nil)
	V, W := m.Cfg.VocabSize, m.LogitsSize()
	s := m.NewState()
	logits := make([]float32, W)
	if err := m.Prefill(s, []int{256, 260, 40, 262}, nil, logits, false); err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(float64(logits[0]), -1) || math.IsInf(float64(logits[V]), 0) {
		t.Fatalf("after <begin_of_image>: text %g, code %g", logits[0], logits[V])
	}
	first := append([]float32(nil), logits[V:]...)
	next := [][]float32{make([]float32, W)}
	if err := m.StepBatch([]*decoder.State{s}, []int{V + 3}, next); err != nil {
		t.Fatal(err)
	}
	same := true
	for k := range first {
		same = same && first[k] == next[0][V+k]
	}
	if same || math.IsInf(float64(next[0][V]), 0) {
		t.Fatal("a drawn code fed back left the code logits unchanged")
	}
}

// TestJanusMissingGeneration: without the generation parts the model still
// loads and answers in text; drawing says exactly what is missing.
func TestJanusMissingGeneration(t *testing.T) {
	m := janusTiny(t, func(s *randmodel.JanusSpec) { s.NoGeneration = true })
	logits := make([]float32, m.LogitsSize())
	if err := m.Prefill(m.NewState(), []int{256, 40}, nil, logits, false); err != nil {
		t.Fatal(err)
	}
	err := m.Prefill(m.NewState(), []int{256, 40, 262}, nil, logits, false)
	if !errors.Is(err, ErrNoGenerationHead) {
		t.Fatalf("drawing without a head: %v", err)
	}
	t.Log(err)
}

// TestJanusPickleRefused: a directory whose weights are a pickle .bin is
// one line saying to convert it, and nothing is unpickled.
func TestJanusPickleRefused(t *testing.T) {
	dir := t.TempDir()
	if err := randmodel.WriteJanus(dir, randmodel.JanusShapes["janus-tiny"], 1); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "model.safetensors"), filepath.Join(dir, "pytorch_model.bin")); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir, Options{Pool: runtime.NewPool(1)})
	if err == nil || !strings.Contains(err.Error(), "pytorch_model.bin") || !strings.Contains(err.Error(), "convert it to safetensors") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v", err)
	}
}

// TestJanusMissingVision: without the vision tower the model loads, draws,
// and says exactly what is missing when shown a picture.
func TestJanusMissingVision(t *testing.T) {
	m := janusTiny(t, func(s *randmodel.JanusSpec) { s.NoVision = true })
	if m.CanReadImages() {
		t.Fatal("a checkpoint without a vision tower claims to read pictures")
	}
	_, err := m.ImageFeatures(image.NewRGBA(image.Rect(0, 0, 8, 8)))
	if !errors.Is(err, ErrNoVisionTower) || !strings.Contains(err.Error(), "model.vision_model") {
		t.Fatalf("reading without a tower: %v", err)
	}
	logits := make([]float32, m.LogitsSize())
	if err := m.Prefill(m.NewState(), []int{256, 40, 262}, nil, logits, false); err != nil {
		t.Fatalf("drawing without a vision tower: %v", err)
	}
}

// TestJanusMissingVQ: without the VQ-16 the model loads and draws codes;
// turning them into pixels says the decoder is missing.
func TestJanusMissingVQ(t *testing.T) {
	m := janusTiny(t, func(s *randmodel.JanusSpec) { s.NoVQ = true })
	if m.CanDecodeImages() {
		t.Fatal("a checkpoint without a VQ model claims to decode pictures")
	}
	if _, err := m.DecodeImagePNG(make([]int, m.ImageTokens()), 0, 0); !errors.Is(err, ErrNoVQDecoder) {
		t.Fatalf("decoding without a VQ model: %v", err)
	}
}

// TestJanusOriginalConfig: deepseek-ai's MultiModalityConfig of
// Janus-Pro-1B (as its config.json writes it) gives the Hugging Face
// shapes: the Llama decoder, SigLIP-L/16 at 384 (576 features), VQ-16 with
// 16384 codes of 8 on a 24×24 grid.
func TestJanusOriginalConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"model_type": "multi_modality", "architectures": ["MultiModalityCausalLM"],
	 "aligner_config": {"cls": "MlpProjector", "model_type": "aligner", "params": {"depth": 2, "input_dim": 1024, "n_embed": 2048, "projector_type": "mlp_gelu"}},
	 "gen_aligner_config": {"cls": "MlpProjector", "model_type": "gen_aligner", "params": {"depth": 2, "input_dim": 8, "n_embed": 2048, "projector_type": "mlp_gelu"}},
	 "gen_head_config": {"cls": "vision_head", "model_type": "gen_head", "params": {"image_token_embed": 2048, "image_token_size": 16384, "n_embed": 2048}},
	 "gen_vision_config": {"cls": "VQ-16", "model_type": "gen_vision", "params": {"image_token_size": 16384, "n_embed": 8}},
	 "language_config": {"hidden_size": 2048, "intermediate_size": 5632, "max_position_embeddings": 16384, "model_type": "llama",
	   "num_attention_heads": 16, "num_hidden_layers": 24, "num_key_value_heads": 16, "torch_dtype": "bfloat16", "vocab_size": 102400},
	 "vision_config": {"cls": "CLIPVisionTower", "model_type": "vision", "params": {"image_size": 384, "model_name": "siglip_large_patch16_384", "select_feature": "same", "select_layer": -1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	j := c.Janus
	if c.Family.Name() != "janus" || c.Dim != 2048 || c.Layers != 24 || c.VocabSize != 102400 || c.RMSEps != 1e-6 ||
		j.ImageTokens != 576 || j.Codes != 16384 || j.CodeDim != 8 || j.Grid != 24 || c.VQ.Resolution != 384 {
		t.Fatalf("config %+v, janus %+v", c.Config, j)
	}
	// A vision config whose sizes disagree is refused in one line.
	_, err = ParseConfig([]byte(`{"model_type": "janus", "text_config": {"vocab_size": 300, "hidden_size": 64, "intermediate_size": 128,
	 "num_hidden_layers": 1, "num_attention_heads": 4}, "vision_config": {"image_size": 64, "patch_size": 16, "num_image_tokens": 20}}`))
	if err == nil || !strings.Contains(err.Error(), "num_image_tokens 20") {
		t.Fatalf("disagreeing vision sizes: %v", err)
	}
}

// TestJanusGuidedStepAllocates: a guided step (two rows, a drawn code fed
// back, the code head) allocates nothing once warm.
func TestJanusGuidedStepAllocates(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	m := janusTiny(t, nil)
	V, W := m.Cfg.VocabSize, m.LogitsSize()
	states := []*decoder.State{m.NewState(), m.NewState()}
	logits := [][]float32{make([]float32, W), make([]float32, W)}
	for i, ids := range [][]int{{256, 40, 262}, {256, 258, 262}} {
		if err := m.Prefill(states[i], ids, nil, logits[i], false); err != nil {
			t.Fatal(err)
		}
	}
	ids := []int{V + 1, V + 1}
	step := func() {
		if err := m.StepBatch(states, ids, logits); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if n := testing.AllocsPerRun(20, step); n > 0 {
		t.Fatalf("%v allocations per guided step", n)
	}
}

// TestJanusGenerationConfigPad: generation_config.json's pad_token_id is
// guidance's pad; one outside the vocabulary is refused.
func TestJanusGenerationConfigPad(t *testing.T) {
	dir := t.TempDir()
	if err := randmodel.WriteJanus(dir, randmodel.JanusShapes["janus-tiny"], 1); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pad int
		ok  bool
	}{{259, true}, {5000, false}} {
		os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(fmt.Sprintf(`{"pad_token_id": %d, "guidance_scale": 5}`, c.pad)), 0o644)
		m, err := Load(dir, Options{Pool: runtime.NewPool(1)})
		if !c.ok {
			if err == nil || !strings.Contains(err.Error(), "pad_token_id 5000") {
				t.Fatalf("pad %d: %v", c.pad, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Proto.Pad != c.pad {
			t.Fatalf("pad %d, want %d", m.Proto.Pad, c.pad)
		}
		m.Close()
	}
}
