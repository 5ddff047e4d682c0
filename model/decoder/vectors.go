package decoder

import "fmt"

// PrefillVectors is Prefill for a family whose inputs are not all token
// embeddings and whose outputs are not all text logits (Janus: image
// features fill the placeholder positions, drawn codes enter through their
// own embedding, and the next token comes from one of two heads). vecs[i],
// when not nil, is row i's input vector [Dim] in place of ids[i]'s
// embedding (ids[i] must still be a valid id); vecs may be nil. hidden
// receives the final-normed hidden state of the last row ([Dim]) or, if
// all, of every row ([len(ids)·Dim]); the caller applies its own head.
func (m *Transformer) PrefillVectors(s *State, ids []int, vecs [][]float32, hidden []float32, all bool) error {
	D := m.Cfg.Dim
	if len(ids) == 0 {
		return fmt.Errorf("empty input: no tokens to process")
	}
	if vecs != nil && len(vecs) != len(ids) {
		return fmt.Errorf("PrefillVectors: %d vectors for %d ids", len(vecs), len(ids))
	}
	if err := m.checkIDs(ids); err != nil {
		return err
	}
	for i, v := range vecs {
		if v != nil && len(v) != D {
			return fmt.Errorf("PrefillVectors: vector %d has %d floats, want %d", i, len(v), D)
		}
	}
	want := D
	if all {
		want = len(ids) * D
	}
	if len(hidden) < want {
		return fmt.Errorf("hidden buffer has %d floats, need %d", len(hidden), want)
	}
	if s.Len+len(ids) > s.Capacity() {
		return &ContextFullError{Have: s.Len, New: len(ids), Capacity: s.Capacity()}
	}
	s.KV.Reserve(s.Len + len(ids))
	b := &s.buf
	b.reset()
	for i, id := range ids {
		b.add(s, s.Len+i, id, m.expertOf(id))
		if vecs != nil {
			b.vecs[i] = vecs[i]
		}
	}
	b.hidden = true
	b.rowsOut, b.dst = b.rowsOut[:0], b.dst[:0]
	if all {
		for i := range ids {
			b.rowsOut = append(b.rowsOut, i)
			b.dst = append(b.dst, hidden[i*D:(i+1)*D])
		}
	} else {
		b.rowsOut = append(b.rowsOut, len(ids)-1)
		b.dst = append(b.dst, hidden[:D])
	}
	m.forward(b, b.rowsOut, b.dst)
	s.Len += len(ids)
	s.KV.SetLen(s.Len)
	return nil
}

// StepVectors appends one row to each state — the input vector vecs[i]
// when not nil, else the embedding of ids[i] — and runs them in one batch;
// hidden[i] receives state i's final-normed hidden state [Dim].
func (m *Transformer) StepVectors(states []*State, ids []int, vecs [][]float32, hidden [][]float32) error {
	D := m.Cfg.Dim
	if len(states) == 0 || len(states) != len(ids) || len(hidden) != len(ids) || (vecs != nil && len(vecs) != len(ids)) {
		return fmt.Errorf("StepVectors: %d states, %d ids, %d vectors, %d outputs", len(states), len(ids), len(vecs), len(hidden))
	}
	if err := m.checkIDs(ids); err != nil {
		return err
	}
	for i := range ids {
		if vecs != nil && vecs[i] != nil && len(vecs[i]) != D {
			return fmt.Errorf("StepVectors: vector %d has %d floats, want %d", i, len(vecs[i]), D)
		}
		if len(hidden[i]) < D {
			return fmt.Errorf("StepVectors: output %d has %d floats, want %d", i, len(hidden[i]), D)
		}
	}
	for _, s := range states {
		if s.Len+1 > s.Capacity() {
			return &ContextFullError{Have: s.Len, New: 1, Capacity: s.Capacity()}
		}
	}
	if err := distinct("StepVectors", states); err != nil {
		return err
	}
	for _, s := range states {
		s.KV.Reserve(s.Len + 1)
	}
	b := &states[0].buf // the batch's scratch is its first state's
	b.reset()
	b.rowsOut = b.rowsOut[:0]
	for i, s := range states {
		b.add(s, s.Len, ids[i], m.expertOf(ids[i]))
		if vecs != nil {
			b.vecs[i] = vecs[i]
		}
		b.rowsOut = append(b.rowsOut, i)
	}
	b.hidden = true
	m.forward(b, b.rowsOut, hidden)
	for _, s := range states {
		s.Len++
		s.KV.SetLen(s.Len)
	}
	return nil
}
