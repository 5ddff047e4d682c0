package model

import (
	"fmt"
	"sort"
	"strings"

	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// Transformer is a loaded Chameleon/Llama decoder with its weights in place
// (memory-mapped or read once) and the scratch buffers its forward pass reuses.
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
	buf    forwardBuffers
	qk     qkTask
}

// LoadTransformer checks every tensor of set against cfg and builds the
// model. imageIDs marks the vocabulary ids that are image codes (from the
// tokenizer's names); it is required for Mixture-of-Transformers models.
func LoadTransformer(set *weights.Set, cfg *Config, imageIDs []bool, pool *runtime.Pool, alias map[string]string) (*Transformer, error) {
	if cfg.Dim == 0 {
		return nil, fmt.Errorf("config has no transformer (model_type %q)", cfg.ModelType)
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
	for i := 0; i < cfg.Layers; i++ {
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
	m.qk.m = m
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

// useColMajor stores each matrix whose rows are too wide for the decode
// matvec (ops.ColMajorPays: a 1B model's MLP down projection) column-major.
// In read mode the weights sit in private writable memory that only this
// model reads, so they are rewritten in place from the file's bytes;
// otherwise (mmap, the embedded model) a column-major copy is made and the
// original's mapped pages are released. Either way the process does not
// hold two copies. Callers take the model's fingerprint first: it samples
// the stored bytes.
func (m *Transformer) useColMajor(inPlace bool) error {
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

// SetPool changes the worker pool (bench measures several thread counts
// on one loaded model).
func (m *Transformer) SetPool(p *runtime.Pool) { m.pool = p }

// State is one sequence's KV cache and length. Several states can step
// together through StepBatch (classifier-free guidance).
type State struct {
	KV  *ops.KVCache
	Len int // positions already in the cache
}

// NewState allocates a KV cache for up to capacity positions (capacity <= 0
// means max_position_embeddings); f16 storage unless f32KV.
func (m *Transformer) NewState(capacity int, f32KV bool) *State {
	if capacity <= 0 || capacity > m.Cfg.MaxPos {
		capacity = m.Cfg.MaxPos
	}
	return &State{KV: ops.NewKVCache(m.Cfg.Layers, m.Cfg.KVHeads, m.Cfg.HeadDim, capacity, f32KV)}
}

// Capacity is the number of positions the state can hold.
func (s *State) Capacity() int { return s.KV.Cap() }

// Truncate forgets positions from n on (the cache keeps its memory).
func (s *State) Truncate(n int) {
	if n < s.Len {
		s.Len = n
		s.KV.SetLen(n)
	}
}

func (m *Transformer) expertOf(id int) int {
	if m.isImage != nil && m.isImage[id] {
		return 1
	}
	return 0
}

func (m *Transformer) checkIDs(ids []int) error {
	for _, id := range ids {
		if id < 0 || id >= m.Cfg.VocabSize {
			return fmt.Errorf("token id %d out of range [0, %d)", id, m.Cfg.VocabSize)
		}
	}
	return nil
}

// Prefill appends ids to the sequence and runs them through the model in
// one pass (GEMM over all new tokens). logits receives the last position's
// logits ([vocab]) or, if all is set, every position's ([len(ids)*vocab]);
// logits may be nil.
func (m *Transformer) Prefill(s *State, ids []int, logits []float32, all bool) error {
	if len(ids) == 0 {
		return fmt.Errorf("empty input: no tokens to process")
	}
	if err := m.checkIDs(ids); err != nil {
		return err
	}
	if s.Len+len(ids) > s.Capacity() {
		return fmt.Errorf("context full: %d tokens in context + %d new exceed the context size %d", s.Len, len(ids), s.Capacity())
	}
	b := &m.buf
	b.reset()
	for i, id := range ids {
		b.add(s, s.Len+i, id, m.expertOf(id))
	}
	want := len(ids) * m.Cfg.VocabSize
	if !all {
		want = m.Cfg.VocabSize
	}
	if logits != nil && len(logits) < want {
		return fmt.Errorf("logits buffer has %d floats, need %d", len(logits), want)
	}
	out := b.rowsOut[:0]
	if logits != nil {
		if all {
			for i := range ids {
				out = append(out, i)
			}
		} else {
			out = append(out, len(ids)-1)
		}
	}
	b.rowsOut = out
	b.dst = b.dst[:0]
	for k := range out {
		b.dst = append(b.dst, logits[k*m.Cfg.VocabSize:(k+1)*m.Cfg.VocabSize])
	}
	m.forward(out, b.dst)
	s.Len += len(ids)
	s.KV.SetLen(s.Len)
	return nil
}

// StepBatch appends one token to each state and runs all of them together,
// so each weight matrix is read once for the whole batch. logits[i] receives
// state i's logits.
func (m *Transformer) StepBatch(states []*State, ids []int, logits [][]float32) error {
	if len(states) != len(ids) || len(logits) != len(ids) {
		return fmt.Errorf("StepBatch: %d states, %d ids, %d logits", len(states), len(ids), len(logits))
	}
	if err := m.checkIDs(ids); err != nil {
		return err
	}
	for i, s := range states {
		if s.Len+1 > s.Capacity() {
			return fmt.Errorf("context full: %d tokens fill the context size %d", s.Len, s.Capacity())
		}
		for j := 0; j < i; j++ {
			if states[j] == s {
				return fmt.Errorf("StepBatch: state %d given twice", i)
			}
		}
	}
	b := &m.buf
	b.reset()
	for i, s := range states {
		b.add(s, s.Len, ids[i], m.expertOf(ids[i]))
	}
	b.rowsOut = b.rowsOut[:0]
	for i := range ids {
		b.rowsOut = append(b.rowsOut, i)
	}
	m.forward(b.rowsOut, logits)
	for _, s := range states {
		s.Len++
		s.KV.SetLen(s.Len)
	}
	return nil
}
