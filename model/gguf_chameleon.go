package model

import (
	"fmt"
	"math"
	"strconv"

	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/tokenizer"
	"github.com/chatumm/chatumm/weights"
)

// A GGUF of architecture "chameleon", as llama.cpp's convert_hf_to_gguf.py
// writes Chameleon and Anole: the llama tensor names plus per-block
// attn_q_norm / attn_k_norm (Chameleon's per-head LayerNorm, weight and
// bias, [heads, head_dim]), chameleon.swin_norm, the Chameleon vocabulary
// (image tokens included) as a gpt2 tokenizer, and no VQ-GAN (the converter
// drops model.vqmodel.*): --vq DIR supplies it. The converter permutes q
// and k rows for ggml's pair-wise RoPE, and the q/k norm weights the same
// way within each head, so the model runs with interleaved RoPE on the
// tensors as stored.

// ggufChameleonTensors maps per-block GGUF suffixes beyond llama's to HF.
var ggufChameleonTensors = []struct{ gguf, hf string }{
	{"attn_q_norm.weight", "self_attn.q_norm.weight"},
	{"attn_q_norm.bias", "self_attn.q_norm.bias"},
	{"attn_k_norm.weight", "self_attn.k_norm.weight"},
	{"attn_k_norm.bias", "self_attn.k_norm.bias"},
}

// ggufLlamaTensors are the per-block tensors every llama-layout GGUF has.
var ggufLlamaTensors = []struct{ gguf, hf string }{
	{"attn_norm.weight", "input_layernorm.weight"},
	{"attn_q.weight", "self_attn.q_proj.weight"},
	{"attn_k.weight", "self_attn.k_proj.weight"},
	{"attn_v.weight", "self_attn.v_proj.weight"},
	{"attn_output.weight", "self_attn.o_proj.weight"},
	{"ffn_norm.weight", "post_attention_layernorm.weight"},
	{"ffn_gate.weight", "mlp.gate_proj.weight"},
	{"ffn_up.weight", "mlp.up_proj.weight"},
	{"ffn_down.weight", "mlp.down_proj.weight"},
}

// loadChameleonGGUF runs a chameleon GGUF (set is open; closed on error).
func loadChameleonGGUF(m *Model, set *weights.Set, path string) (*Model, error) {
	fail := func(err error) (*Model, error) {
		set.Close()
		return nil, err
	}
	cfg, alias, err := chameleonGGUFConfig(set)
	if err != nil {
		return fail(fmt.Errorf("%s: %v", path, err))
	}
	tok, _, err := tokenizer.FromGGUF(set.Metadata(), path)
	if err != nil {
		return fail(err)
	}
	if tok == nil {
		return fail(fmt.Errorf("%s: tokenizer.ggml.model: missing; a chameleon GGUF needs its vocabulary (the image tokens)", path))
	}
	m.Cfg, m.Tok, m.Weights = cfg, tok, set
	if err := m.setVocab(); err != nil {
		return fail(fmt.Errorf("%s: %v", path, err))
	}
	if m.T, err = decoder.Load(set, &cfg.Config, nil, m.Pool, alias); err != nil {
		return fail(err)
	}
	if err := m.loadVQ(); err != nil {
		return fail(err)
	}
	return m, m.finish()
}

