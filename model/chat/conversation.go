// Package chat holds a conversation with a model: the whole dialogue is one
// token stream in the model family's protocol (model.Protocol: <s>, turns
// closed by the end-of-turn token, images as begin, codes, end), kept in
// the KV cache so that each new turn prefills only its own tokens. It runs
// the text/image generation state machine (with the family's guidance
// scheme) and evicts old turns when the context fills. Package session
// saves and resumes conversations.
//
// A Conversation is used by one goroutine at a time; any number of them
// may share one model.Model.
package chat

import (
	"context"
	"fmt"
	"strings"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/ops"
)

// Role of a turn.
type Role string

const (
	User  Role = "user"
	Agent Role = "model"
)

// Turn is one message: its span [Start, End) in the token history, which
// includes the closing end-of-turn token once the turn is finished.
type Turn struct {
	Role  Role
	Start int
	End   int
	// Text is the turn's text; pieces that an image separates (an
	// interleaved reply: text, image, text) are joined by a newline, so a
	// transcript does not run them together.
	Text   string
	Images []Image
}

// addText appends text s to t, after a newline when an image came between
// it and earlier text.
func (t *Turn) addText(s string, afterImage bool) {
	if afterImage && t.Text != "" && !strings.HasSuffix(t.Text, "\n") {
		t.Text += "\n"
	}
	t.Text += s
}

// Image is an image block of a turn: its codes in raster order, the grid
// (Rows = Cols = 0 means the model's square grid) and, where known, the file
// it came from or was written to.
type Image struct {
	Codes      []int
	Rows, Cols int
	Path       string
	// Features, for a family that reads pictures through an understanding
	// tower (Janus), are the picture's feature rows [n, Dim] that fill its
	// block's placeholders; a drawn picture gets them when the dialogue
	// goes on past it. Not saved in sessions.
	Features []float32 `json:"-"`
	// Passes is the number of forward passes that drew the image's body
	// (codes and row ends) — fewer than its tokens with speculative
	// decoding; 0 for an image that was not drawn here.
	Passes int
}

// EvictPolicy says what to do when a turn would overflow the context.
type EvictPolicy int

const (
	EvictNone   EvictPolicy = iota // a clear error; the conversation is unchanged
	EvictOldest                    // drop whole old turns and re-prefill
)

// Conversation is a dialogue in progress.
type Conversation struct {
	M     *model.Model
	Evict EvictPolicy
	// Batcher, when set, steps this conversation's decoding together with
	// the other conversations of M that use it (a server's slots); the
	// tokens are the same as without one.
	Batcher *Batcher

	tokens []int // the whole history, <s> first
	turns  []Turn
	state  *decoder.State
	cached int // tokens[:cached] are in the KV cache
	logits []float32
	// logitsValid: logits follow tokens[cached-1].
	logitsValid bool
	// replyTurn is the index of the model turn being generated, or -1.
	replyTurn int
	masks     *masks
	guide     *guidance
	prefilled int  // tokens run through the decoder so far (tests bound eviction's cost with it)
	drawing   bool // the user turn being built asks for a picture (AddUserDrawing)
	inBatch   bool // counted by Batcher as generating (batcher.go)
	breq      *stepRequest
	one       oneStep
}

// New starts an empty conversation: the history is just <s>.
func New(m *model.Model) (*Conversation, error) {
	if m.T == nil {
		return nil, fmt.Errorf("%s: the checkpoint has no transformer", m.Path)
	}
	c := &Conversation{M: m, state: m.NewState(), logits: make([]float32, m.LogitsSize()), replyTurn: -1}
	c.masks = newMasks(m)
	c.Reset()
	return c, nil
}

// Reset forgets every turn.
func (c *Conversation) Reset() {
	c.tokens = c.tokens[:0]
	if bos := c.M.Proto.BOS; bos >= 0 {
		c.tokens = append(c.tokens, bos)
	}
	c.turns = nil
	c.state.Truncate(0)
	c.cached = 0
	c.logitsValid = false
	c.replyTurn = -1
}

