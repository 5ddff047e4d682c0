package weights

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// GGUFLlama describes a llama-architecture GGUF file in Hugging Face terms:
// its hyper-parameters and the HF name of every tensor.
//
// RoPE layout: llama.cpp's HF→GGUF converter permutes the rows of q_proj and
// k_proj so that ggml's "NORM" RoPE, which rotates adjacent pairs
// (x[2i], x[2i+1]), computes what HF's rotate-half RoPE computes on the
// original rows (x[i], x[i+d/2]). The GGUF q/k weights are therefore in the
// interleaved-pair layout, and a model using them must apply interleaved RoPE
// (RopeInterleaved is true), not rotate-half.
type GGUFLlama struct {
	Name               string // general.name, may be empty
	EmbeddingLength    int    // hidden size
	BlockCount         int    // layers
	HeadCount          int
	HeadCountKV        int // = HeadCount when the key is absent
	FeedForwardLength  int
	ContextLength      int
	RopeDimensionCount int     // per-head rotary dims; head dim when absent
	VocabSize          int     // rows of token_embd.weight
	RopeFreqBase       float64 // 10000 when absent
	RMSNormEps         float64
	RopeInterleaved    bool // always true for GGUF llama files, see above
	TiedEmbeddings     bool // output.weight is absent: lm_head is token_embd

	// HFNames maps each Hugging Face tensor name to the GGUF tensor holding it,
	// e.g. "model.layers.0.self_attn.q_proj.weight" → "blk.0.attn_q.weight".
	// With tied embeddings "lm_head.weight" maps to "token_embd.weight".
	HFNames map[string]string

	set *Set
}

// Tensor returns a tensor by its Hugging Face name.
func (g *GGUFLlama) Tensor(hfName string) (*Tensor, bool) {
	name, ok := g.HFNames[hfName]
	if !ok {
		return nil, false
	}
	return g.set.Tensor(name)
}

