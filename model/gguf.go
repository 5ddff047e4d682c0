package model

import (
	"fmt"

	"github.com/chatumm/chatumm/weights"
)

// loadGGUF runs a llama GGUF file with F32/F16/BF16 tensors. Its tokenizer
// metadata is not read yet, so such a model takes token ids (logits, bench).
func loadGGUF(m *Model, path string, opts Options) (*Model, error) {
	set, err := weights.Open(path, opts.Load)
	if err != nil {
		return nil, err
	}
	g, err := weights.LlamaFromGGUF(set)
	if err != nil {
		set.Close()
		return nil, err
	}
	headDim := g.EmbeddingLength / g.HeadCount
	if g.RopeDimensionCount != 0 && g.RopeDimensionCount != headDim {
		set.Close()
		return nil, fmt.Errorf("%s: partial rotary embeddings (rope dims %d of head dim %d) are not supported", path, g.RopeDimensionCount, headDim)
	}
	ctx := g.ContextLength
	if ctx <= 0 {
		ctx = 4096
	}
	cfg := &Config{
		ModelType: "llama", VocabSize: g.VocabSize, Dim: g.EmbeddingLength, FFN: g.FeedForwardLength,
		Layers: g.BlockCount, Heads: g.HeadCount, KVHeads: g.HeadCountKV, HeadDim: headDim,
		RMSEps: float32(g.RMSNormEps), RopeTheta: g.RopeFreqBase, MaxPos: ctx,
		TieEmbeddings: g.TiedEmbeddings, RopeInterleaved: g.RopeInterleaved,
	}
	if cfg.RMSEps <= 0 {
		cfg.RMSEps = 1e-5
	}
	m.Cfg, m.Weights = cfg, set
	m.T, err = LoadTransformer(set, cfg, nil, m.Pool, g.HFNames)
	if err != nil {
		set.Close()
		return nil, err
	}
	if err := m.finishTransformer(); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}
