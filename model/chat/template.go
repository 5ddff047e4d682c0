package chat

import (
	"context"
	"fmt"

	"github.com/chatumm/chatumm/model/imageio"
)

// Families whose turns are written through a chat template and whose
// pictures are read as features (model.Protocol.Template,
// model.ImageFormat.Features: Janus). A picture read is its block —
// Begin, one placeholder per feature row, End — and its features live in
// its Image (Features): the j-th image block of a turn is the turn's j-th
// Image, so eviction and rollback, which drop whole turns, keep the two
// in step. A picture the model drew sits in the
// history as its codes (ids VocabSize + code, entered through the
// generation embedding) until the dialogue goes on; then it is re-entered
// as a picture read (reenterDrawn), the path Janus was trained to
// understand pictures through.

// AddUserDrawing appends a user turn that asks for a picture (the reply
// then draws, GenOptions.StartImage). It is AddUser, except that a
// template's system prompt is not written: Janus draws with none.
func (c *Conversation) AddUserDrawing(text string, images []Image) error {
	return c.AddUserDrawingContext(context.Background(), text, images, nil)
}

// AddUserDrawingContext is AddUserDrawing with AddUserContext's
// cancellation and progress.
func (c *Conversation) AddUserDrawingContext(ctx context.Context, text string, images []Image, progress func(done, total int)) error {
	c.drawing = true
	defer func() { c.drawing = false }()
	return c.AddUserContext(ctx, text, images, progress)
}

// templateUserTokens builds a user turn in the family's template:
// [system prompt + UserEnd, for a dialogue's first turn answered in text]
// User, each image block followed by a newline, the text, UserEnd,
// Assistant (the reply follows it). There is no end-of-turn token: the
// template's text closes the turn.
func (c *Conversation) templateUserTokens(text string, images []Image) ([]int, error) {
	tpl := c.M.Proto.Template
	if c.M.Tok == nil {
		return nil, fmt.Errorf("%s: %w", c.M.Path, ErrNoTokenizer)
	}
	if text == "" && len(images) == 0 {
		return nil, fmt.Errorf("empty message: no text and no image")
	}
	head := tpl.User
	if len(c.turns) == 0 && !c.drawing && tpl.System != "" {
		head = tpl.System + tpl.UserEnd + head
	}
	ids := c.M.Tok.Encode(head, false)
	for i, im := range images {
		block, err := c.imageBlock(im)
		if err != nil {
			return nil, err
		}
		ids = append(ids, block...)
		if i < len(images)-1 || text != "" {
			ids = append(ids, c.M.Tok.Encode("\n", false)...)
		}
	}
	return append(ids, c.M.Tok.Encode(text+tpl.UserEnd+tpl.Assistant, false)...), nil
}

// modelText encodes a piece of a given reply: with a template, the reply's
// first text follows the Assistant tag after a space, as the template
// writes past answers.
func (c *Conversation) modelText(s string, first bool) []int {
	if c.M.Proto.Template != nil && first {
		s = " " + s
	}
	return c.M.Tok.Encode(s, false)
}

// featureBlock lays out a picture read as features: Begin, one
// placeholder per feature row, End.
func (c *Conversation) featureBlock(im Image) ([]int, error) {
	m := c.M
	f := &m.Proto.Image
	D := m.Cfg.Dim
	if len(im.Features) == 0 || len(im.Features)%D != 0 {
		name := "image"
		if im.Path != "" {
			name = im.Path
		}
		return nil, fmt.Errorf("%s: %d feature values are not rows of the model's width %d (this model reads pictures through its vision tower)", name, len(im.Features), D)
	}
	n := len(im.Features) / D
	ids := make([]int, 0, n+2)
	ids = append(ids, f.Begin)
	for range n {
		ids = append(ids, f.Placeholder)
	}
	return append(ids, f.End), nil
}

