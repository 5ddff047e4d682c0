package randmodel

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/chatumm/chatumm/model/tokenizer"
	"github.com/chatumm/chatumm/weights"
)

// JanusSpec is the shape of a random-weight Janus checkpoint in the
// Hugging Face layout (JanusForConditionalGeneration): the Llama decoder,
// the SigLIP tower and aligner, the generation embedding, aligner and
// head, and the VQ-16. NoVision, NoGeneration and NoVQ leave a part out
// (checkpoints with a missing part).
type JanusSpec struct {
	Dim, Layers, Heads, KVHeads, FFN, Vocab int
	MaxPos                                  int
	// Vision tower: width, layers, heads, MLP width, picture side, patch.
	VDim, VLayers, VHeads, VFFN, ImageSize, Patch int
	// VQ-16: codes, code width, latent channels, base channels, levels'
	// multipliers, blocks per level.
	Codes, CodeDim, Latent, Base, ResBlocks int
	ChannelMult                             []int
	DType                                   weights.DType // F16 or BF16

	NoVision, NoGeneration, NoVQ bool
}

// JanusShapes are the Janus shapes `chatumm bench model --random` knows:
// Janus-Pro-1B's and -7B's real shapes, and a tiny one for tests.
var JanusShapes = map[string]JanusSpec{
	"janus-tiny": {Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 160, Vocab: 320, MaxPos: 1024,
		VDim: 32, VLayers: 2, VHeads: 2, VFFN: 128, ImageSize: 64, Patch: 16,
		Codes: 64, CodeDim: 8, Latent: 32, Base: 32, ResBlocks: 1, ChannelMult: []int{1, 1, 1, 1, 1}, DType: weights.BF16},
	"janus-1b": {Dim: 2048, Layers: 24, Heads: 16, KVHeads: 16, FFN: 5632, Vocab: 102400, MaxPos: 16384,
		VDim: 1024, VLayers: 24, VHeads: 16, VFFN: 4096, ImageSize: 384, Patch: 16,
		Codes: 16384, CodeDim: 8, Latent: 256, Base: 128, ResBlocks: 2, ChannelMult: []int{1, 1, 2, 2, 4}, DType: weights.BF16},
	"janus-7b": {Dim: 4096, Layers: 30, Heads: 32, KVHeads: 32, FFN: 11008, Vocab: 102400, MaxPos: 16384,
		VDim: 1024, VLayers: 24, VHeads: 16, VFFN: 4096, ImageSize: 384, Patch: 16,
		Codes: 16384, CodeDim: 8, Latent: 256, Base: 128, ResBlocks: 2, ChannelMult: []int{1, 1, 2, 2, 4}, DType: weights.BF16},
}

// JanusSpecials are the special tokens of a random Janus vocabulary, in id
// order after the 256 bytes; <image_placeholder> is the last.
var JanusSpecials = []string{"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>", "<pad>",
	"<|User|>", "<|Assistant|>", "<begin_of_image>", "<end_of_image>", "<image_placeholder>"}

// WriteJanus writes config.json, tokenizer.json and model.safetensors of
// a random-weight Janus checkpoint into dir.
func WriteJanus(dir string, s JanusSpec, seed uint64) error {
	if s.Vocab < 256+len(JanusSpecials) {
		return fmt.Errorf("vocab %d too small for the bytes and %d special tokens", s.Vocab, len(JanusSpecials))
	}
	g := s.ImageSize / s.Patch
	placeholder := 256 + len(JanusSpecials) - 1
	cfg := map[string]any{
		"model_type": "janus", "architectures": []string{"JanusForConditionalGeneration"},
		"image_token_id": placeholder,
		"text_config": map[string]any{"model_type": "llama", "vocab_size": s.Vocab, "hidden_size": s.Dim,
			"intermediate_size": s.FFN, "num_hidden_layers": s.Layers, "num_attention_heads": s.Heads,
			"num_key_value_heads": s.KVHeads, "max_position_embeddings": s.MaxPos, "rope_theta": 10000.0,
			"rms_norm_eps": 1e-6, "hidden_act": "silu", "tie_word_embeddings": false},
		"vision_config": map[string]any{"hidden_size": s.VDim, "num_hidden_layers": s.VLayers,
			"num_attention_heads": s.VHeads, "patch_size": s.Patch, "image_size": s.ImageSize,
			"mlp_ratio": float64(s.VFFN) / float64(s.VDim), "layer_norm_eps": 1e-6, "hidden_act": "gelu",
			"attention_bias": true, "projection_dim": s.Dim, "depth": 2, "num_image_tokens": g * g},
		"vq_config": map[string]any{"model_type": "janus_vqgan", "embed_dim": s.CodeDim, "num_embeddings": s.Codes,
			"latent_channels": s.Latent, "base_channels": s.Base, "channel_multiplier": s.ChannelMult,
			"num_res_blocks": s.ResBlocks, "num_patches": g, "projection_dim": s.Dim,
			"image_token_embed_dim": s.Dim, "num_hidden_layers": 2, "hidden_act": "gelu"},
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), janusTokenizer(), 0o644); err != nil {
		return err
	}
	w := &janusWriter{seed: seed, dt: s.DType}
	w.lm(s)
	if !s.NoVision {
		w.vision(s, g)
	}
	if !s.NoGeneration {
		w.mat("model.generation_embeddings.weight", 0, s.Codes, s.CodeDim)
		w.linear("model.generation_aligner.fc1", s.Dim, s.CodeDim)
		w.linear("model.generation_aligner.hidden_layers.0", s.Dim, s.Dim)
		w.linear("model.generation_head.proj_out", s.Dim, s.Dim)
		w.linear("model.generation_head.vision_head", s.Codes, s.Dim)
	}
	if !s.NoVQ {
		w.vq(s)
	}
	return weights.WriteSafetensors(filepath.Join(dir, "model.safetensors"), w.ts, map[string]string{"format": "pt", "chatumm": "random weights"})
}

