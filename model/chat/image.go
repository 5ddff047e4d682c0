package chat

import (
	"context"
	"errors"
	"fmt"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/sample"
)

// guidance holds the extra sequences of classifier-free guidance. They step
// in lock-step with the conversation's own sequence through one batched
// forward pass, so every weight is read once per image token.
type guidance struct {
	scheme model.GuidanceScheme
	states []*decoder.State
	// ctx[i] is the context states[i] was last prefilled with; the next
	// picture reuses the cache of the prefix the new context shares with
	// it (Janus's unconditional sequence of pads grows with the dialogue).
	ctx    [][]int
	logits [][]float32
	mixed  []float32
	// batch views reused every step
	bStates []*decoder.State
	bIDs    []int
	bLogits [][]float32
}

// startGuidance prefills the guided sequences for an image whose block
// starts at token start and takes n tokens.
func (c *Conversation) startGuidance(scheme model.GuidanceScheme, start, n int) (*guidance, error) {
	ctxs := scheme.Contexts(&c.M.Proto, c.tokens, start, c.M.IsImageToken)
	g := c.guide
	if g == nil || g.scheme != scheme || len(g.states) != len(ctxs) {
		g = &guidance{scheme: scheme}
		c.guide = g
	}
	V := c.M.LogitsSize()
	for i, ids := range ctxs {
		need := len(ids) + n + 2
		if i >= len(g.states) {
			g.states = append(g.states, nil)
			g.ctx = append(g.ctx, nil)
			g.logits = append(g.logits, make([]float32, V))
		}
		if g.states[i] == nil || g.states[i].Capacity() < need {
			g.states[i] = c.M.T.NewState(need, c.state.KV.IsF32()) // as precise as the conversation's
			g.ctx[i] = nil
		}
		// Positions past the old context hold the old picture's tokens;
		// at least the last new token runs again, for its logits.
		keep := min(commonPrefix(g.ctx[i], ids), g.states[i].Len, len(ids)-1)
		g.states[i].Truncate(keep)
		g.ctx[i] = nil // until the prefill succeeds
		if err := c.M.Prefill(g.states[i], ids[keep:], nil, g.logits[i], false); err != nil {
			return nil, fmt.Errorf("guidance: %v", err)
		}
		g.ctx[i] = append(g.ctx[i][:0], ids...)
	}
	if g.mixed == nil {
		g.mixed = make([]float32, V)
	}
	return g, nil
}

// mix combines the logits by the scheme's rule.
func (g *guidance) mix(full []float32, o GenOptions) []float32 {
	g.scheme.Mix(g.mixed, full, g.logits, model.GuidanceScales{Text: o.TextScale, Image: o.ImageScale})
	return g.mixed
}

// drawImage draws one image after <racm3:break> (already fed): exactly
// rows×cols code tokens, then a forced <eoss>. In Lumina's layout the model
// first picks two size tokens (which set rows and cols) and every row is
// closed by a forced end-of-row token. On cancellation the partial image is
// removed from the history, so no unterminated image block remains.
func (c *Conversation) drawImage(ctx context.Context, smp *sample.Sampler, o GenOptions, emit func(Event)) (Image, error) {
	m := c.M
	start := len(c.tokens) - 1 // the <racm3:break>
	fail := func(err error) (Image, error) {
		c.dropFrom(start)
		return Image{}, err
	}
	f := &m.Proto.Image
	rows, cols := m.ImageGrid(), m.ImageGrid()
	if f.Sized() {
		// The model picks the size; guidance starts after the size tokens,
		// as in Lumina.
		// Only sizes whose whole block still fits the context may be drawn
		// (the second size is bounded by the first).
		var sizes [2]int
		room := c.state.Capacity() - len(c.tokens) - 3
		for k := range sizes {
			mask := c.sizeMask(func(n int) bool {
				if k == 0 {
					return 2*n*(2+1) <= room // at least a 2-wide grid after it
				}
				return 2*sizes[0]*(2*n+1) <= room
			})
			tok, err := c.sample(smp, c.logits, nil, o.Image, mask)
			if err != nil {
				return fail(err)
			}
			n, ok := f.SizeOf(tok)
			if !ok {
				return fail(fmt.Errorf("no size token allowed"))
			}
			sizes[k] = n
			if err := c.feed(tok); err != nil {
				return fail(err)
			}
		}
		rows, cols = 2*sizes[0], 2*sizes[1]
	}
	total := rows * cols
	// Room for the rest of the block; eviction may move the image start.
	fromEnd := len(c.tokens) - start
	if err := c.makeRoom(f.BlockLen(rows, cols) - fromEnd + 1); err != nil { // + the closing token
		return fail(err)
	}
	start = len(c.tokens) - fromEnd
	var g *guidance
	if o.Guidance != nil {
		aside := c.standAside() // a prefill: the other generators need not wait
		var err error
		g, err = c.startGuidance(o.Guidance, start, f.BlockLen(rows, cols))
		if aside {
			c.batchJoin()
		}
		if err != nil {
			return fail(err)
		}
	}
	step := func(tok int) error {
		if g != nil {
			return c.stepGuided(g, tok)
		}
		return c.feed(tok)
	}
	if emit != nil {
		emit(Event{Kind: EventImageStart, Total: total})
	}
	if o.Speculative > 1 {
		// Speculative windows are not batched across conversations.
		aside := c.standAside()
		codes, passes, err := c.drawSpeculative(ctx, smp, o, g, rows, cols, emit)
		if aside {
			c.batchJoin()
		}
		if err != nil {
			return fail(err)
		}
		if err := c.feed(f.End); err != nil {
			return fail(err)
		}
		im := Image{Codes: codes, Passes: passes}
		if rows != m.ImageGrid() || cols != m.ImageGrid() {
			im.Rows, im.Cols = rows, cols
		}
		return im, nil
	}
	codes := make([]int, 0, total)
	for r := 0; r < rows; r++ {
		for col := 0; col < cols; col++ {
			if err := ctx.Err(); err != nil {
				return fail(err)
			}
			logits := c.logits
			if g != nil {
				logits = g.mix(c.logits, o)
			}
			tok, err := c.sample(smp, logits, nil, o.Image, &c.masks.image)
			if err != nil {
				return fail(err)
			}
			codes = append(codes, int(m.CodeOfID[tok]))
			if err := step(tok); err != nil {
				return fail(err)
			}
			if emit != nil {
				emit(Event{Kind: EventImageProgress, Done: len(codes), Total: total})
			}
		}
		if f.RowEnd >= 0 {
			if err := step(f.RowEnd); err != nil {
				return fail(err)
			}
		}
	}
	if err := c.feed(f.End); err != nil {
		return fail(err)
	}
	im := Image{Codes: codes, Passes: total} // one pass per body token
	if f.RowEnd >= 0 {
		im.Passes += rows
	}
	if rows != m.ImageGrid() || cols != m.ImageGrid() {
		im.Rows, im.Cols = rows, cols
	}
	return im, nil
}

