package chat

import (
	"context"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/sample"
)

// Speculative Jacobi decoding (SJD) of image tokens, training-free (Teng et
// al., ICLR 2025). Each forward pass runs a window of W tokens through the
// conversation and every guidance sequence at once: the token already
// decided for the next position, then W−1 drafts for the positions after
// it. Draft i is accepted with probability min(1, p_i(x)/q_i(x)) — p_i the
// model's (guided, tempered, top-k/p) distribution given everything before
// it, q_i the distribution the draft was drawn from — until the first
// rejection, where a token is drawn from norm(max(0, p_i − q_i)) instead.
// Every accepted token is thus distributed exactly as plain sampling would
// draw it (the speculative-sampling argument); under greedy settings p is
// one-hot and this accepts the drafts that equal the argmax, so the codes
// are those of plain greedy decoding. Rejected positions are rolled back
// (the KV caches truncated), and the pass's predictions for the positions
// after the rejection become the next drafts (the Jacobi iteration);
// positions no pass has predicted yet start from uniform random drafts.
// Forced tokens (an end-of-row) are drafts with q = p = one-hot: always
// accepted.

// spec holds the buffers of one speculative image.
type spec struct {
	w, vocab int
	states   []*decoder.State // the conversation's, then the guidance sequences'
	ids      [][]int          // per state: the window
	logits   [][]float32      // per state: [w × vocab], the logits after each window token
	extra    [][]float32      // per guidance sequence: one row of its logits
	p        []float32        // [w × vocab] the distribution after each window token
	drafts   []int            // drafts for the positions after the decided token
	q        [][]float32      // the distribution each draft was drawn from (nil: uniform)
	qbuf     [][]float32      // [w][vocab] backing of q
	resid    []float32        // [vocab]
}

func (c *Conversation) newSpec(w int, g *guidance) *spec {
	V := c.M.LogitsSize()
	s := &spec{w: w, vocab: V, states: []*decoder.State{c.state}, p: make([]float32, w*V), resid: make([]float32, V)}
	if g != nil {
		s.states = append(s.states, g.states...)
		s.extra = make([][]float32, len(g.states))
	}
	for range s.states {
		s.ids = append(s.ids, make([]int, 0, w))
		s.logits = append(s.logits, make([]float32, w*V))
	}
	for range w {
		s.qbuf = append(s.qbuf, make([]float32, V))
	}
	return s
}

