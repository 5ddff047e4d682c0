package chat

import (
	"context"
	"fmt"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/sample"
)

// guidance holds the extra sequences of classifier-free guidance. They step
// in lock-step with the conversation's own sequence through one batched
// forward pass, so every weight is read once per image token.
type guidance struct {
	kind   Guidance
	states []*model.State
	logits [][]float32
	mixed  []float32
	// batch views reused every step
	bStates []*model.State
	bIDs    []int
	bLogits [][]float32
}

// guidedContexts are the prompts of the extra sequences: for Anole the
// history filtered to its image blocks (<s>, <racm3:break>, codes, <eoss>)
// and the unconditional [<s>, <racm3:break>]; for Lumina the latter only.
func (c *Conversation) guidedContexts(kind Guidance) [][]int {
	m := c.M
	uncond := []int{}
	if m.Special.BOS >= 0 {
		uncond = append(uncond, m.Special.BOS)
	}
	uncond = append(uncond, m.Special.BeginImage)
	if kind == GuidanceLumina {
		return [][]int{uncond}
	}
	var imgOnly []int
	for _, id := range c.tokens {
		if id == m.Special.BOS || id == m.Special.BeginImage || id == m.Special.EndImage || m.IsImageToken(id) {
			imgOnly = append(imgOnly, id)
		}
	}
	return [][]int{imgOnly, uncond}
}

func (c *Conversation) startGuidance(kind Guidance, n int) (*guidance, error) {
	ctxs := c.guidedContexts(kind)
	g := c.guide
	if g == nil || g.kind != kind {
		g = &guidance{kind: kind}
		c.guide = g
	}
	V := c.M.Cfg.VocabSize
	for i, ids := range ctxs {
		need := len(ids) + n + 2
		if i >= len(g.states) {
			g.states = append(g.states, nil)
			g.logits = append(g.logits, make([]float32, V))
		}
		if g.states[i] == nil || g.states[i].Capacity() < need {
			g.states[i] = c.M.T.NewState(need, false)
		}
		g.states[i].Truncate(0)
		if err := c.M.T.Prefill(g.states[i], ids, g.logits[i], false); err != nil {
			return nil, fmt.Errorf("guidance: %v", err)
		}
	}
	if g.mixed == nil {
		g.mixed = make([]float32, V)
	}
	return g, nil
}

// mix combines the logits: Anole's
// uncond + g_img·(img − uncond) + g_txt·(full − img), or Lumina's
// uncond + g·(full − uncond).
func (g *guidance) mix(full []float32, o GenOptions) []float32 {
	out := g.mixed
	if g.kind == GuidanceLumina {
		u := g.logits[0]
		for i := range out {
			out[i] = u[i] + o.TextScale*(full[i]-u[i])
		}
		return out
	}
	img, u := g.logits[0], g.logits[1]
	for i := range out {
		out[i] = u[i] + o.ImageScale*(img[i]-u[i]) + o.TextScale*(full[i]-img[i])
	}
	return out
}

// drawImage samples exactly n image tokens after <racm3:break> (already fed),
// then forces <eoss>. On cancellation the partial image is removed from the
// history, so no unterminated image block remains.
func (c *Conversation) drawImage(ctx context.Context, smp *sample.Sampler, o GenOptions, n int, emit func(Event)) ([]int, error) {
	m := c.M
	start := len(c.tokens) - 1 // the <racm3:break>
	if err := c.makeRoom(n + 1); err != nil {
		c.dropFrom(start)
		return nil, err
	}
	start = len(c.tokens) - 1 // eviction may have shifted it
	var g *guidance
	if o.Guidance != GuidanceNone {
		var err error
		if g, err = c.startGuidance(o.Guidance, n); err != nil {
			c.dropFrom(start)
			return nil, err
		}
	}
	if emit != nil {
		emit(Event{Kind: EventImageStart, Total: n})
	}
	codes := make([]int, 0, n)
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			c.dropFrom(start)
			return nil, err
		}
		logits := c.logits
		if g != nil {
			logits = g.mix(c.logits, o)
		}
		tok := smp.Sample(logits, nil, o.Image, &c.masks.image)
		if tok < 0 {
			c.dropFrom(start)
			return nil, fmt.Errorf("no image token allowed")
		}
		codes = append(codes, int(m.CodeOfID[tok]))
		var err error
		if g != nil {
			err = c.stepGuided(g, tok)
		} else {
			err = c.feed(tok)
		}
		if err != nil {
			c.dropFrom(start)
			return nil, err
		}
		if emit != nil {
			emit(Event{Kind: EventImageProgress, Done: i + 1, Total: n})
		}
	}
	if err := c.feed(m.Special.EndImage); err != nil {
		c.dropFrom(start)
		return nil, err
	}
	return codes, nil
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
	if err := c.M.T.StepBatch(g.bStates, g.bIDs, g.bLogits); err != nil {
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