// Tokens is the history (read-only).
func (c *Conversation) Tokens() []int { return c.tokens }

// Turns lists the turns so far (read-only).
func (c *Conversation) Turns() []Turn { return c.turns }

// Cached is how many history tokens are in the KV cache.
func (c *Conversation) Cached() int { return c.cached }

// Capacity is the context size in tokens.
func (c *Conversation) Capacity() int { return c.state.Capacity() }

// Cache is the KV cache and how many history tokens it holds (package
// session saves them; read-only).
func (c *Conversation) Cache() (*ops.KVCache, int) { return c.state.KV, c.cached }

// Restore replaces the conversation with a saved one that package session
// has checked against this model: the history, its turns, and — when fill
// is not nil — the KV cache, which fill writes and whose length it returns.
func (c *Conversation) Restore(tokens []int, turns []Turn, fill func(*ops.KVCache) int) {
	c.tokens = append(c.tokens[:0], tokens...)
	c.turns = append(c.turns[:0], turns...)
	c.state.Truncate(0)
	c.cached, c.logitsValid, c.replyTurn = 0, false, -1
	if fill != nil {
		n := fill(c.state.KV)
		c.state.Len, c.cached = n, n
	}
}

// UserTokens builds a user turn's tokens: each image block, then the text
// (or the text first, for a model whose config says so: Config.TextFirst),
// then the end-of-turn token.
func (c *Conversation) UserTokens(text string, images []Image) ([]int, error) {
	if c.M.Proto.Template != nil {
		return c.templateUserTokens(text, images)
	}
	var imageIDs, textIDs []int
	for _, im := range images {
		block, err := c.imageBlock(im)
		if err != nil {
			return nil, err
		}
		imageIDs = append(imageIDs, block...)
	}
	if text != "" {
		if c.M.Tok == nil {
			return nil, fmt.Errorf("%s: %w", c.M.Path, ErrNoTokenizer)
		}
		textIDs = c.M.Tok.Encode(text, false)
	}
	first, second := imageIDs, textIDs
	if c.M.Cfg.TextFirst {
		first, second = textIDs, imageIDs
	}
	ids := append(first, second...)
	if len(ids) == 0 {
		return nil, fmt.Errorf("empty message: no text and no image")
	}
	if eot := c.M.Proto.EndOfTurn; eot >= 0 {
		ids = append(ids, eot)
	}
	return ids, nil
}

// imageBlock lays out an image in the family's format (model.ImageFormat):
// its start token, any header (Lumina's size tokens), the codes row by row
// with any end-of-row token, its end token.
func (c *Conversation) imageBlock(im Image) ([]int, error) {
	m := c.M
	f := &m.Proto.Image
	if f.Features && len(im.Features) > 0 {
		return c.featureBlock(im) // a picture read, not codes
	}
	if !m.CanDrawImages() {
		return nil, fmt.Errorf("%s: %w", m.Path, ErrNoImages)
	}
	rows, cols := im.Rows, im.Cols
	if rows == 0 && cols == 0 {
		rows, cols = m.ImageGrid(), m.ImageGrid()
	}
	if rows <= 0 || cols <= 0 || rows*cols != len(im.Codes) {
		name := "image"
		if im.Path != "" {
			name = im.Path
		}
		return nil, fmt.Errorf("%s: %d codes do not form the %d×%d grid this model reads", name, len(im.Codes), rows, cols)
	}
	header, err := f.Header(rows, cols)
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, f.BlockLen(rows, cols))
	ids = append(ids, f.Begin)
	ids = append(ids, header...)
	for r := 0; r < rows; r++ {
		for _, code := range im.Codes[r*cols : (r+1)*cols] {
			if code < 0 || code >= len(m.IDOfCode) {
				return nil, fmt.Errorf("image code %d out of range [0, %d)", code, len(m.IDOfCode))
			}
			ids = append(ids, m.IDOfCode[code])
		}
		if f.RowEnd >= 0 {
			ids = append(ids, f.RowEnd)
		}
	}
	return append(ids, f.End), nil
}

