package chat

import (
	"fmt"

	"github.com/chatumm/chatumm/model/decoder"
)

// ModelTokens builds the tokens of a given model turn (a reply resent by a
// client) and the Turn that describes it, without changing the
// conversation; AddModelTurn appends the same tokens.
func (c *Conversation) ModelTokens(parts []Part) ([]int, Turn, error) {
	var ids []int
	t := Turn{Role: Agent}
	afterImage := false
	for _, p := range parts {
		if p.Image != nil {
			block, err := c.imageBlock(*p.Image)
			if err != nil {
				return nil, Turn{}, err
			}
			ids = append(ids, block...)
			t.Images = append(t.Images, *p.Image)
			afterImage = true
			continue
		}
		if p.Text == "" {
			continue
		}
		if c.M.Tok == nil {
			return nil, Turn{}, fmt.Errorf("%s: %w", c.M.Path, ErrNoTokenizer)
		}
		ids = append(ids, c.modelText(p.Text, len(ids) == 0)...)
		t.addText(p.Text, afterImage)
		afterImage = false
	}
	if eot := c.M.Proto.EndOfTurn; eot >= 0 {
		ids = append(ids, eot)
	}
	return ids, t, nil
}

// SetHistory replaces the conversation's history with tokens (the <s>
// prefix included) and its turns, keeping the KV cache of the longest
// common token prefix of the old and new histories and forgetting the
// rest: the next Reply prefills only the tokens after that prefix. A
// stateless API client resends the whole dialogue every time; this is
// how the server avoids reading it again. It returns how many tokens were
// reused. Turns' spans must lie within tokens.
func (c *Conversation) SetHistory(tokens []int, turns []Turn) (reused int, err error) {
	for i, t := range turns {
		if t.Start < 0 || t.End < t.Start || t.End > len(tokens) {
			return 0, fmt.Errorf("turn %d spans [%d, %d) outside the %d history tokens", i+1, t.Start, t.End, len(tokens))
		}
	}
	if len(tokens) > c.state.Capacity() {
		return 0, &decoder.ContextFullError{New: len(tokens), Capacity: c.state.Capacity()}
	}
	n := 0
	limit := min(c.cached, len(tokens), len(c.tokens))
	for n < limit && c.tokens[n] == tokens[n] {
		n++
	}
	// The logits follow tokens[cached-1]; they stay valid only when the
	// whole new history was cached and nothing after it changed them.
	keepLogits := c.logitsValid && n == c.cached && n == len(tokens)
	c.tokens = append(c.tokens[:0], tokens...)
	c.turns = append(c.turns[:0], turns...)
	c.replyTurn = -1
	c.state.Truncate(n)
	c.cached = n
	c.logitsValid = keepLogits
	return n, nil
}

// Prefill runs the history tokens the KV cache lacks (after SetHistory),
// so a caller can time it and report its errors before a reply starts;
// Reply would do it otherwise.
func (c *Conversation) Prefill() error { return c.sync() }
