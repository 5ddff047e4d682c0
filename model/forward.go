package model

import (
	"fmt"

	"github.com/chatumm/chatumm/model/decoder"
)

// The forward passes a conversation runs, for every family. Most families
// are their decoder: ids in, logits over the vocabulary out. A family with
// image features as input and its own code head (Janus) extends both: its
// logits are LogitsSize wide — the vocabulary, then one per VQ code (the
// id VocabSize + code) — and a row may take an input vector in place of
// its token's embedding.

// LogitsSize is the width of the logits of Prefill and StepBatch: the
// vocabulary, plus the VQ codes of a family that draws through its own
// head.
func (m *Model) LogitsSize() int {
	if m.Janus != nil {
		return m.Cfg.VocabSize + m.Cfg.Janus.Codes
	}
	return m.Cfg.VocabSize
}

// Prefill appends ids to s and runs them in one pass; vecs[i], when not
// nil, is row i's input in place of its token's embedding (picture
// features; vecs may be nil). logits receives the last row's logits
// ([LogitsSize]) or, with all, every row's text logits
// ([len(ids)·LogitsSize]); it may be nil.
func (m *Model) Prefill(s *decoder.State, ids []int, vecs [][]float32, logits []float32, all bool) error {
	if m.Janus != nil {
		return m.Janus.prefill(m, s, ids, vecs, logits, all)
	}
	for _, v := range vecs {
		if v != nil {
			return fmt.Errorf("%s: this model takes no input vectors", m.Path)
		}
	}
	return m.T.Prefill(s, ids, logits, all)
}

// StepBatch appends ids[i] to states[i] for every i and runs them in one
// batch; logits[i] ([LogitsSize]) receives state i's next-token logits.
func (m *Model) StepBatch(states []*decoder.State, ids []int, logits [][]float32) error {
	if m.Janus != nil {
		return m.Janus.stepBatch(m, states, ids, logits)
	}
	return m.T.StepBatch(states, ids, logits)
}

// PrefillBatch is decoder.Transformer.PrefillBatch (speculative decoding);
// a family with its own code head has none yet.
func (m *Model) PrefillBatch(states []*decoder.State, ids [][]int, logits [][]float32) error {
	if m.Janus != nil {
		return fmt.Errorf("%s: speculative decoding is not supported for %s models", m.Path, m.Family().Name())
	}
	return m.T.PrefillBatch(states, ids, logits)
}