// stepGuided runs tok through the conversation and the guided sequences in
// one batch.
func (c *Conversation) stepGuided(g *guidance, tok int) error {
	if err := c.sync(); err != nil { // nothing pending normally
		return err
	}
	g.bStates = append(g.bStates[:0], c.state)
	g.bIDs = append(g.bIDs[:0], tok)
	g.bLogits = append(g.bLogits[:0], c.logits)
	for i, s := range g.states[:len(g.logits)] {
		if s == nil {
			continue
		}
		g.bStates = append(g.bStates, s)
		g.bIDs = append(g.bIDs, tok)
		g.bLogits = append(g.bLogits, g.logits[i])
	}
	if err := c.stepBatch(g.bStates, g.bIDs, g.bLogits); err != nil {
		c.logitsValid = false
		return err
	}
	c.append(tok)
	c.cached = len(c.tokens)
	c.logitsValid = true
	return nil
}

// dropFrom removes history from token index i on (within the reply turn)
// and rewinds the cache to match.
func (c *Conversation) dropFrom(i int) {
	if i < 0 || i > len(c.tokens) {
		return
	}
	c.tokens = c.tokens[:i]
	if c.replyTurn >= 0 && c.turns[c.replyTurn].End > i {
		c.turns[c.replyTurn].End = i
	}
	if c.cached > i {
		c.cached = i
		c.state.Truncate(i)
		c.logitsValid = false
	}
}

// sizeMask allows the Lumina size tokens whose grid count passes ok.
func (c *Conversation) sizeMask(ok func(n int) bool) *sample.Mask {
	mask := &c.masks.size
	allow := make([]bool, len(mask.Allow))
	for id, a := range mask.Allow {
		if a {
			n, _ := c.M.Proto.Image.SizeOf(id)
			allow[id] = ok(n)
		}
	}
	return &sample.Mask{Allow: allow}
}

// sample draws the next token from logits (those that follow the last
// history token).
func (c *Conversation) sample(smp *sample.Sampler, logits []float32, history []int, p sample.Params, mask *sample.Mask) (int, error) {
	tok, err := smp.Next(logits, history, p, mask)
	return tok, c.sampleError(err, len(c.tokens)-1)
}

// sampleError says what a sampling failure means for the conversation:
// logits that are NaN or infinite at history position pos mean broken
// weights or a broken cache, not a mask with nothing left.
func (c *Conversation) sampleError(err error, pos int) error {
	var nf *sample.NonFiniteError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &nf):
		return &NonFiniteError{Position: pos, Value: nf.Value}
	case errors.Is(err, sample.ErrNoToken):
		return fmt.Errorf("no token left to sample: the sampling settings and the mask exclude every token")
	}
	return err
}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b []int) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