// AddUser appends a user turn and prefills it (only the new tokens: the KV
// cache holds the history). On error the conversation is unchanged.
func (c *Conversation) AddUser(text string, images []Image) error {
	return c.AddUserContext(context.Background(), text, images, nil)
}

// AddUserContext is AddUser for a prompt that may be long: the prefill
// runs in chunks, cancelling ctx between two of them stops it (the
// message is then not sent: the conversation is unchanged and the error
// is ctx's), and progress, if not nil, hears how many of the new tokens
// are done after each chunk.
func (c *Conversation) AddUserContext(ctx context.Context, text string, images []Image, progress func(done, total int)) error {
	ids, err := c.UserTokens(text, images)
	if err != nil {
		return err
	}
	return c.addTurn(ctx, Turn{Role: User, Text: text, Images: images}, ids, 0, progress)
}

// addTurn appends ids as a new turn and brings the cache up to date,
// keeping reserve free positions for the reply.
func (c *Conversation) addTurn(ctx context.Context, t Turn, ids []int, reserve int, progress func(done, total int)) error {
	if err := c.reenterDrawn(); err != nil {
		return err
	}
	if err := c.makeRoom(len(ids) + reserve); err != nil {
		return err
	}
	t.Start = len(c.tokens)
	c.tokens = append(c.tokens, ids...)
	t.End = len(c.tokens)
	c.turns = append(c.turns, t)
	if err := c.syncContext(ctx, progress); err != nil {
		// Roll back: forget the new tokens, also those of the chunks
		// that were prefilled before the error or the cancel.
		c.tokens = c.tokens[:t.Start]
		c.turns = c.turns[:len(c.turns)-1]
		if c.cached > t.Start {
			c.cached, c.logitsValid = t.Start, false
		}
		c.state.Truncate(c.cached)
		return err
	}
	return nil
}

// prefillChunk is how many tokens a cancellable prefill runs between two
// looks at its context; a prefill no longer than two chunks runs in one
// pass. 256 tokens are well under a second on a 1B model, so a Ctrl-C is
// answered promptly, while the GEMM still gets rows enough to be efficient.
// (A variable: tests use small chunks on small models.)
var prefillChunk = 256

// sync prefills the history tokens not yet in the cache. Afterwards
// c.logits holds the logits that follow the last history token.
func (c *Conversation) sync() error { return c.syncContext(context.Background(), nil) }

// syncContext is sync in chunks of prefillChunk tokens, stopping between
// two when ctx is cancelled (the chunks done stay cached) and telling
// progress after each one.
func (c *Conversation) syncContext(ctx context.Context, progress func(done, total int)) error {
	if c.cached > c.state.Len {
		c.cached = c.state.Len
	}
	if c.cached == len(c.tokens) {
		if c.logitsValid || c.cached == 0 {
			return nil
		}
		// Restored without logits: run the last token again.
		c.cached--
		c.state.Truncate(c.cached)
	}
	total, done := len(c.tokens)-c.cached, 0
	if total > 1 && c.standAside() { // the other generators need not wait for a prefill
		defer c.batchJoin()
	}
	for c.cached < len(c.tokens) {
		n := len(c.tokens) - c.cached
		if n > 2*prefillChunk {
			n = prefillChunk
		}
		if err := ctx.Err(); err != nil {
			c.logitsValid = false
			return err
		}
		c.prefilled += n
		vecs, err := c.inputVectors(c.cached, c.cached+n)
		if err != nil {
			c.logitsValid = false
			return err
		}
		if err := c.M.Prefill(c.state, c.tokens[c.cached:c.cached+n], vecs, c.logits, false); err != nil {
			c.logitsValid = false
			return err
		}
		c.cached += n
		done += n
		if progress != nil {
			progress(done, total)
		}
	}
	c.logitsValid = true
	return nil
}