// drawSpeculative draws the body of an image after its header — rows×cols
// codes in raster order, with an end-of-row token after each row when the
// format has one — into the caches, and returns the codes and the number
// of forward passes it took.
func (c *Conversation) drawSpeculative(ctx context.Context, smp *sample.Sampler, o GenOptions, g *guidance, rows, cols int, emit func(Event)) ([]int, int, error) {
	m := c.M
	f := &m.Proto.Image
	perRow := cols
	if f.RowEnd >= 0 {
		perRow++
	}
	n := rows * perRow // body positions
	forced := func(j int) bool { return f.RowEnd >= 0 && j%perRow == cols }
	s := c.newSpec(o.Speculative, g)
	total := rows * cols
	codes := make([]int, 0, total)
	passes := 0

	// The first token comes from the logits the conversation holds.
	logits := c.logits
	if g != nil {
		logits = g.mix(c.logits, o)
	}
	next, err := c.sample(smp, logits, nil, o.Image, &c.masks.image)
	if err != nil {
		return nil, 0, err
	}
	done := 0 // body positions in the caches
	for done < n {
		if err := ctx.Err(); err != nil {
			return nil, passes, err
		}
		// The window: the decided token for position done, then drafts
		// for the positions after it.
		wn := min(s.w, n-done)
		for len(s.drafts) < wn-1 {
			if forced(done + 1 + len(s.drafts)) {
				s.drafts = append(s.drafts, f.RowEnd)
			} else {
				s.drafts = append(s.drafts, m.IDOfCode[int(smp.Float()*float64(len(m.IDOfCode)))])
			}
			s.q = append(s.q, nil)
		}
		window := append(append(s.ids[0][:0], next), s.drafts[:wn-1]...)
		for i := range s.states {
			s.ids[i] = window
		}
		if err := m.PrefillBatch(s.states, s.ids, s.logits); err != nil {
			return nil, passes, err
		}
		passes++
		base := len(c.tokens)
		for _, tok := range window {
			c.append(tok)
		}
		// Row r predicts body position done+r+1.
		for r := 0; r < wn; r++ {
			if j := done + r + 1; j < n && !forced(j) {
				if err := c.rowDistribution(smp, o, s, g, r); err != nil {
					return nil, passes, err
				}
			}
		}
		// Verify the drafts in order; on the first rejection draw the
		// position's token from the residual instead.
		accepted, decided := 0, -1
		for ; accepted < wn-1; accepted++ {
			x := s.drafts[accepted]
			if forced(done + 1 + accepted) {
				continue
			}
			p := s.p[accepted*s.vocab : (accepted+1)*s.vocab]
			ok, tok := s.verify(smp, accepted, x, p, m.IsImageToken, len(m.IDOfCode))
			if ok {
				continue
			}
			decided = tok
			break
		}
		keep := 1 + accepted // the decided token and the accepted drafts
		for _, tok := range window[:keep] {
			if !forced(done) {
				codes = append(codes, int(m.CodeOfID[tok]))
			}
			done++
		}
		// Roll back what was not accepted.
		c.tokens = c.tokens[:base+keep]
		c.turns[c.replyTurn].End = len(c.tokens)
		for _, st := range s.states {
			st.Truncate(st.Len - (wn - keep))
		}
		c.cached, c.logitsValid = len(c.tokens), false
		if emit != nil {
			emit(Event{Kind: EventImageProgress, Done: len(codes), Total: total})
		}
		if done >= n {
			break
		}
		// The token for position done: the residual draw, or after a
		// fully accepted window a draw from the window's last row.
		switch {
		case decided >= 0:
		case forced(done):
			decided = f.RowEnd
		default:
			decided = smp.Draw(s.p[(keep-1)*s.vocab : keep*s.vocab])
		}
		next = decided
		// Jacobi: the pass's predictions past the rejection become the
		// drafts for positions done+1…; row r predicts done'+1+t for
		// r = keep+t. Positions no row reached get fresh drafts later.
		drafts, qs := s.drafts[:0], s.q[:0]
		for r := keep; r < wn && done+1+(r-keep) < n; r++ {
			if forced(done + 1 + (r - keep)) {
				drafts, qs = append(drafts, f.RowEnd), append(qs, nil)
				continue
			}
			q := s.qbuf[len(qs)]
			copy(q, s.p[r*s.vocab:(r+1)*s.vocab])
			drafts, qs = append(drafts, smp.Draw(q)), append(qs, q)
		}
		s.drafts, s.q = drafts, qs
	}
	return codes, passes, nil
}

// rowDistribution writes into s.p row r the sampling distribution after
// window token r: the conversation's logits, guided when g is set.
func (c *Conversation) rowDistribution(smp *sample.Sampler, o GenOptions, s *spec, g *guidance, r int) error {
	V := s.vocab
	logits := s.logits[0][r*V : (r+1)*V]
	if g != nil {
		for k := range s.extra {
			s.extra[k] = s.logits[k+1][r*V : (r+1)*V]
		}
		if g.mixed == nil {
			g.mixed = make([]float32, V)
		}
		g.scheme.Mix(g.mixed, logits, s.extra, model.GuidanceScales{Text: o.TextScale, Image: o.ImageScale})
		logits = g.mixed
	}
	err := smp.Distribution(logits, nil, o.Image, &c.masks.image, s.p[r*V:(r+1)*V])
	return c.sampleError(err, len(c.tokens)-len(s.ids[0])+r)
}

// verify is one step of speculative sampling for draft t = x under p: it
// keeps x with probability min(1, p(x)/q(x)), else returns a draw from the
// residual in its place. The token that results is distributed as p.
func (s *spec) verify(smp *sample.Sampler, t, x int, p []float32, isImage func(int) bool, codes int) (bool, int) {
	if smp.Float()*s.draftProb(t, x, codes) < float64(p[x]) {
		return true, x
	}
	return false, s.residual(smp, t, p, isImage, codes)
}

// draftProb is q(x) for draft t: the distribution it was drawn from, or
// uniform over the image codes.
func (s *spec) draftProb(t, x, codes int) float64 {
	if s.q[t] == nil {
		return 1 / float64(codes)
	}
	return float64(s.q[t][x])
}

// residual draws from norm(max(0, p − q)) for draft t; when p ≤ q
// everywhere (they are equal) it draws from p.
func (s *spec) residual(smp *sample.Sampler, t int, p []float32, isImage func(int) bool, codes int) int {
	u := float32(1 / float64(codes))
	any := false
	for i, pi := range p {
		qi := float32(0)
		switch {
		case s.q[t] != nil:
			qi = s.q[t][i]
		case isImage(i):
			qi = u
		}
		s.resid[i] = max(0, pi-qi)
		any = any || s.resid[i] > 0
	}
	if !any {
		return smp.Draw(p)
	}
	return smp.Draw(s.resid)
}
