// Package randmodel writes random-weight checkpoints in the exact layout
// chatumm loads (config.json, tokenizer.json, model.safetensors), for
// benchmarks on real model shapes and tests that need a fresh model,
// without downloading weights.
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

// Spec is the shape of a random-weight Chameleon checkpoint, for
// benchmarks on real model shapes without downloading weights.
type Spec struct {
	Dim, Layers, Heads, KVHeads, FFN, Vocab int
	ImageCodes                              int // image tokens in the vocabulary
	MoT                                     bool
	Lumina                                  bool          // Lumina's image layout tokens and config
	DType                                   weights.DType // F16 or BF16
	MaxPos                                  int
}

// Shapes are the named shapes `chatumm bench model --random` knows.
var Shapes = map[string]Spec{
	"tiny": {Dim: 256, Layers: 4, Heads: 8, KVHeads: 8, FFN: 704, Vocab: 8192, ImageCodes: 1024, MaxPos: 4096, DType: weights.F16},
	// The Llama-1B (TinyLlama) shape with Chameleon's qk-norm.
	"1b":     {Dim: 2048, Layers: 22, Heads: 32, KVHeads: 4, FFN: 5632, Vocab: 32000, ImageCodes: 8192, MaxPos: 4096, DType: weights.F16},
	"1b-mot": {Dim: 2048, Layers: 22, Heads: 32, KVHeads: 4, FFN: 5632, Vocab: 32000, ImageCodes: 8192, MaxPos: 4096, DType: weights.F16, MoT: true},
	// Anole-7B / Chameleon-7B (14 GB in f16: for benchmarks, never tests).
	"anole-7b": {Dim: 4096, Layers: 32, Heads: 32, KVHeads: 32, FFN: 11008, Vocab: 65536, ImageCodes: 8192, MaxPos: 4096, DType: weights.F16},
}

// Write writes config.json, tokenizer.json and model.safetensors of a
// random-weight checkpoint into dir. Weights are small random halves (or
// bfloat16s), norms near one, so activations stay in range.
func Write(dir string, s Spec, seed uint64) error {
	if s.Vocab < s.ImageCodes+300 {
		return fmt.Errorf("vocab %d too small for %d image codes", s.Vocab, s.ImageCodes)
	}
	hd := s.Dim / s.Heads
	cfg := map[string]any{"model_type": "chameleon", "vocab_size": s.Vocab, "hidden_size": s.Dim,
		"intermediate_size": s.FFN, "num_hidden_layers": s.Layers, "num_attention_heads": s.Heads,
		"num_key_value_heads": s.KVHeads, "max_position_embeddings": s.MaxPos, "rope_theta": 10000.0,
		"rms_norm_eps": 1e-5, "mixture_of_transformers": s.MoT}
	if s.Lumina {
		cfg["z_loss_weight"] = 0.0
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), randomTokenizer(s.ImageCodes, s.Lumina), 0o644); err != nil {
		return err
	}
	var ts []weights.WriteTensor
	// Matrices are generated as the writer reaches them, each from its own
	// stream, so only one is in memory at a time (a 1B checkpoint is 2.2 GB).
	mat := func(name string, rows, cols int, scale int) {
		stream := uint64(len(ts))
		ts = append(ts, weights.WriteTensor{Name: name, DType: s.DType, Shape: []int{rows, cols}, Fill: func(dst []byte) {
			randomHalves(rand.New(rand.NewPCG(seed, stream)), dst, s.DType, scale)
		}})
	}
	norm := func(name string, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]byte, 2*n)
		one := uint16(0x3c00) // 1.0 in f16
		if s.DType == weights.BF16 {
			one = 0x3f80
		}
		for i := 0; i < n; i++ {
			data[2*i], data[2*i+1] = byte(one), byte(one>>8)
		}
		ts = append(ts, weights.WriteTensor{Name: name, DType: s.DType, Shape: shape, Data: data})
	}
	mat("model.embed_tokens.weight", s.Vocab, s.Dim, 0)
	mat("lm_head.weight", s.Vocab, s.Dim, -2)
	suffixes := []string{""}
	if s.MoT {
		suffixes = append(suffixes, "_moe_gen")
	}
	for _, sfx := range suffixes {
		norm("model.norm"+sfx+".weight", s.Dim)
		for l := 0; l < s.Layers; l++ {
			p := fmt.Sprintf("model.layers.%d.", l)
			mat(p+"self_attn.q_proj"+sfx+".weight", s.Heads*hd, s.Dim, -3)
			mat(p+"self_attn.k_proj"+sfx+".weight", s.KVHeads*hd, s.Dim, -3)
			mat(p+"self_attn.v_proj"+sfx+".weight", s.KVHeads*hd, s.Dim, -3)
			mat(p+"self_attn.o_proj"+sfx+".weight", s.Dim, s.Heads*hd, -3)
			mat(p+"mlp"+sfx+".gate_proj.weight", s.FFN, s.Dim, -3)
			mat(p+"mlp"+sfx+".up_proj.weight", s.FFN, s.Dim, -3)
			mat(p+"mlp"+sfx+".down_proj.weight", s.Dim, s.FFN, -3)
			norm(p+"input_layernorm"+sfx+".weight", s.Dim)
			norm(p+"post_attention_layernorm"+sfx+".weight", s.Dim)
			norm(p+"self_attn.q_norm"+sfx+".weight", s.Heads, hd)
			norm(p+"self_attn.k_norm"+sfx+".weight", s.KVHeads, hd)
			ts = append(ts,
				weights.WriteTensor{Name: p + "self_attn.q_norm" + sfx + ".bias", DType: s.DType, Shape: []int{s.Heads, hd}, Data: make([]byte, 2*s.Heads*hd)},
				weights.WriteTensor{Name: p + "self_attn.k_norm" + sfx + ".bias", DType: s.DType, Shape: []int{s.KVHeads, hd}, Data: make([]byte, 2*s.KVHeads*hd)})
		}
	}
	return weights.WriteSafetensors(filepath.Join(dir, "model.safetensors"), ts, map[string]string{"format": "pt", "chatumm": "random weights"})
}

