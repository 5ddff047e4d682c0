package sample

// Distribution writes into probs (len(probs) ≥ len(logits)) the
// probabilities Next draws from for these arguments: zero for every token
// the mask, top-k or top-p excludes, one on the best token for greedy
// settings. A draw from it (Draw) and a call of Next are the same random
// variable — what speculative decoding needs to accept or reject a draft
// token exactly. Errors are Next's.
func (s *Sampler) Distribution(logits []float32, history []int, p Params, mask *Mask, probs []float32) error {
	w, best, bestID, err := s.prepare(logits, history, p, mask)
	if err != nil {
		return err
	}
	probs = probs[:len(logits)]
	clear(probs)
	if p.greedy() {
		probs[bestID] = 1
		return nil
	}
	cand, total := s.nucleus(w, best, p)
	for _, id := range cand {
		probs[id] = float32(float64(w[id]) / total)
	}
	return nil
}

// Draw samples an index of probs (non-negative weights with a positive
// total, need not sum to one) with the sampler's RNG; -1 when every weight
// is zero.
func (s *Sampler) Draw(probs []float32) int {
	var total float64
	last := -1
	for i, q := range probs {
		if q > 0 {
			total += float64(q)
			last = i
		}
	}
	if last < 0 {
		return -1
	}
	u := s.rng.Float64() * total
	for i, q := range probs {
		if q > 0 {
			u -= float64(q)
			if u < 0 {
				return i
			}
		}
	}
	return last
}

// Float returns a uniform number in [0, 1) from the sampler's RNG.
func (s *Sampler) Float() float64 { return s.rng.Float64() }
