package model

import (
	"fmt"
	"sort"

	"github.com/chatumm/chatumm/model/tokenizer"
)

// A Family is what makes one kind of checkpoint different from the
// others: how its config is recognised, what its protocol tokens are
// called, how an image sits in the token stream, and which guidance scheme
// it draws with. Each family is one file of this package (chameleon.go,
// lumina.go, llama.go); a new family is a new file and a line in families.
// Everything else — the decoder, the tokenizer, the VQ-GAN, conversations —
// reads the Protocol a family returns and never asks which family it is.
type Family interface {
	// Name is the family's short name, as `chatumm inspect` prints it.
	Name() string
	// Guidance is the name of the guidance scheme this family's
	// checkpoints were trained for (see GuidanceSchemes).
	Guidance() string
	// matches reports whether a config.json belongs to this family.
	matches(r *rawConfig) bool
	// protocol finds the family's protocol tokens in the vocabulary.
	protocol(tok *tokenizer.Tokenizer) (Protocol, error)
}

// families in the order they are tried: the more specific first.
var families = []Family{janus{}, lumina{}, chameleon{}, llama{}}

// detectFamily picks the family of a config.json (llama, the plainest,
// when nothing more specific matches).
func detectFamily(r *rawConfig) Family {
	for _, f := range families {
		if f.matches(r) {
			return f
		}
	}
	return llama{}
}

// Protocol is how a checkpoint writes a dialogue as tokens: ids of the
// protocol tokens (-1 when the vocabulary has none) and the image layout.
type Protocol struct {
	BOS, EOS, Pad int
	EndOfTurn     int // closes every turn
	Image         ImageFormat
	// Template, when not nil, wraps every turn in the family's chat
	// template text (Janus); otherwise a turn is its bare tokens.
	Template *Template
}

// Template is a chat template that writes roles as text around each turn:
// a user turn is User + content + UserEnd + Assistant (the reply follows),
// a finished reply ends with the end-of-turn token. System, when not
// empty, opens a dialogue whose first turn is answered in text.
type Template struct {
	System, User, UserEnd, Assistant string
}

// ImageFormat is how an image's codes sit in the token stream:
//
//	Begin [size tokens] codes of row 0 [RowEnd] … codes of row R-1 [RowEnd] End
//
// Size tokens (Lumina-mGPT) give the grid in units of two code cells, and
// let the model choose the size of what it draws; without them the grid is
// the VQ-GAN's square one.
type ImageFormat struct {
	Begin, End int // -1: the model has no images
	RowEnd     int // closes every row of codes; -1: none
	// Features: an image is read as continuous features that fill the
	// Placeholder run of its block (Begin, placeholders, End), not as
	// codes (Janus reads through SigLIP, draws VQ codes).
	Features    bool
	Placeholder int
	// OnRequest: the model never starts an image itself; a turn draws
	// only when asked to (Janus).
	OnRequest bool
	sizeOfID  map[int]int
	idOfSize  map[int]int
}

// maxSizeUnits bounds size tokens: n units of 32 px, so 128 is a
// 4096-pixel side.
const maxSizeUnits = 128

// HasImages reports whether images can be written in this format.
func (f *ImageFormat) HasImages() bool { return f.Begin >= 0 && f.End >= 0 }

// Sized reports whether an image block carries size tokens.
func (f *ImageFormat) Sized() bool { return len(f.sizeOfID) > 0 }

// SizeToken is the token of n size units.
func (f *ImageFormat) SizeToken(n int) (int, bool) {
	id, ok := f.idOfSize[n]
	return id, ok
}

// SizeOf is the number of size units of a size token.
func (f *ImageFormat) SizeOf(id int) (int, bool) {
	n, ok := f.sizeOfID[id]
	return n, ok
}

// SizeTokens lists every size token in increasing order.
func (f *ImageFormat) SizeTokens() []int {
	ids := make([]int, 0, len(f.sizeOfID))
	for id := range f.sizeOfID {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// Header is what follows Begin for a rows×cols grid: nothing, or the two
// size tokens (one unit is two code cells).
func (f *ImageFormat) Header(rows, cols int) ([]int, error) {
	if !f.Sized() {
		return nil, nil
	}
	h, okh := f.SizeToken((rows + 1) / 2)
	w, okw := f.SizeToken((cols + 1) / 2)
	if !okh || !okw {
		return nil, fmt.Errorf("no size token for a %d×%d grid", rows, cols)
	}
	return []int{h, w}, nil
}

// BlockLen is the number of tokens of a rows×cols image block, delimiters
// included.
func (f *ImageFormat) BlockLen(rows, cols int) int {
	n := rows*cols + 2
	if f.Sized() {
		n += 2
	}
	if f.RowEnd >= 0 {
		n += rows
	}
	return n
}

// lookup returns a token's id by name, -1 when the vocabulary lacks it.
func lookup(tok *tokenizer.Tokenizer, names ...string) int {
	for _, name := range names {
		if id, ok := tok.TokenID(name); ok {
			return id
		}
	}
	return -1
}
