package chat

import (
	"errors"
	"fmt"
)

// Errors a caller may want to tell apart (errors.Is) to give advice; the
// context-full error is decoder.ErrContextFull.
var (
	// ErrNoImages: the model has no image tokens, so images can neither be
	// shown to it nor drawn by it.
	ErrNoImages = errors.New("this model has no image tokens")
	// ErrNoTokenizer: the checkpoint carries no tokenizer (a GGUF file), so
	// it takes token ids, not text.
	ErrNoTokenizer = errors.New("no tokenizer (this GGUF file carries no tokenizer metadata); give token ids instead")
)

// NonFiniteError says the model produced a NaN or infinite logit: its
// weights or its saved KV cache are broken, and sampling cannot go on.
type NonFiniteError struct {
	Position int // the history position whose logits were bad
	Value    float32
}

func (e *NonFiniteError) Error() string {
	kind := "NaN"
	if e.Value == e.Value {
		kind = "infinite"
	}
	return fmt.Sprintf("the model produced %s logits at position %d (broken weights or KV cache)", kind, e.Position)
}
