// Package sample turns logits into the next token: repetition penalty,
// allow/deny masks, temperature, top-k and top-p with Hugging Face
// semantics, and a seeded RNG so a seed always gives the same tokens.
// Out-of-range parameters, NaN or infinite logits and an all-masked
// vocabulary are errors (ParamError, NonFiniteError, ErrNoToken), never a
// panic.
package sample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Params are the sampling settings of one generation mode.
// Validate says which are in range.
type Params struct {
	Temperature       float32 // 0 means greedy; so does one too small for 1/t to fit a float32
	TopK              int     // 0 means no limit
	TopP              float32 // 0 or 1 means no limit
	RepetitionPenalty float32 // 1 or 0 means none
}

// Mask restricts the candidates: a token is allowed when Allow is nil or
// Allow[id], and Deny is nil or !Deny[id].
type Mask struct {
	Allow []bool
	Deny  []bool
}

func (m *Mask) ok(id int) bool {
	if m == nil {
		return true
	}
	if m.Allow != nil && (id >= len(m.Allow) || !m.Allow[id]) {
		return false
	}
	if m.Deny != nil && id < len(m.Deny) && m.Deny[id] {
		return false
	}
	return true
}

// Sampler draws tokens. It reuses its scratch, so sampling allocates nothing
// once warmed up. Not safe for concurrent use.
type Sampler struct {
	rng    *rand.Rand
	work   []float32
	seen   []bool
	cand   []int
	byProb candidates
}

