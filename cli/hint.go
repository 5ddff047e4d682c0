package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/session"
)

// The model layer reports what went wrong with typed errors and names no
// flag; this file is the one place that turns those errors into advice
// about this command line ("use --evict oldest, /reset, or a larger
// --ctx"). Every error shown to the user — the final line of Main, the
// REPL's error lines, a run transcript's turn errors — passes through hint.

// where says which command an error happens in, for advice that depends on
// what the user can do there.
type where int

const (
	inCommand where = iota // a one-shot command: logits, describe, generate, edit, vq
	inREPL                 // the chat REPL: /reset and /load exist
	inRun                  // run --script: --evict exists
)

// contextInfo is what advice about the context needs: the context in use,
// the most the model allows, and whether old turns are already evicted.
// openModel records it for the command's model (one per process).
type contextInfo struct {
	capacity, max int
	evicting      bool
}

var loadedContext contextInfo

// hintedError is an error with advice appended in parentheses.
type hintedError struct {
	err    error
	advice string
}

func (e *hintedError) Error() string { return e.err.Error() + " (" + e.advice + ")" }
func (e *hintedError) Unwrap() error { return e.err }

// hint returns err with advice for the user appended when its kind has
// any; an error that already carries advice is returned unchanged.
func hint(err error, w where) error {
	if err == nil {
		return nil
	}
	var h *hintedError
	if errors.As(err, &h) {
		return err
	}
	if a := advice(err, w, loadedContext); a != "" {
		return &hintedError{err, a}
	}
	return err
}

// advice is the text hint appends for err, or "".
func advice(err error, w where, ci contextInfo) string {
	var nonFinite *chat.NonFiniteError
	switch {
	case errors.Is(err, decoder.ErrContextFull):
		var full *decoder.ContextFullError
		need := 0
		if errors.As(err, &full) {
			need = full.New
		}
		return contextAdvice(w, ci, need)
	case errors.Is(err, session.ErrTooLong):
		if ci.capacity > 0 && ci.capacity < ci.max {
			return fmt.Sprintf("use a larger --ctx, up to %d", ci.max)
		}
		return "use a larger --ctx"
	case errors.Is(err, chat.ErrNoTokenizer):
		return "this model takes token ids only: use `chatumm logits --ids`"
	case errors.Is(err, model.ErrNoVQDecoder):
		return "take the VQ-GAN of another checkpoint with --vq"
	case errors.Is(err, chat.ErrNoImages):
		return "images need a model with image tokens, such as the embedded one"
	case errors.As(err, &nonFinite):
		if w == inREPL {
			return "/reset starts over; a session resumed with its KV cache may be damaged"
		}
	}
	return ""
}

// contextAdvice lists what makes room in a full context where the error
// happened: eviction (unless already on), /reset in the REPL, and a larger
// --ctx while the model allows one. need, when known, is the number of new
// tokens: if they alone overflow the context, dropping old turns is no
// help, and if they overflow the model's whole context nothing but a
// shorter input is.
func contextAdvice(w where, ci contextInfo, need int) string {
	if need > 0 && ci.max > 0 && need >= ci.max {
		return fmt.Sprintf("the model's context holds at most %d tokens: shorten the input", ci.max)
	}
	alone := need > 0 && ci.capacity > 0 && need >= ci.capacity
	var ways []string
	if !ci.evicting && w != inCommand && !alone {
		ways = append(ways, "--evict oldest")
	}
	if w == inREPL && !alone {
		ways = append(ways, "/reset")
	}
	canGrow := ci.max == 0 || ci.capacity < ci.max
	if canGrow {
		if ci.max > 0 {
			ways = append(ways, fmt.Sprintf("a larger --ctx, up to %d", ci.max))
		} else {
			ways = append(ways, "a larger --ctx")
		}
	}
	if len(ways) == 0 {
		return fmt.Sprintf("the model's context holds at most %d tokens: shorten the input", ci.max)
	}
	if len(ways) > 1 {
		ways[len(ways)-1] = "or " + ways[len(ways)-1]
	}
	sep := ", "
	if len(ways) == 2 {
		sep = " "
	}
	return "use " + strings.Join(ways, sep)
}