// ggufLayerTensors maps per-block GGUF suffixes to HF suffixes.
var ggufLayerTensors = []struct{ gguf, hf string }{
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

// LlamaFromGGUF reads the llama hyper-parameters of a GGUF set and checks
// that every tensor the architecture needs is present with the right shape.
func LlamaFromGGUF(s *Set) (*GGUFLlama, error) {
	file := "(no file)"
	if len(s.files) > 0 {
		file = s.files[0]
	}
	fail := func(format string, args ...any) (*GGUFLlama, error) {
		return nil, fmt.Errorf("%s: "+format, append([]any{file}, args...)...)
	}
	if s.format != "gguf" {
		return fail("not a GGUF file")
	}
	meta := s.metadata
	arch, _ := meta["general.architecture"].(string)
	if arch != "llama" {
		return fail("general.architecture is %q, want \"llama\"", arch)
	}
	g := &GGUFLlama{RopeInterleaved: true, HFNames: map[string]string{}, set: s}
	g.Name, _ = meta["general.name"].(string)

	ints := []struct {
		key      string
		dst      *int
		required bool
	}{
		{"llama.embedding_length", &g.EmbeddingLength, true},
		{"llama.block_count", &g.BlockCount, true},
		{"llama.attention.head_count", &g.HeadCount, true},
		{"llama.attention.head_count_kv", &g.HeadCountKV, false},
		{"llama.feed_forward_length", &g.FeedForwardLength, true},
		{"llama.context_length", &g.ContextLength, true},
		{"llama.rope.dimension_count", &g.RopeDimensionCount, false},
	}
	for _, it := range ints {
		v, present := meta[it.key]
		if !present {
			if it.required {
				return fail("missing metadata %s", it.key)
			}
			continue
		}
		n, ok := metaInt(v)
		if !ok || n <= 0 || n > 1<<31 {
			return fail("metadata %s = %v (%T), want a positive integer", it.key, v, v)
		}
		*it.dst = int(n)
	}
	if g.HeadCountKV == 0 {
		g.HeadCountKV = g.HeadCount
	}
	if g.EmbeddingLength%g.HeadCount != 0 || g.HeadCount%g.HeadCountKV != 0 {
		return fail("embedding_length %d, head_count %d, head_count_kv %d do not divide evenly",
			g.EmbeddingLength, g.HeadCount, g.HeadCountKV)
	}
	headDim := g.EmbeddingLength / g.HeadCount
	if g.RopeDimensionCount == 0 {
		g.RopeDimensionCount = headDim
	}
	if g.RopeDimensionCount > headDim || g.RopeDimensionCount%2 != 0 {
		return fail("rope.dimension_count %d does not fit head dim %d", g.RopeDimensionCount, headDim)
	}

	g.RopeFreqBase = 10000
	if v, ok := meta["llama.rope.freq_base"]; ok {
		if g.RopeFreqBase, ok = metaFloat(v); !ok || !(g.RopeFreqBase > 0) {
			return fail("metadata llama.rope.freq_base = %v (%T), want a positive number", v, v)
		}
	}
	v, ok := meta["llama.attention.layer_norm_rms_epsilon"]
	if !ok {
		return fail("missing metadata llama.attention.layer_norm_rms_epsilon")
	}
	if g.RMSNormEps, ok = metaFloat(v); !ok || !(g.RMSNormEps > 0) || float32(g.RMSNormEps) == 0 {
		return fail("metadata llama.attention.layer_norm_rms_epsilon = %v (%T), want a positive number", v, v)
	}

	embd, ok := s.Tensor("token_embd.weight")
	if !ok {
		return fail("missing tensor \"token_embd.weight\"")
	}
	if len(embd.Shape) != 2 || embd.Shape[1] != g.EmbeddingLength {
		return fail("tensor \"token_embd.weight\" has shape %v, want [vocab, %d]", embd.Shape, g.EmbeddingLength)
	}
	g.VocabSize = embd.Shape[0]

	d, kvDim, ffn := g.EmbeddingLength, g.HeadCountKV*headDim, g.FeedForwardLength
	want := map[string][]int{
		"token_embd.weight":  {g.VocabSize, d},
		"output_norm.weight": {d},
		"output.weight":      {g.VocabSize, d},
	}
	g.HFNames["model.embed_tokens.weight"] = "token_embd.weight"
	g.HFNames["model.norm.weight"] = "output_norm.weight"
	g.HFNames["lm_head.weight"] = "output.weight"
	if _, ok := s.Tensor("output.weight"); !ok {
		g.TiedEmbeddings = true
		g.HFNames["lm_head.weight"] = "token_embd.weight"
		delete(want, "output.weight")
	}
	layerShapes := map[string][]int{
		"attn_norm.weight": {d}, "ffn_norm.weight": {d},
		"attn_q.weight": {d, d}, "attn_k.weight": {kvDim, d}, "attn_v.weight": {kvDim, d},
		"attn_output.weight": {d, d},
		"ffn_gate.weight":    {ffn, d}, "ffn_up.weight": {ffn, d}, "ffn_down.weight": {d, ffn},
	}
	// A hostile block_count must not make us build a huge name map.
	if g.BlockCount > len(s.tensors)/len(ggufLayerTensors) {
		return fail("block_count %d needs %d block tensors, the file has %d tensors in all",
			g.BlockCount, g.BlockCount*len(ggufLayerTensors), len(s.tensors))
	}
	for i := 0; i < g.BlockCount; i++ {
		blk, layer := "blk."+strconv.Itoa(i)+".", "model.layers."+strconv.Itoa(i)+"."
		for _, lt := range ggufLayerTensors {
			g.HFNames[layer+lt.hf] = blk + lt.gguf
			want[blk+lt.gguf] = layerShapes[lt.gguf]
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		t, ok := s.Tensor(name)
		if !ok {
			return fail("missing tensor %q", name)
		}
		if !slices.Equal(t.Shape, want[name]) {
			return fail("tensor %q has shape %v, want %v", name, t.Shape, want[name])
		}
	}
	return g, nil
}