// New returns a sampler seeded with seed.
func New(seed uint64) *Sampler {
	return &Sampler{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

type candidates struct {
	ids   []int
	probs []float32
}

func (c *candidates) Len() int { return len(c.ids) }
func (c *candidates) Less(i, j int) bool {
	pi, pj := c.probs[c.ids[i]], c.probs[c.ids[j]]
	if pi != pj {
		return pi > pj
	}
	return c.ids[i] < c.ids[j] // ties by id: deterministic order
}
func (c *candidates) Swap(i, j int) { c.ids[i], c.ids[j] = c.ids[j], c.ids[i] }

// ErrNoToken is returned when the mask allows no token (or logits is empty).
var ErrNoToken = errors.New("no token is allowed by the mask")

// ErrNonFinite matches every NonFiniteError (errors.Is).
var ErrNonFinite = errors.New("non-finite logit")

// NonFiniteError reports a NaN or ±Inf logit among the allowed tokens: the
// model's output is broken (NaN weights, a corrupt KV cache), and sampling
// around it would hide that behind a mask error. The caller knows the
// position and can say "the model produced NaN logits at position N".
type NonFiniteError struct {
	Index int     // the token id whose logit is not finite
	Value float32 // NaN, +Inf or -Inf
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("logit of token %d is %v", e.Index, e.Value)
}

// Is makes errors.Is(err, ErrNonFinite) true.
func (e *NonFiniteError) Is(target error) bool { return target == ErrNonFinite }

// Sample is Next without the error: it returns -1 when Next fails.
func (s *Sampler) Sample(logits []float32, history []int, p Params, mask *Mask) int {
	id, err := s.Next(logits, history, p, mask)
	if err != nil {
		return -1
	}
	return id
}

// Next picks a token from logits (not modified). history holds the ids the
// repetition penalty applies to. It fails with a *ParamError when p is out
// of range, a *NonFiniteError when an allowed logit is NaN or ±Inf, and
// ErrNoToken when the mask allows nothing. It never panics, and allocates
// nothing once its scratch has grown to the vocabulary.
func (s *Sampler) Next(logits []float32, history []int, p Params, mask *Mask) (int, error) {
	w, best, bestID, err := s.prepare(logits, history, p, mask)
	if err != nil {
		return -1, err
	}
	if p.greedy() {
		return bestID, nil
	}
	return s.draw(w, best, p), nil
}

// prepare validates p and copies logits into the sampler's scratch with
// the repetition penalty applied and masked tokens set to -Inf, and finds
// the best allowed token.
func (s *Sampler) prepare(logits []float32, history []int, p Params, mask *Mask) (w []float32, best float32, bestID int, err error) {
	if err := p.Validate(); err != nil {
		return nil, 0, -1, err
	}
	n := len(logits)
	if cap(s.work) < n {
		s.work = make([]float32, n)
		s.seen = make([]bool, n)
	}
	w = s.work[:n]
	copy(w, logits)
	if p.RepetitionPenalty > 0 && p.RepetitionPenalty != 1 {
		s.penalise(w, history, p.RepetitionPenalty)
	}
	// One pass: reject broken logits (only allowed ids matter), drop the
	// masked ones, find the best.
	ninf := float32(math.Inf(-1))
	best, bestID = ninf, -1
	for id, v := range logits {
		if !mask.ok(id) {
			w[id] = ninf
			continue
		}
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, 0, -1, &NonFiniteError{Index: id, Value: v}
		}
		if bestID < 0 || w[id] > best {
			best, bestID = w[id], id
		}
	}
	if bestID < 0 {
		return nil, 0, -1, ErrNoToken
	}
	return w, best, bestID, nil
}

// penalise applies the Hugging Face repetition penalty to each distinct id
// of history: positive logits are divided by it, negative ones multiplied.
// Results are clamped to the float32 range, so a tiny penalty makes a
// token very likely rather than producing an Inf the sampler would take
// for a broken model.
func (s *Sampler) penalise(w []float32, history []int, penalty float32) {
	n := len(w)
	seen := s.seen[:n]
	for _, id := range history {
		if id >= 0 && id < n && !seen[id] {
			seen[id] = true
			v := float64(w[id])
			if v < 0 {
				v *= float64(penalty)
			} else {
				v /= float64(penalty)
			}
			w[id] = float32(max(-math.MaxFloat32, min(v, math.MaxFloat32)))
		}
	}
	for _, id := range history {
		if id >= 0 && id < n {
			seen[id] = false
		}
	}
}

// draw samples from the softmax of w/T over the tokens not set to -Inf,
// restricted by top-k and top-p (nucleus).
func (s *Sampler) draw(w []float32, best float32, p Params) int {
	cand, total := s.nucleus(w, best, p)
	u := s.rng.Float64() * total
	for _, id := range cand {
		u -= float64(w[id])
		if u < 0 {
			return id
		}
	}
	return cand[len(cand)-1]
}

// nucleus turns w (logits, -Inf where excluded) into unnormalised
// probabilities exp((w-best)/T) in place and returns the candidates that
// top-k and top-p keep, most probable first, with their total. best is the
// largest entry of w; it always keeps probability exp(0) = 1, so at least
// one candidate remains whatever the other logits are.
func (s *Sampler) nucleus(w []float32, best float32, p Params) ([]int, float64) {
	ninf := float32(math.Inf(-1))
	inv := 1 / float64(p.Temperature) // finite: greedy() excluded overflow
	cand := s.cand[:0]
	var total float64
	for id, v := range w {
		if v == ninf {
			continue
		}
		e := float32(math.Exp((float64(v) - float64(best)) * inv))
		w[id] = e
		if e > 0 {
			cand = append(cand, id)
			total += float64(e)
		}
	}
	s.cand = cand
	s.byProb = candidates{ids: cand, probs: w}
	sort.Sort(&s.byProb)
	keep := len(cand)
	if p.TopK > 0 && p.TopK < keep {
		keep = p.TopK
	}
	if p.TopK > 0 {
		total = 0
		for _, id := range cand[:keep] {
			total += float64(w[id])
		}
	}
	if p.TopP > 0 && p.TopP < 1 {
		// Keep the smallest prefix whose probability mass reaches TopP
		// (Hugging Face removes tokens whose cumulative mass from the
		// bottom is <= 1-TopP, which is the same set).
		var cum float64
		for i, id := range cand[:keep] {
			cum += float64(w[id]) / total
			if cum >= float64(p.TopP) {
				keep = i + 1
				break
			}
		}
		total = 0
		for _, id := range cand[:keep] {
			total += float64(w[id])
		}
	}
	return cand[:keep], total
}

// Argmax returns the index of the largest logit (the first on ties).
func Argmax(logits []float32) int {
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	return best
}