// inputVectors are the input vectors of history tokens [from, to): the
// feature rows of the placeholders among them (nil elsewhere), or nil when
// there are none. The j-th image block of a turn is its j-th Image; a
// block of placeholders takes that image's features, read again if the
// image has none (a resumed session keeps codes and file names only).
func (c *Conversation) inputVectors(from, to int) ([][]float32, error) {
	f := &c.M.Proto.Image
	if !f.Features {
		return nil, nil
	}
	need := false
	for _, id := range c.tokens[from:to] {
		need = need || id == f.Placeholder
	}
	if !need {
		return nil, nil
	}
	D := c.M.Cfg.Dim
	vecs := make([][]float32, to-from)
	for ti := range c.turns {
		t := &c.turns[ti]
		j := 0
		for i := t.Start; i < t.End && i < to; i++ {
			if c.tokens[i] != f.Begin {
				continue
			}
			read := i+1 < len(c.tokens) && c.tokens[i+1] == f.Placeholder
			if j >= len(t.Images) {
				if read {
					return nil, fmt.Errorf("turn %d has more image blocks than images", ti+1)
				}
				continue // the picture being drawn
			}
			im := &t.Images[j]
			j++
			if !read || i+1 >= to {
				continue // a drawn picture's codes, or a block not wanted
			}
			if len(im.Features) == 0 {
				feats, err := c.rereadPicture(im)
				if err != nil {
					return nil, fmt.Errorf("turn %d: %v", ti+1, err)
				}
				im.Features = feats
			}
			for k := 0; i+1+k < to && c.tokens[i+1+k] == f.Placeholder; k++ {
				if (k+1)*D > len(im.Features) {
					return nil, fmt.Errorf("turn %d: an image block longer than its picture's %d features", ti+1, len(im.Features)/D)
				}
				if p := i + 1 + k; p >= from {
					vecs[p-from] = im.Features[k*D : (k+1)*D]
				}
			}
		}
	}
	for i, id := range c.tokens[from:to] {
		if id == f.Placeholder && vecs[i] == nil {
			return nil, fmt.Errorf("an <image_placeholder> at position %d belongs to no picture", from+i)
		}
	}
	return vecs, nil
}

// rereadPicture reads a picture of the history through the vision tower
// again: a drawn one from its codes, a given one from its file.
func (c *Conversation) rereadPicture(im *Image) ([]float32, error) {
	m := c.M
	switch {
	case len(im.Codes) > 0:
		png, err := m.DecodeImagePNG(im.Codes, im.Rows, im.Cols)
		if err != nil {
			return nil, fmt.Errorf("re-reading a drawn picture: %v", err)
		}
		img, err := imageio.DecodeImage(png)
		if err != nil {
			return nil, fmt.Errorf("re-reading a drawn picture: %v", err)
		}
		return m.ImageFeatures(img)
	case im.Path != "":
		return m.ReadImageFeatures(im.Path)
	}
	return nil, fmt.Errorf("a picture without features, codes or file cannot be read again")
}

// reenterDrawn re-enters the pictures the last reply drew, before the
// dialogue goes on: each is decoded, read by the understanding tower, and
// its code run in the history becomes a placeholder run with those
// features. A model without a VQ decoder or a vision tower keeps the codes
// (what it drew, through the generation embedding).
func (c *Conversation) reenterDrawn() error {
	m := c.M
	f := &m.Proto.Image
	n := len(c.turns)
	if !f.Features || n == 0 || c.turns[n-1].Role != Agent || !m.CanReadImages() || !m.CanDecodeImages() {
		return nil
	}
	t := &c.turns[n-1]
	for k := range t.Images {
		im := &t.Images[k]
		if len(im.Features) > 0 || len(im.Codes) == 0 {
			continue
		}
		start := c.findCodes(t.Start, t.End, im.Codes)
		if start < 0 {
			continue
		}
		feats, err := c.rereadPicture(im)
		if err != nil {
			return err
		}
		im.Features = feats
		block, err := c.featureBlock(*im)
		if err != nil {
			return err
		}
		body := block[1 : len(block)-1]
		tail := append(append([]int(nil), body...), c.tokens[start+len(im.Codes):]...)
		c.tokens = append(c.tokens[:start], tail...)
		t.End += len(body) - len(im.Codes)
		if c.cached > start {
			c.cached = start
			c.state.Truncate(start)
			c.logitsValid = false
		}
	}
	return c.sync()
}

// findCodes finds the run of a drawn picture's code ids within [from, to).
func (c *Conversation) findCodes(from, to int, codes []int) int {
	m := c.M
	for i := from; i+len(codes) <= to; i++ {
		if c.tokens[i] != m.IDOfCode[codes[0]] {
			continue
		}
		match := true
		for k, code := range codes {
			if c.tokens[i+k] != m.IDOfCode[code] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}
