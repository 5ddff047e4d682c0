package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/session"
)

func TestAdvice(t *testing.T) {
	full := fmt.Errorf("turn 3: %w", &decoder.ContextFullError{Have: 250, New: 10, Capacity: 256})
	small := contextInfo{capacity: 128, max: 256}
	atMax := contextInfo{capacity: 256, max: 256}
	cases := []struct {
		name string
		err  error
		w    where
		ci   contextInfo
		want string
	}{
		{"context full in the REPL", full, inREPL, small, "use --evict oldest, /reset, or a larger --ctx, up to 256"},
		{"context full in the REPL at the model's maximum", full, inREPL, atMax, "use --evict oldest or /reset"},
		{"context full in the REPL while evicting", full, inREPL, contextInfo{capacity: 128, max: 256, evicting: true}, "use /reset or a larger --ctx, up to 256"},
		{"context full in run", full, inRun, small, "use --evict oldest or a larger --ctx, up to 256"},
		{"context full in a command", full, inCommand, small, "use a larger --ctx, up to 256"},
		{"context full in a command at the maximum", full, inCommand, atMax, "the model's context holds at most 256 tokens: shorten the input"},
		{"message longer than the context", &decoder.ContextFullError{Have: 1, New: 125, Capacity: 16}, inREPL, contextInfo{capacity: 16, max: 256}, "use a larger --ctx, up to 256"},
		{"message longer than the model's context", &decoder.ContextFullError{Have: 1, New: 300, Capacity: 256}, inRun, atMax, "at most 256 tokens: shorten the input"},
		{"session too long", fmt.Errorf("s.chs: %w: 300 tokens", session.ErrTooLong), inCommand, small, "use a larger --ctx, up to 256"},
		{"no tokenizer", fmt.Errorf("m.gguf: %w", chat.ErrNoTokenizer), inREPL, small, "chatumm logits --ids"},
		{"no VQ decoder", fmt.Errorf("m: %w", model.ErrNoVQDecoder), inCommand, small, "--vq"},
		{"no images", fmt.Errorf("m: %w", chat.ErrNoImages), inREPL, small, "image tokens"},
		{"NaN logits in the REPL", &chat.NonFiniteError{Position: 7}, inREPL, small, "/reset"},
		{"other errors", errors.New("something else"), inREPL, small, ""},
	}
	for _, c := range cases {
		got := advice(c.err, c.w, c.ci)
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("%s: advice %q, want %q", c.name, got, c.want)
		}
	}
}

func TestHintOnce(t *testing.T) {
	old := loadedContext
	defer func() { loadedContext = old }()
	loadedContext = contextInfo{capacity: 64, max: 256}
	err := hint(fmt.Errorf("x: %w", decoder.ErrContextFull), inRun)
	again := hint(fmt.Errorf("script.json: turn 2: %w", err), inCommand)
	if n := strings.Count(again.Error(), "--ctx"); n != 1 {
		t.Errorf("advice given %d times: %q", n, again)
	}
	if !errors.Is(again, decoder.ErrContextFull) {
		t.Errorf("hint hid the error's kind")
	}
	if hint(nil, inREPL) != nil {
		t.Errorf("hint(nil) is not nil")
	}
}