// makeRoom ensures n more tokens fit, evicting whole old turns (never the
// <s> prefix, never the turn being added or the reply being written) if the
// policy allows. Eviction re-prefills what is kept, so it drops turns until
// at most half the context is left (as far as droppable turns allow): the
// next eviction is then at least half a context of new tokens away, and
// the prefill it costs is bounded by the tokens added since — linear in
// the dialogue's length, not quadratic, however long it runs.
func (c *Conversation) makeRoom(n int) error {
	capacity := c.state.Capacity()
	if len(c.tokens)+n <= capacity {
		return nil
	}
	if c.Evict != EvictOldest {
		return &decoder.ContextFullError{Have: len(c.tokens), New: n, Capacity: capacity}
	}
	first := len(c.tokens)
	if len(c.turns) > 0 {
		first = c.turns[0].Start
	}
	droppable := len(c.turns) // every turn before the one being added
	if c.replyTurn >= 0 {
		droppable = c.replyTurn // never the reply being written
	}
	drop, removed := 0, 0
	for len(c.tokens)-removed+n > capacity {
		if drop >= droppable {
			return fmt.Errorf("%w: %d new tokens do not fit in the context of %d even after dropping every earlier turn", decoder.ErrContextFull, n, capacity)
		}
		drop++
		removed = c.turns[drop-1].End - first
	}
	for drop < droppable && len(c.tokens)-removed+n > capacity/2 {
		drop++
		removed = c.turns[drop-1].End - first
	}
	kept := append(append([]int(nil), c.tokens[:first]...), c.tokens[first+removed:]...)
	turns := append([]Turn(nil), c.turns[drop:]...)
	for i := range turns {
		turns[i].Start -= removed
		turns[i].End -= removed
	}
	c.tokens, c.turns = kept, turns
	if c.replyTurn >= 0 {
		c.replyTurn -= drop
	}
	c.state.Truncate(0)
	c.cached = 0
	return c.sync()
}

// SetLastImagePath records where the last image of the last turn was saved.
func (c *Conversation) SetLastImagePath(path string) {
	if n := len(c.turns); n > 0 {
		if ims := c.turns[n-1].Images; len(ims) > 0 {
			ims[len(ims)-1].Path = path
		}
	}
}

// SetImagePath records the file of the last turn's image with these codes.
func (c *Conversation) SetImagePath(codes []int, path string) {
	if n := len(c.turns); n > 0 {
		for i, im := range c.turns[n-1].Images {
			if len(im.Codes) == len(codes) && len(codes) > 0 && &im.Codes[0] == &codes[0] {
				c.turns[n-1].Images[i].Path = path
			}
		}
	}
}

// Part is one piece of a given model turn: text or an image.
type Part struct {
	Text  string
	Image *Image
}

// AddModelTurn appends a model turn with the given content (a scripted or
// reference reply) instead of generating it, closed by the end-of-turn
// token, and prefills it.
func (c *Conversation) AddModelTurn(parts []Part) error {
	var ids []int
	var t Turn
	t.Role = Agent
	afterImage := false
	for _, p := range parts {
		if p.Image != nil {
			block, err := c.imageBlock(*p.Image)
			if err != nil {
				return err
			}
			ids = append(ids, block...)
			t.Images = append(t.Images, *p.Image)
			afterImage = true
			continue
		}
		if c.M.Tok == nil {
			return fmt.Errorf("%s: %w", c.M.Path, ErrNoTokenizer)
		}
		ids = append(ids, c.modelText(p.Text, len(ids) == 0)...)
		t.addText(p.Text, afterImage)
		afterImage = false
	}
	if eot := c.M.Proto.EndOfTurn; eot >= 0 {
		ids = append(ids, eot)
	}
	return c.addTurn(context.Background(), t, ids, 0, nil)
}
