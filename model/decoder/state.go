package decoder

import (
	"errors"
	"fmt"

	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime"
)

// WithPool returns a Transformer that shares m's weights but runs on pool p
// (bench measures several thread counts on one loaded model). m itself is
// unchanged, so States in use elsewhere are not affected.
func (m *Transformer) WithPool(p *runtime.Pool) *Transformer {
	c := *m
	c.pool = p
	return &c
}

// ErrContextFull is matched (errors.Is) by every error that says the
// context cannot hold more tokens; callers turn it into advice.
var ErrContextFull = errors.New("context full")

// ContextFullError says how many tokens did not fit.
type ContextFullError struct {
	Have, New, Capacity int
}

func (e *ContextFullError) Error() string {
	return fmt.Sprintf("context full: %d tokens in context + %d new exceed the context size %d", e.Have, e.New, e.Capacity)
}

// Is makes errors.Is(err, ErrContextFull) true.
func (e *ContextFullError) Is(target error) bool { return target == ErrContextFull }

// State is one sequence: its KV cache, its length and the scratch of the
// forward passes that advance it. Several states can step together through
// StepBatch (classifier-free guidance); a State is used by one goroutine at
// a time.
type State struct {
	KV  *ops.KVCache
	Len int // positions already in the cache

	buf scratch
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
		return &ContextFullError{Have: s.Len, New: len(ids), Capacity: s.Capacity()}
	}
	s.KV.Reserve(s.Len + len(ids)) // the rows store their keys in parallel
	b := &s.buf
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
	m.forward(b, out, b.dst)
	s.Len += len(ids)
	s.KV.SetLen(s.Len)
	return nil
}

// StepBatch appends one token to each state and runs all of them together,
// so each weight matrix is read once for the whole batch. logits[i] receives
// state i's logits.
func (m *Transformer) StepBatch(states []*State, ids []int, logits [][]float32) error {
	if len(states) == 0 || len(states) != len(ids) || len(logits) != len(ids) {
		return fmt.Errorf("StepBatch: %d states, %d ids, %d logits", len(states), len(ids), len(logits))
	}
	if err := m.checkIDs(ids); err != nil {
		return err
	}
	for _, s := range states {
		if s.Len+1 > s.Capacity() {
			return &ContextFullError{Have: s.Len, New: 1, Capacity: s.Capacity()}
		}
	}
	if err := distinct("StepBatch", states); err != nil {
		return err
	}
	for _, s := range states {
		s.KV.Reserve(s.Len + 1)
	}
	// The batch's scratch is its first state's: the others only
	// contribute their KV caches.
	b := &states[0].buf
	b.reset()
	for i, s := range states {
		b.add(s, s.Len, ids[i], m.expertOf(ids[i]))
	}
	b.rowsOut = b.rowsOut[:0]
	for i := range ids {
		b.rowsOut = append(b.rowsOut, i)
	}
	m.forward(b, b.rowsOut, logits)
	for _, s := range states {
		s.Len++
		s.KV.SetLen(s.Len)
	}
	return nil
}

// distinct refuses a batch that lists a state twice: both rows would
// write the same cache position.
func distinct(op string, states []*State) error {
	for i, s := range states {
		for j := 0; j < i; j++ {
			if states[j] == s {
				return fmt.Errorf("%s: state %d given twice", op, i)
			}
		}
	}
	return nil
}