type janusWriter struct {
	seed uint64
	dt   weights.DType
	ts   []weights.WriteTensor
}

// mat adds a random tensor of values about 2^scale.
func (w *janusWriter) mat(name string, scale int, shape ...int) {
	stream := uint64(len(w.ts))
	seed, dt := w.seed, w.dt
	w.ts = append(w.ts, weights.WriteTensor{Name: name, DType: dt, Shape: shape, Fill: func(dst []byte) {
		randomHalves(rand.New(rand.NewPCG(seed, stream)), dst, dt, scale)
	}})
}

// constant adds a tensor of ones (norm weights) or zeros (biases).
func (w *janusWriter) constant(name string, one bool, n int) {
	data := make([]byte, 2*n)
	v := uint16(0)
	if one {
		v = 0x3c00 // 1.0 in f16
		if w.dt == weights.BF16 {
			v = 0x3f80
		}
	}
	for i := 0; i < n; i++ {
		data[2*i], data[2*i+1] = byte(v), byte(v>>8)
	}
	w.ts = append(w.ts, weights.WriteTensor{Name: name, DType: w.dt, Shape: []int{n}, Data: data})
}

// linear adds name.weight [rows, cols] (scaled to keep activations near
// one) and a zero name.bias.
func (w *janusWriter) linear(name string, rows, cols int) {
	w.mat(name+".weight", -scaleFor(cols), rows, cols)
	w.constant(name+".bias", false, rows)
}

func (w *janusWriter) conv(name string, out, in, k int) {
	w.mat(name+".weight", -scaleFor(in*k*k), out, in, k, k)
	w.constant(name+".bias", false, out)
}

func (w *janusWriter) norm(name string, n int) {
	w.constant(name+".weight", true, n)
	w.constant(name+".bias", false, n)
}

// scaleFor is the power of two near 1/√fan-in.
func scaleFor(fanIn int) int {
	s := 0
	for 1<<(2*s) < fanIn {
		s++
	}
	return s
}

func (w *janusWriter) lm(s JanusSpec) {
	hd := s.Dim / s.Heads
	w.mat("model.language_model.embed_tokens.weight", 0, s.Vocab, s.Dim)
	w.mat("lm_head.weight", -2, s.Vocab, s.Dim)
	w.constant("model.language_model.norm.weight", true, s.Dim)
	for l := 0; l < s.Layers; l++ {
		p := fmt.Sprintf("model.language_model.layers.%d.", l)
		w.mat(p+"self_attn.q_proj.weight", -3, s.Heads*hd, s.Dim)
		w.mat(p+"self_attn.k_proj.weight", -3, s.KVHeads*hd, s.Dim)
		w.mat(p+"self_attn.v_proj.weight", -3, s.KVHeads*hd, s.Dim)
		w.mat(p+"self_attn.o_proj.weight", -3, s.Dim, s.Heads*hd)
		w.mat(p+"mlp.gate_proj.weight", -3, s.FFN, s.Dim)
		w.mat(p+"mlp.up_proj.weight", -3, s.FFN, s.Dim)
		w.mat(p+"mlp.down_proj.weight", -3, s.Dim, s.FFN)
		w.constant(p+"input_layernorm.weight", true, s.Dim)
		w.constant(p+"post_attention_layernorm.weight", true, s.Dim)
	}
}