// randomHalves fills out with values of magnitude about 2^scale with a
// random sign and mantissa, built directly as bits (fast for gigabytes).
func randomHalves(rng *rand.Rand, out []byte, dt weights.DType, scale int) {
	n := len(out) / 2
	for i := 0; i < n; i += 4 {
		r := rng.Uint64()
		for j := 0; j < 4 && i+j < n; j++ {
			bits := uint16(r >> (16 * j))
			var h uint16
			if dt == weights.BF16 {
				// sign | exponent 127+scale-1..127+scale | 7 mantissa bits
				h = bits&0x8000 | uint16(127+scale-int(bits>>14&1))<<7 | bits&0x7f
			} else {
				h = bits&0x8000 | uint16(15+scale-int(bits>>14&1))<<10 | bits&0x3ff
			}
			out[2*(i+j)], out[2*(i+j)+1] = byte(h), byte(h>>8)
		}
	}
}

// randomTokenizer is a byte-level BPE tokenizer.json without merges: the
// Chameleon special tokens, the image tokens by name, and the 256 bytes.
func randomTokenizer(codes int, lumina bool) []byte {
	vocab := map[string]int{}
	var added []map[string]any
	next := 0
	special := func(name string) {
		vocab[name] = next
		added = append(added, map[string]any{"id": next, "content": name, "special": true,
			"single_word": false, "lstrip": false, "rstrip": false, "normalized": false})
		next++
	}
	for _, n := range []string{"<s>", "<pad>", "</s>", "<unk>"} {
		special(n)
	}
	for c := 0; c < codes; c++ {
		special(tokenizer.ImageTokenName(c))
	}
	for _, n := range []string{"<eoss>", "<racm3:break>", "<reserved08706>"} {
		special(n)
	}
	if lumina { // end-of-row and the size tokens of 1..32 grids
		special("<reserved08799>")
		for n := 1; n <= 32; n++ {
			special(fmt.Sprintf("<reserved%05d>", 8800+n))
		}
	}
	for _, r := range tokenizer.ByteLevelAlphabet() {
		vocab[string(r)] = next
		next++
	}
	tok := map[string]any{
		"version": "1.0", "added_tokens": added, "normalizer": nil,
		"pre_tokenizer":  map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
		"post_processor": nil,
		"decoder":        map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model":          map[string]any{"type": "BPE", "vocab": vocab, "merges": []string{}},
	}
	b, _ := json.Marshal(tok)
	return b
}
