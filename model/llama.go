package model

import (
	"fmt"
	"math"

	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/tokenizer"
	"github.com/chatumm/chatumm/weights"
)

// llama is a plain Llama decoder: model_type "llama" in config.json, or a
// llama GGUF file. It reads and writes text only, unless its vocabulary
// is a Chameleon one (chatumm's test checkpoints), whose protocol tokens it
// then uses.
type llama struct{}

func (llama) Name() string     { return "llama" }
func (llama) Guidance() string { return "none" }

func (llama) matches(r *rawConfig) bool { return r.ModelType == "llama" }

func (llama) protocol(tok *tokenizer.Tokenizer) (Protocol, error) {
	p := chameleonProtocol(tok)
	if p.BOS < 0 {
		p.BOS = lookup(tok, "<|begin_of_text|>")
	}
	if p.EOS < 0 {
		p.EOS = lookup(tok, "<|end_of_text|>")
	}
	if p.EndOfTurn < 0 {
		p.EndOfTurn = lookup(tok, "<|eot_id|>")
	}
	return p, nil
}

// defaultGGUFContext is the context of a GGUF file that does not say.
const defaultGGUFContext = 4096

// loadGGUF runs a llama GGUF file with F32/F16/BF16 tensors or ggml's
// block-quantized ones (Q8_0, Q4_0, Q4_K, Q6_K, ... as llama-quantize mixes
// them), used in place from the mapping or the read-in copy. Its tokenizer
// is the one in its metadata (tokenizer.FromGGUF), with the file's BOS, EOS
// and end-of-turn ids; a file without one takes token ids (logits, bench).
func loadGGUF(m *Model, path string, opts Options) (*Model, error) {
	set, err := weights.Open(path, opts.Load)
	if err != nil {
		return nil, err
	}
	if arch, _ := set.Metadata()["general.architecture"].(string); arch == "chameleon" {
		return loadChameleonGGUF(m, set, path)
	}
	g, err := weights.LlamaFromGGUF(set)
	if err != nil {
		set.Close()
		return nil, err
	}
	cfg, err := ggufConfig(g)
	if err != nil {
		set.Close()
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	m.Cfg, m.Weights = cfg, set
	m.Proto = noProtocol()
	if err := m.ggufTokenizer(path); err != nil {
		set.Close()
		return nil, err
	}
	m.T, err = decoder.Load(set, &cfg.Config, nil, m.Pool, g.HFNames)
	if err != nil {
		set.Close()
		return nil, err
	}
	return m, m.finish()
}

// ggufTokenizer reads the tokenizer in a GGUF file's metadata, if any,
// and takes the protocol tokens from it: BOS only where llama.cpp adds it.
func (m *Model) ggufTokenizer(path string) error {
	tok, special, err := tokenizer.FromGGUF(m.Weights.Metadata(), path)
	if err != nil || tok == nil {
		return err
	}
	m.Tok = tok
	if err := m.setVocab(); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	m.Proto.BOS, m.Proto.EOS, m.Proto.Pad = -1, special.EOS, special.Pad
	if special.AddBOS {
		m.Proto.BOS = special.BOS
	}
	m.Proto.EndOfTurn = special.EndOfTurn
	if m.Proto.EndOfTurn < 0 {
		m.Proto.EndOfTurn = special.EOS
	}
	return nil
}

// ggufConfig checks a GGUF file's llama metadata against the same limits
// as a config.json.
func ggufConfig(g *weights.GGUFLlama) (*Config, error) {
	if g.HeadCount <= 0 || g.HeadCountKV <= 0 || g.EmbeddingLength%g.HeadCount != 0 {
		return nil, fmt.Errorf("embedding length %d is not a multiple of %d heads", g.EmbeddingLength, g.HeadCount)
	}
	headDim := g.EmbeddingLength / g.HeadCount
	if g.RopeDimensionCount != 0 && g.RopeDimensionCount != headDim {
		return nil, fmt.Errorf("partial rotary embeddings (rope dims %d of head dim %d) are not supported", g.RopeDimensionCount, headDim)
	}
	ctx := g.ContextLength
	if ctx <= 0 {
		ctx = defaultGGUFContext
	}
	for _, v := range []struct {
		key, limit string // the GGUF key, the config.json limit it is held to
		n          int
	}{
		{"tokenizer vocabulary", "vocab_size", g.VocabSize},
		{"llama.embedding_length", "hidden_size", g.EmbeddingLength},
		{"llama.feed_forward_length", "intermediate_size", g.FeedForwardLength},
		{"llama.block_count", "num_hidden_layers", g.BlockCount},
		{"llama.attention.head_count", "num_attention_heads", g.HeadCount},
		{"llama.attention.head_count_kv", "num_key_value_heads", g.HeadCountKV},
		{"llama.context_length", "max_position_embeddings", ctx},
	} {
		if max := configLimits[v.limit]; v.n <= 0 || v.n > max {
			return nil, fmt.Errorf("%s = %d out of range [1, %d]", v.key, v.n, max)
		}
	}
	if g.HeadCount%g.HeadCountKV != 0 {
		return nil, fmt.Errorf("%d heads are not a multiple of %d KV heads", g.HeadCount, g.HeadCountKV)
	}
	cfg := &Config{ModelType: "llama", Family: llama{}, Config: decoder.Config{
		VocabSize: g.VocabSize, Dim: g.EmbeddingLength, FFN: g.FeedForwardLength,
		Layers: g.BlockCount, Heads: g.HeadCount, KVHeads: g.HeadCountKV, HeadDim: headDim,
		RMSEps: float32(g.RMSNormEps), RopeTheta: g.RopeFreqBase, MaxPos: ctx,
		TieEmbeddings: g.TiedEmbeddings, RopeInterleaved: g.RopeInterleaved,
	}}
	if !(cfg.RopeTheta > 1) || math.IsInf(cfg.RopeTheta, 0) {
		return nil, fmt.Errorf("rope frequency base %v out of range", cfg.RopeTheta)
	}
	if !(cfg.RMSEps > 0 && cfg.RMSEps < 1) {
		cfg.RMSEps = 1e-5
	}
	return cfg, nil
}
