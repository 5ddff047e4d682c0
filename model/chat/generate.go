package chat

import (
	"context"
	"fmt"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/model/tokenizer"
)

// GenOptions control one reply.
type GenOptions struct {
	Text, Image sample.Params
	MaxTokens   int  // text tokens per reply (images not counted); 0 = 512
	Images      bool // the model may start an image with <racm3:break>
	StartImage  bool // the reply begins with an image (the generate command)
	// Guidance is the classifier-free guidance scheme for image tokens
	// (model.GuidanceByName); nil draws unguided.
	Guidance model.GuidanceScheme
	// TextScale (g_txt) and ImageScale (g_img) weigh the guided logits;
	// one-condition schemes use TextScale only.
	TextScale, ImageScale float32
	// Speculative is the window of speculative Jacobi decoding for image
	// tokens (drafts verified per forward pass); 0 or 1 decodes one token
	// per pass.
	Speculative int
}

// EventKind says what an Event carries.
type EventKind int

const (
	EventText          EventKind = iota // Text holds newly decoded text
	EventImageStart                     // an image begins; Total is its token count
	EventImageProgress                  // Done of Total image tokens drawn
	EventImage                          // Image holds a finished image
)

// Event reports progress of a reply as it is generated.
type Event struct {
	Kind        EventKind
	Text        string
	Image       Image
	Done, Total int
}

// masks are the allow/deny sets of the generation modes, built once.
type masks struct {
	text, textNoImage, image, size sample.Mask
}

func newMasks(m *model.Model) *masks {
	n := m.LogitsSize()
	f := &m.Proto.Image
	deny := make([]bool, n)
	denyAll := make([]bool, n)
	allowImg := make([]bool, n)
	for id := 0; id < n; id++ {
		if m.IsImageToken(id) {
			deny[id], denyAll[id], allowImg[id] = true, true, true
		}
	}
	never := []int{f.End, m.Proto.Pad, f.RowEnd}
	if f.Features {
		// A placeholder stands for a picture's feature row: one the model
		// wrote itself would have none.
		never = append(never, f.Placeholder)
	}
	for _, id := range never {
		if id >= 0 && id < n {
			deny[id], denyAll[id] = true, true
		}
	}
	if b := f.Begin; b >= 0 && b < n {
		denyAll[b] = true
	}
	allowSize := make([]bool, n)
	for _, id := range f.SizeTokens() {
		if id < n {
			allowSize[id] = true
			deny[id], denyAll[id] = true, true
		}
	}
	return &masks{
		text:        sample.Mask{Deny: deny},
		textNoImage: sample.Mask{Deny: denyAll},
		image:       sample.Mask{Allow: allowImg},
		size:        sample.Mask{Allow: allowSize},
	}
}

// Reply generates the model's turn. Text streams through emit as it is
// decoded; images are drawn token by token and reported with their codes.
// Cancelling ctx stops between tokens: the partial turn is kept and closed,
// and the conversation stays usable.
func (c *Conversation) Reply(ctx context.Context, smp *sample.Sampler, o GenOptions, emit func(Event)) (Turn, error) {
	m := c.M
	if o.MaxTokens <= 0 {
		o.MaxTokens = 512
	}
	if m.Proto.Image.OnRequest {
		o.Images = false // it draws when asked (StartImage), never of itself
	}
	if (o.Images || o.StartImage) && !m.CanDrawImages() {
		if o.StartImage {
			return Turn{}, fmt.Errorf("%s: %w", m.Path, ErrNoImages)
		}
		o.Images = false
	}
	if err := c.makeRoom(2); err != nil { // a first token and the closing one
		return Turn{}, err
	}
	if err := c.sync(); err != nil {
		return Turn{}, err
	}
	turn := Turn{Role: Agent, Start: len(c.tokens), End: len(c.tokens)}
	c.turns = append(c.turns, turn)
	c.replyTurn = len(c.turns) - 1
	defer func() { c.replyTurn = -1 }()
	c.batchJoin()
	defer c.batchLeave()
	cur := func() *Turn { return &c.turns[c.replyTurn] }

	var dec *tokenizer.StreamDecoder
	if m.Tok != nil {
		dec = m.Tok.NewStreamDecoder()
	}
	perImage := m.Proto.Image.BlockLen(m.ImageGrid(), m.ImageGrid())
	textCount := 0
	afterImage := false // an image ended since the last text
	forceImage := o.StartImage
	var stopErr error
	for {
		if err := ctx.Err(); err != nil {
			stopErr = err
			break
		}
		var tok int
		if forceImage {
			tok, forceImage = m.Proto.Image.Begin, false
		} else {
			mask := &c.masks.textNoImage
			if o.Images && len(c.tokens)+perImage <= c.state.Capacity() {
				mask = &c.masks.text
			}
			if tok, stopErr = c.sample(smp, c.logits, c.tokens, o.Text, mask); stopErr != nil {
				break
			}
			if tok == m.Proto.EndOfTurn || tok == m.Proto.EOS {
				c.append(tok) // closes the turn; prefilled with the next turn
				break
			}
			textCount++
		}
		if err := c.feed(tok); err != nil {
			stopErr = err
			break
		}
		if tok == m.Proto.Image.Begin {
			im, err := c.drawImage(ctx, smp, o, emit)
			if err != nil {
				stopErr = err
				break
			}
			cur().Images = append(cur().Images, im)
			afterImage = true
			if emit != nil {
				aside := c.standAside() // the caller may encode the picture
				emit(Event{Kind: EventImage, Image: im})
				if aside {
					c.batchJoin()
				}
			}
			if o.StartImage && !o.Images && textCount == 0 {
				// One-shot image generation: the image is the answer.
				c.closeTurn()
				break
			}
			continue
		}
		if dec != nil {
			if s := dec.Add(tok); s != "" {
				cur().addText(s, afterImage)
				afterImage = false
				if emit != nil {
					emit(Event{Kind: EventText, Text: s})
				}
			}
		}
		if textCount >= o.MaxTokens {
			c.closeTurn()
			break
		}
	}
	if dec != nil {
		if s := dec.Flush(); s != "" {
			cur().addText(s, afterImage)
			if emit != nil {
				emit(Event{Kind: EventText, Text: s})
			}
		}
	}
	if stopErr != nil {
		c.closeTurn()
	}
	return *cur(), stopErr
}

// append adds a token to the history and the reply turn without running it.
func (c *Conversation) append(tok int) {
	c.tokens = append(c.tokens, tok)
	c.turns[c.replyTurn].End = len(c.tokens)
}

// closeTurn ends the reply with the end-of-turn token unless it already has one.
func (c *Conversation) closeTurn() {
	eot := c.M.Proto.EndOfTurn
	if eot < 0 {
		eot = c.M.Proto.EOS
	}
	if eot < 0 || c.replyTurn < 0 {
		return
	}
	if last := c.tokens[len(c.tokens)-1]; last == eot && c.turns[c.replyTurn].End == len(c.tokens) && c.turns[c.replyTurn].End > c.turns[c.replyTurn].Start {
		return
	}
	c.append(eot)
}

// feed appends tok and runs it, so c.logits predict the next token. It
// keeps one position free after tok, so that closing the turn (closeTurn,
// or the model's own end-of-turn) never overflows the context: a reply
// that fills the context leaves a history that still fits it.
func (c *Conversation) feed(tok int) error {
	if err := c.makeRoom(2); err != nil {
		return err
	}
	c.append(tok)
	return c.syncStep()
}
