package model_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// originalName is deepseek-ai's name of a Hugging Face Janus tensor (the
// inverse of transformers' convert_janus_weights_to_hf.py), "" for the
// q/k/v projections, which the original fuses into one qkv.
func originalName(name string) string {
	vq := strings.NewReplacer("encoder.down.", "encoder.conv_blocks.", "decoder.up.", "decoder.conv_blocks.",
		".block.", ".res.", "mid.block_1", "mid.0", "mid.attn_1", "mid.1", "mid.block_2", "mid.2")
	vision := strings.NewReplacer("model.vision_model.embeddings.patch_embedding.", "vision_model.vision_tower.patch_embed.proj.",
		"model.vision_model.embeddings.position_embedding.weight", "vision_model.vision_tower.pos_embed",
		"model.vision_model.encoder.layers.", "vision_model.vision_tower.blocks.",
		"model.vision_model.post_layernorm.", "vision_model.vision_tower.norm.",
		"layer_norm1", "norm1", "layer_norm2", "norm2", "self_attn.projection_layer", "attn.proj")
	switch {
	case strings.HasPrefix(name, "model.language_model."):
		return "language_model.model." + strings.TrimPrefix(name, "model.language_model.")
	case name == "lm_head.weight":
		return "language_model.lm_head.weight"
	case strings.HasPrefix(name, "model.vqmodel."):
		return "gen_vision_model." + vq.Replace(strings.TrimPrefix(name, "model.vqmodel."))
	case strings.Contains(name, "self_attn.q_proj") || strings.Contains(name, "self_attn.k_proj") || strings.Contains(name, "self_attn.v_proj"):
		return ""
	case strings.HasPrefix(name, "model.vision_model."):
		return vision.Replace(name)
	}
	return strings.NewReplacer("model.aligner.fc1.", "aligner.layers.0.", "model.aligner.hidden_layers.0.", "aligner.layers.2.",
		"model.generation_embeddings.", "gen_embed.", "model.generation_aligner.fc1.", "gen_aligner.layers.0.",
		"model.generation_aligner.hidden_layers.0.", "gen_aligner.layers.2.",
		"model.generation_head.proj_out.", "gen_head.output_mlp_projector.",
		"model.generation_head.vision_head.", "gen_head.vision_head.").Replace(name)
}

// TestJanusOriginalNames: janus-a with every tensor under deepseek-ai's
// original name (fused SigLIP qkv, [1, N, Hv] position table, LlamaGen
// module names) runs exactly as the Hugging Face layout: text and image
// logits, guided codes, decoded pixels.
func TestJanusOriginalNames(t *testing.T) {
	src := filepath.Join("..", "testdata", "ref", "janus-a")
	dst := t.TempDir()
	for _, f := range []string{"config.json", "tokenizer.json", "preprocessor_config.json"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, f), data, 0o644)
	}
	set, err := weights.Open(src, weights.Read)
	if err != nil {
		t.Fatal(err)
	}
	var ts []weights.WriteTensor
	for _, name := range set.Names() {
		w, _ := set.Tensor(name)
		if n := originalName(name); n != "" {
			shape := append([]int(nil), w.Shape...)
			if strings.HasSuffix(name, "position_embedding.weight") {
				shape = append([]int{1}, shape...)
			}
			ts = append(ts, weights.WriteTensor{Name: n, DType: w.DType, Shape: shape, Data: append([]byte(nil), w.Bytes()...)})
		}
	}
	for j := 0; ; j++ {
		p := fmt.Sprintf("model.vision_model.encoder.layers.%d.self_attn.", j)
		if _, ok := set.Tensor(p + "q_proj.weight"); !ok {
			break
		}
		for _, part := range []string{"weight", "bias"} {
			var data []byte
			var shape []int
			for _, x := range []string{"q", "k", "v"} {
				w, _ := set.Tensor(p + x + "_proj." + part)
				data = append(data, w.Bytes()...)
				if shape == nil {
					shape = append([]int(nil), w.Shape...)
				} else {
					shape[0] += w.Shape[0]
				}
			}
			w, _ := set.Tensor(p + "q_proj." + part)
			ts = append(ts, weights.WriteTensor{Name: fmt.Sprintf("vision_model.vision_tower.blocks.%d.attn.qkv.%s", j, part), DType: w.DType, Shape: shape, Data: data})
		}
	}
	set.Close()
	if err := weights.WriteSafetensors(filepath.Join(dst, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	load := func(dir string) *model.Model {
		m, err := model.Load(dir, model.Options{Pool: runtime.NewPool(2), F32KV: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	hf, orig := load(src), load(dst)
	if orig.Janus.Vision == nil || !orig.CanDecodeImages() || !orig.CanDrawImages() {
		t.Fatal("a part of the original layout was not found")
	}
	pic := filepath.Join(src, "image.png")
	var feats [2][]float32
	var history, codes [2][]int
	var pngs [2]string
	for i, m := range []*model.Model{hf, orig} {
		var err error
		if feats[i], err = m.ReadImageFeatures(pic); err != nil {
			t.Fatal(err)
		}
		c, _ := chat.New(m)
		if err := c.AddUser("look", []chat.Image{{Features: feats[i]}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Reply(context.Background(), sample.New(1), chat.GenOptions{MaxTokens: 4}, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.AddUserDrawing("a red cat", nil); err != nil {
			t.Fatal(err)
		}
		turn, err := c.Reply(context.Background(), sample.New(1), chat.GenOptions{StartImage: true, Guidance: model.GuidanceSchemes["janus"], TextScale: 5}, nil)
		if err != nil {
			t.Fatal(err)
		}
		history[i], codes[i] = c.Tokens(), turn.Images[0].Codes
		png, err := m.DecodeImagePNG(codes[i], 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		pngs[i] = string(png)
	}
	for k := range feats[0] {
		if feats[0][k] != feats[1][k] {
			t.Fatalf("feature %d: %g in the HF layout, %g in the original", k, feats[0][k], feats[1][k])
		}
	}
	if !equal(history[0], history[1]) || !equal(codes[0], codes[1]) || pngs[0] != pngs[1] {
		t.Fatalf("the dialogues differ:\n%v\n%v", history[0], history[1])
	}
}
