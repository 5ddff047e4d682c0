package decoder

import "fmt"

// PrefillBatch appends ids[i] to states[i] for every i and runs all of them
// in one forward pass, so each weight matrix is read once for all rows of
// all states (speculative decoding verifies a window of draft tokens in
// every guidance sequence this way). logits[i] receives the logits of
// every position of ids[i] ([len(ids[i]) × vocab]). On error no state
// changes.
func (m *Transformer) PrefillBatch(states []*State, ids [][]int, logits [][]float32) error {
	if len(states) == 0 || len(states) != len(ids) || len(logits) != len(ids) {
		return fmt.Errorf("PrefillBatch: %d states, %d id lists, %d logits", len(states), len(ids), len(logits))
	}
	V := m.Cfg.VocabSize
	for i, s := range states {
		if len(ids[i]) == 0 {
			return fmt.Errorf("PrefillBatch: state %d has no tokens", i)
		}
		if err := m.checkIDs(ids[i]); err != nil {
			return err
		}
		if s.Len+len(ids[i]) > s.Capacity() {
			return &ContextFullError{Have: s.Len, New: len(ids[i]), Capacity: s.Capacity()}
		}
		if len(logits[i]) < len(ids[i])*V {
			return fmt.Errorf("PrefillBatch: logits %d hold %d floats, need %d", i, len(logits[i]), len(ids[i])*V)
		}
	}
	if err := distinct("PrefillBatch", states); err != nil {
		return err
	}
	for i, s := range states {
		s.KV.Reserve(s.Len + len(ids[i]))
	}
	b := &states[0].buf // the pass's scratch is its first state's
	b.reset()
	b.rowsOut, b.dst = b.rowsOut[:0], b.dst[:0]
	for i, s := range states {
		for k, id := range ids[i] {
			b.rowsOut = append(b.rowsOut, len(b.ids))
			b.dst = append(b.dst, logits[i][k*V:(k+1)*V])
			b.add(s, s.Len+k, id, m.expertOf(id))
		}
	}
	m.forward(b, b.rowsOut, b.dst)
	for i, s := range states {
		s.Len += len(ids[i])
		s.KV.SetLen(s.Len)
	}
	return nil
}