// chameleonGGUFConfig reads the hyper-parameters and names every tensor.
func chameleonGGUFConfig(set *weights.Set) (*Config, map[string]string, error) {
	meta := set.Metadata()
	get := func(key string, def int) (int, error) {
		v, ok := meta["chameleon."+key]
		if !ok {
			if def < 0 {
				return 0, fmt.Errorf("chameleon.%s: missing", key)
			}
			return def, nil
		}
		n, ok := ggufUint(v)
		if !ok {
			return 0, fmt.Errorf("chameleon.%s: %v is not a count", key, v)
		}
		return n, nil
	}
	var c decoder.Config
	var err error
	for _, f := range []struct {
		key  string
		def  int
		into *int
	}{
		{"embedding_length", -1, &c.Dim}, {"block_count", -1, &c.Layers}, {"feed_forward_length", -1, &c.FFN},
		{"attention.head_count", -1, &c.Heads}, {"context_length", defaultGGUFContext, &c.MaxPos},
	} {
		if *f.into, err = get(f.key, f.def); err != nil {
			return nil, nil, err
		}
	}
	if c.KVHeads, err = get("attention.head_count_kv", c.Heads); err != nil {
		return nil, nil, err
	}
	embd, ok := set.Tensor("token_embd.weight")
	if !ok || len(embd.Shape) != 2 {
		return nil, nil, fmt.Errorf("tensor \"token_embd.weight\": missing or not 2-D")
	}
	c.VocabSize = embd.Shape[0]
	for _, v := range []struct {
		key, limit string
		n          int
	}{
		{"tokenizer vocabulary", "vocab_size", c.VocabSize}, {"chameleon.embedding_length", "hidden_size", c.Dim},
		{"chameleon.feed_forward_length", "intermediate_size", c.FFN}, {"chameleon.block_count", "num_hidden_layers", c.Layers},
		{"chameleon.attention.head_count", "num_attention_heads", c.Heads},
		{"chameleon.attention.head_count_kv", "num_key_value_heads", c.KVHeads},
		{"chameleon.context_length", "max_position_embeddings", c.MaxPos},
	} {
		if limit := configLimits[v.limit]; v.n <= 0 || v.n > limit {
			return nil, nil, fmt.Errorf("%s = %d out of range [1, %d]", v.key, v.n, limit)
		}
	}
	if c.Dim%c.Heads != 0 || c.Heads%c.KVHeads != 0 {
		return nil, nil, fmt.Errorf("%d heads, %d KV heads and width %d do not divide", c.Heads, c.KVHeads, c.Dim)
	}
	c.HeadDim = c.Dim / c.Heads
	if rd, err := get("rope.dimension_count", c.HeadDim); err != nil || rd != c.HeadDim {
		return nil, nil, fmt.Errorf("chameleon.rope.dimension_count: partial rotary embeddings (%d of head dim %d) are not supported", rd, c.HeadDim)
	}
	c.RopeTheta = 10000
	if v, ok := meta["chameleon.rope.freq_base"]; ok {
		if f, ok := ggufFloat(v); ok {
			c.RopeTheta = f
		}
	}
	if !(c.RopeTheta > 1) || math.IsInf(c.RopeTheta, 0) {
		return nil, nil, fmt.Errorf("chameleon.rope.freq_base %v out of range", c.RopeTheta)
	}
	c.RMSEps = 1e-5
	if v, ok := meta["chameleon.attention.layer_norm_rms_epsilon"]; ok {
		if f, ok := ggufFloat(v); ok && f > 0 && f < 1 {
			c.RMSEps = float32(f)
		}
	}
	if v, ok := meta["chameleon.swin_norm"]; ok {
		if c.SwinNorm, ok = v.(bool); !ok {
			return nil, nil, fmt.Errorf("chameleon.swin_norm: is a %T, want a bool", v)
		}
	}
	c.QKNorm, c.RopeInterleaved = true, true
	_, hasOutput := set.Tensor("output.weight")
	c.TieEmbeddings = !hasOutput
	return &Config{ModelType: "chameleon", Family: chameleon{}, Config: c}, chameleonGGUFNames(c.Layers, c.TieEmbeddings), nil
}

// chameleonGGUFNames maps each Hugging Face tensor name to its GGUF name.
func chameleonGGUFNames(layers int, tied bool) map[string]string {
	alias := map[string]string{
		"model.embed_tokens.weight": "token_embd.weight",
		"model.norm.weight":         "output_norm.weight",
		"lm_head.weight":            "output.weight",
	}
	if tied {
		alias["lm_head.weight"] = "token_embd.weight"
	}
	for i := 0; i < layers; i++ {
		blk, hf := "blk."+strconv.Itoa(i)+".", "model.layers."+strconv.Itoa(i)+"."
		for _, t := range ggufLlamaTensors {
			alias[hf+t.hf] = blk + t.gguf
		}
		for _, t := range ggufChameleonTensors {
			alias[hf+t.hf] = blk + t.gguf
		}
	}
	return alias
}

// ggufUint reads a non-negative integer metadata value.
func ggufUint(v any) (int, bool) {
	var x uint64
	switch v := v.(type) {
	case uint8:
		x = uint64(v)
	case uint16:
		x = uint64(v)
	case uint32:
		x = uint64(v)
	case uint64:
		x = v
	case int32:
		if v < 0 {
			return 0, false
		}
		x = uint64(v)
	case int64:
		if v < 0 {
			return 0, false
		}
		x = uint64(v)
	default:
		return 0, false
	}
	if x > math.MaxInt32 {
		return 0, false
	}
	return int(x), true
}

// ggufFloat reads a float metadata value.
func ggufFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float32:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}
