// Package decoder is the transformer that turns token ids into logits: the
// dense Chameleon/Llama decoder and its Mixture-of-Transformers variant
// (image-token positions use their own projections, MLPs and norms). It
// checks every tensor against the config before the first token, keeps the
// weights in place (memory-mapped or read once) and runs prefills and
// batched decode steps over per-sequence KV caches.
//
// A Transformer is immutable after Load and safe for concurrent use: all
// mutable state of a forward pass lives in the State being advanced, so
// many goroutines may each advance their own States on one Transformer.
package decoder

import (
	"fmt"
	"sort"
	"strings"

	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// Transformer is a loaded Chameleon/Llama decoder with its weights in place
// (memory-mapped or read once). It holds no per-sequence state.
type Transformer struct {
	Cfg    *Config
	Embed  *ops.Mat
	LMHead *ops.Mat
	Layers []Layer
	// Norm[e] is the final RMSNorm weight of expert e.
	Norm [][]float32
	// isImage marks the vocabulary ids routed to the image expert (MoT).
	isImage []bool
	// Unused lists tensors in the file that the model did not use.
	Unused []string

	rope   *ops.RoPE
	pool   *runtime.Pool
	source map[*ops.Mat]*weights.Tensor // the tensor each loaded matrix views
}

// Load checks every tensor of set against cfg and builds the
// model. imageIDs marks the vocabulary ids that are image codes (from the
// tokenizer's names); it is required for Mixture-of-Transformers models.
func Load(set *weights.Set, cfg *Config, imageIDs []bool, pool *runtime.Pool, alias map[string]string) (*Transformer, error) {
	if cfg.Dim == 0 {
		return nil, fmt.Errorf("config has no transformer")
	}
	l := &tensorLoader{set: set, used: map[string]bool{}, alias: alias, source: map[*ops.Mat]*weights.Tensor{}}
	m := &Transformer{Cfg: cfg, pool: pool, source: l.source}
	m.Embed = l.mat("model.embed_tokens.weight", cfg.VocabSize, cfg.Dim)
	if _, ok := lookupAlias(set, alias, "lm_head.weight"); !ok && cfg.TieEmbeddings {
		m.LMHead = m.Embed
	} else {
		m.LMHead = l.mat("lm_head.weight", cfg.VocabSize, cfg.Dim)
	}
	experts := 1
	if cfg.MoT {
		experts = 2
		if len(imageIDs) != cfg.VocabSize {
			return nil, fmt.Errorf("mixture_of_transformers needs the image-token map of the tokenizer (vocab %d, map %d)", cfg.VocabSize, len(imageIDs))
		}
		m.isImage = imageIDs
	}
	suffixes := []string{"", "_moe_gen"}
	// Stop at the first problem: a config that claims millions of layers
	// must not cost a lookup per layer after the first missing tensor.
	for i := 0; i < cfg.Layers && l.err == nil; i++ {
		var layer Layer
		for e := 0; e < experts; e++ {
			layer.Experts = append(layer.Experts, l.expert(cfg, i, suffixes[e]))
		}
		m.Layers = append(m.Layers, layer)
	}
	for e := 0; e < experts; e++ {
		w, _ := l.vec("model.norm"+suffixes[e]+".weight", []int{cfg.Dim})
		m.Norm = append(m.Norm, w)
	}
	if l.err != nil {
		return nil, fmt.Errorf("%s: %v", describeFiles(set), l.err)
	}
	for _, name := range set.Names() {
		if !l.used[name] && !strings.HasPrefix(name, "model.vqmodel.") {
			m.Unused = append(m.Unused, name)
		}
	}
	sort.Strings(m.Unused)
	m.rope = ops.NewRoPE(cfg.HeadDim, cfg.RopeTheta, cfg.MaxPos, cfg.RopeInterleaved)
	return m, nil
}

func lookupAlias(set *weights.Set, alias map[string]string, name string) (*weights.Tensor, bool) {
	if a, ok := alias[name]; ok {
		name = a
	}
	return set.Tensor(name)
}

func describeFiles(set *weights.Set) string {
	files := set.Files()
	if len(files) == 1 {
		return files[0]
	}
	return fmt.Sprintf("%s (and %d more shards)", files[0], len(files)-1)
}

// UseColMajor stores each matrix whose rows are too wide for the decode
// matvec (ops.ColMajorPays: a 1B model's MLP down projection) column-major.
// In read mode the weights sit in private writable memory that only this
// model reads, so they are rewritten in place from the file's bytes;
// otherwise (mmap, the embedded model) a column-major copy is made and the
// original's mapped pages are released. Either way the process does not
// hold two copies. It is part of loading: call it once, before the
// Transformer is shared, and after taking any fingerprint of the stored
// bytes.
func (m *Transformer) UseColMajor(inPlace bool) error {
	for i := range m.Layers {
		for e := range m.Layers[i].Experts {
			ex := &m.Layers[i].Experts[e]
			if !ops.ColMajorPays(ex.Down) {
				continue
			}
			src := m.source[ex.Down]
			switch {
			case inPlace && src != nil:
				if err := ops.ToColMajorInPlace(m.pool, ex.Down, src.ReadFile); err != nil {
					return err
				}
			default:
				ex.Down = ops.ToColMajor(m.pool, ex.Down)
				if src != nil {
					src.Release()
				}
			}
		}
	}
	m.source = nil
	return nil
}