func (w *janusWriter) vision(s JanusSpec, g int) {
	p := "model.vision_model."
	w.conv(p+"embeddings.patch_embedding", s.VDim, 3, s.Patch)
	w.mat(p+"embeddings.position_embedding.weight", -2, g*g, s.VDim)
	for j := 0; j < s.VLayers; j++ {
		q := fmt.Sprintf("%sencoder.layers.%d.", p, j)
		w.norm(q+"layer_norm1", s.VDim)
		w.norm(q+"layer_norm2", s.VDim)
		for _, n := range []string{"q_proj", "k_proj", "v_proj", "projection_layer"} {
			w.linear(q+"self_attn."+n, s.VDim, s.VDim)
		}
		w.linear(q+"mlp.fc1", s.VFFN, s.VDim)
		w.linear(q+"mlp.fc2", s.VDim, s.VFFN)
	}
	w.norm(p+"post_layernorm", s.VDim)
	w.linear("model.aligner.fc1", s.Dim, s.VDim)
	w.linear("model.aligner.hidden_layers.0", s.Dim, s.Dim)
}

// vq writes the LlamaGen VQ-16 in the Hugging Face names (JANUS_SPEC.md §3).
func (w *janusWriter) vq(s JanusSpec) {
	p := "model.vqmodel."
	L, C := len(s.ChannelMult), s.Base
	ch := func(l int) int { return C * s.ChannelMult[l] }
	block := func(name string, in, out int) {
		w.norm(name+".norm1", in)
		w.conv(name+".conv1", out, in, 3)
		w.norm(name+".norm2", out)
		w.conv(name+".conv2", out, out, 3)
		if in != out {
			w.conv(name+".nin_shortcut", out, in, 1)
		}
	}
	attn := func(name string, c int) {
		w.norm(name+".norm", c)
		for _, n := range []string{"q", "k", "v", "proj_out"} {
			w.conv(name+"."+n, c, c, 1)
		}
	}
	top := ch(L - 1)
	w.conv(p+"encoder.conv_in", C, 3, 3)
	in := C
	for l := 0; l < L; l++ {
		for b := 0; b < s.ResBlocks; b++ {
			block(fmt.Sprintf("%sencoder.down.%d.block.%d", p, l, b), in, ch(l))
			in = ch(l)
			if l == L-1 {
				attn(fmt.Sprintf("%sencoder.down.%d.attn.%d", p, l, b), in)
			}
		}
		if l < L-1 {
			w.conv(fmt.Sprintf("%sencoder.down.%d.downsample.conv", p, l), in, in, 3)
		}
	}
	for _, side := range []string{"encoder", "decoder"} {
		block(p+side+".mid.block_1", top, top)
		attn(p+side+".mid.attn_1", top)
		block(p+side+".mid.block_2", top, top)
	}
	w.norm(p+"encoder.norm_out", top)
	w.conv(p+"encoder.conv_out", s.Latent, top, 3)
	w.conv(p+"quant_conv", s.CodeDim, s.Latent, 1)
	w.mat(p+"quantize.embedding.weight", 0, s.Codes, s.CodeDim)
	w.conv(p+"post_quant_conv", s.Latent, s.CodeDim, 1)
	w.conv(p+"decoder.conv_in", top, s.Latent, 3)
	in = top
	for u := 0; u < L; u++ {
		l := L - 1 - u
		for b := 0; b <= s.ResBlocks; b++ {
			block(fmt.Sprintf("%sdecoder.up.%d.block.%d", p, u, b), in, ch(l))
			in = ch(l)
			if u == 0 {
				attn(fmt.Sprintf("%sdecoder.up.%d.attn.%d", p, u, b), in)
			}
		}
		if u < L-1 {
			w.conv(fmt.Sprintf("%sdecoder.up.%d.upsample.conv", p, u), in, in, 3)
		}
	}
	w.norm(p+"decoder.norm_out", C)
	w.conv(p+"decoder.conv_out", 3, C, 3)
}

// janusTokenizer is a byte-level BPE tokenizer.json without merges: the
// 256 bytes (id = byte value), then the Janus special tokens, a BOS added
// in front of encoded text.
func janusTokenizer() []byte {
	vocab := map[string]int{}
	next := 0
	for _, r := range tokenizer.ByteLevelAlphabet() {
		vocab[string(r)] = next
		next++
	}
	var added []map[string]any
	for _, name := range JanusSpecials {
		vocab[name] = next
		added = append(added, map[string]any{"id": next, "content": name, "special": true,
			"single_word": false, "lstrip": false, "rstrip": false, "normalized": false})
		next++
	}
	bos := JanusSpecials[0]
	tok := map[string]any{
		"version": "1.0", "added_tokens": added, "normalizer": nil,
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single":         []any{map[string]any{"SpecialToken": map[string]any{"id": bos, "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
			"pair":           []any{map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
			"special_tokens": map[string]any{bos: map[string]any{"id": bos, "ids": []int{vocab[bos]}, "tokens": []string{bos}}}},
		"decoder": map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model":   map[string]any{"type": "BPE", "vocab": vocab, "merges": []string{}},
	}
	b, _ := json.Marshal(tok)
	return b
}
