// Package sample turns logits into the next token: repetition penalty,
// allow/deny masks, temperature, top-k and top-p with Hugging Face
// semantics, and a seeded RNG so a seed always gives the same tokens.
package sample

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Params are the sampling settings of one generation mode.
type Params struct {
	Temperature       float32 // 0 means greedy
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

// Sample picks a token from logits (not modified). history holds the ids the
// repetition penalty applies to. It returns -1 only if the mask allows no token.
func (s *Sampler) Sample(logits []float32, history []int, p Params, mask *Mask) int {
	n := len(logits)
	if cap(s.work) < n {
		s.work = make([]float32, n)
		s.seen = make([]bool, n)
	}
	w := s.work[:n]
	copy(w, logits)
	if p.RepetitionPenalty > 0 && p.RepetitionPenalty != 1 {
		seen := s.seen[:n]
		for _, id := range history {
			if id >= 0 && id < n && !seen[id] {
				seen[id] = true
				if w[id] < 0 {
					w[id] *= p.RepetitionPenalty
				} else {
					w[id] /= p.RepetitionPenalty
				}
			}
		}
		for _, id := range history {
			if id >= 0 && id < n {
				seen[id] = false
			}
		}
	}
	ninf := float32(math.Inf(-1))
	best, bestID := ninf, -1
	for id := range w {
		if !mask.ok(id) || math.IsNaN(float64(w[id])) {
			w[id] = ninf
			continue
		}
		if bestID < 0 || w[id] > best {
			best, bestID = w[id], id
		}
	}
	if bestID < 0 || p.Temperature <= 0 || p.TopK == 1 {
		return bestID
	}
	if math.IsInf(float64(best), 1) {
		return bestID
	}
	// Softmax with temperature over the allowed tokens.
	inv := 1 / p.Temperature
	cand := s.cand[:0]
	var total float64
	for id, v := range w {
		if v == ninf {
			continue
		}
		e := float32(math.Exp(float64((v - best) * inv)))
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
	u := s.rng.Float64() * total
	for _, id := range cand[:keep] {
		u -= float64(w[id])
		if u < 0 {
			return id
		}
	}
	return cand[keep-1]
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
