package serve

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
)

var (
	errQueueFull    = errors.New("queue full")
	errQueueTimeout = errors.New("timed out waiting for a slot")
)

// slotPool holds the conversations kept for prefix reuse and the permits
// that bound how many generate at once. A request waits (bounded by the
// queue) for a permit, then takes the free conversation whose history
// shares the longest token prefix with its own.
type slotPool struct {
	m       *model.Model
	evict   chat.EvictPolicy
	permits chan struct{}

	mu       sync.Mutex
	convs    []*slot
	waiting  int
	maxWait  int
	clock    uint64
	inUse    int
	scratch  *chat.Conversation // builds tokens; never generates
	scratchM sync.Mutex
}

// slot is one kept conversation.
type slot struct {
	conv *chat.Conversation
	busy bool
	used uint64 // the pool's clock when it was last released (LRU)
}

func newSlotPool(m *model.Model, parallel, cache, queue int, evict chat.EvictPolicy, batcher *chat.Batcher) (*slotPool, error) {
	p := &slotPool{m: m, evict: evict, permits: make(chan struct{}, parallel), maxWait: queue}
	for i := 0; i < cache; i++ {
		c, err := chat.New(m)
		if err != nil {
			return nil, err
		}
		c.Evict = evict
		c.Batcher = batcher
		p.convs = append(p.convs, &slot{conv: c})
	}
	var err error
	if p.scratch, err = chat.New(m); err != nil {
		return nil, err
	}
	return p, nil
}

// acquire waits for a generation permit. It fails at once with
// errQueueFull when the queue is full, and with errQueueTimeout or the
// context's error when ctx ends first.
func (p *slotPool) acquire(ctx context.Context) (func(), error) {
	select {
	case p.permits <- struct{}{}:
		return p.releasePermit, nil
	default:
	}
	p.mu.Lock()
	if p.waiting >= p.maxWait {
		p.mu.Unlock()
		return nil, errQueueFull
	}
	p.waiting++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.waiting--
		p.mu.Unlock()
	}()
	select {
	case p.permits <- struct{}{}:
		return p.releasePermit, nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, errQueueTimeout
		}
		return nil, ctx.Err()
	}
}

func (p *slotPool) releasePermit() { <-p.permits }

func (p *slotPool) busy() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inUse
}

func (p *slotPool) waitingCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waiting
}

// history is a request's dialogue laid out for one conversation: its
// tokens (<s> first) and turns.
type history struct {
	tokens []int
	turns  []chat.Turn
}

// take picks the free conversation that shares the longest token prefix
// with the request (the least recently used on a tie, so a new dialogue
// evicts the oldest one) and marks it busy. layout gives the request's
// history as it would be for a conversation. Holding a permit guarantees a
// free conversation, since there are at least as many as permits.
func (p *slotPool) take(layout func(*chat.Conversation) history) (*slot, history) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var best *slot
	var bestH history
	bestScore := -1
	for _, s := range p.convs {
		if s.busy {
			continue
		}
		h := layout(s.conv)
		score := commonPrefix(s.conv.Tokens()[:s.conv.Cached()], h.tokens)
		if score <= 1 { // only <s>: nothing worth keeping
			score = 0
		}
		if score > bestScore || (score == bestScore && s.used < best.used) {
			best, bestH, bestScore = s, h, score
		}
	}
	best.busy = true
	p.inUse++
	return best, bestH
}

// give returns a conversation to the pool.
func (p *slotPool) give(s *slot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clock++
	s.used = p.clock
	s.busy = false
	p.inUse--
}

func commonPrefix(a, b []int) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// reqTurn is one turn of a request: consecutive messages of one role
// merged (the protocol alternates user and model turns without naming
// them).
type reqTurn struct {
	role   chat.Role
	text   string
	images []chat.Image
}

// encoded is a request's turns with their tokens in canonical form (the
// tokenizer's encoding of the text).
type encoded struct {
	turns []reqTurn
	ids   [][]int
	meta  []chat.Turn // Role, Text, Images; spans filled by layout
}

// encode tokenizes every turn once.
func (p *slotPool) encode(turns []reqTurn) (*encoded, error) {
	p.scratchM.Lock()
	defer p.scratchM.Unlock()
	e := &encoded{turns: turns}
	for _, t := range turns {
		var ids []int
		var meta chat.Turn
		var err error
		if t.role == chat.User {
			ids, err = p.scratch.UserTokens(t.text, t.images)
			meta = chat.Turn{Role: chat.User, Text: t.text, Images: t.images}
		} else {
			parts := []chat.Part{{Text: t.text}}
			for i := range t.images {
				parts = append(parts, chat.Part{Image: &t.images[i]})
			}
			ids, meta, err = p.scratch.ModelTokens(parts)
		}
		if err != nil {
			return nil, err
		}
		e.ids = append(e.ids, ids)
		e.meta = append(e.meta, meta)
	}
	return e, nil
}

// layout is the request's history for conversation c. Leading turns equal
// to c's own (same role, text and image codes) keep c's tokens: a reply
// the model generated may tokenize differently from its text, and reusing
// its real tokens keeps the KV cache valid for it. The remaining turns take
// their canonical tokens.
func (e *encoded) layout(c *chat.Conversation) history {
	old := c.Turns()
	oldTokens := c.Tokens()
	var h history
	k := 0
	for k < len(old) && k < len(e.turns) && sameTurn(old[k], e.turns[k]) {
		k++
	}
	if k > 0 {
		h.tokens = append(h.tokens, oldTokens[:old[k-1].End]...)
		h.turns = append(h.turns, old[:k]...)
	} else if bos := c.M.Proto.BOS; bos >= 0 {
		h.tokens = append(h.tokens, bos)
	}
	for i := k; i < len(e.turns); i++ {
		t := e.meta[i]
		t.Start = len(h.tokens)
		h.tokens = append(h.tokens, e.ids[i]...)
		t.End = len(h.tokens)
		h.turns = append(h.turns, t)
	}
	return h
}

func sameTurn(old chat.Turn, t reqTurn) bool {
	if old.Role != t.role || old.Text != t.text || len(old.Images) != len(t.images) {
		return false
	}
	for i := range old.Images {
		if !slices.Equal(old.Images[i].Codes, t.images[i].Codes) {
			return false
		}
	}
	return true
}

// trimToFit drops the oldest whole turns (a user turn and the reply after
// it) until the history and room for a reply fit the context; the last
// user turn is never dropped.
func trimToFit(h history, capacity, room int) (history, bool) {
	if len(h.tokens)+room <= capacity {
		return h, true
	}
	first := len(h.tokens)
	if len(h.turns) > 0 {
		first = h.turns[0].Start
	}
	drop := 0
	for drop < len(h.turns)-1 {
		drop++
		if drop < len(h.turns)-1 && h.turns[drop].Role != chat.User {
			continue // keep user/model pairs together
		}
		removed := h.turns[drop].Start - first
		if len(h.tokens)-removed+room <= capacity {
			break
		}
	}
	removed := h.turns[drop].Start - first
	if len(h.tokens)-removed+room > capacity {
		return h, false
	}
	out := history{tokens: append(slices.Clone(h.tokens[:first]), h.tokens[first+removed:]...)}
	for _, t := range h.turns[drop:] {
		t.Start -= removed
		t.End -= removed
		out.turns = append(out.turns, t)
	}
	return out, true
}
