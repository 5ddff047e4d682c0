package chat

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model"
)

// longMessage is a user message of more than 2*prefillChunk tokens, with
// chunks made small for the test model's small context.
func longMessage(t *testing.T, m *model.Model) string {
	t.Helper()
	old := prefillChunk
	prefillChunk = 16
	t.Cleanup(func() { prefillChunk = old })
	text := strings.Repeat("a red circle on a blue background. ", 6)
	if n := len(m.Tok.Encode(text, false)); n <= 2*prefillChunk {
		t.Fatalf("the long message is only %d tokens", n)
	}
	return text
}

// TestChunkedPrefillMatchesOnePass: a long message prefilled in chunks,
// with progress reported after each, leaves the logits one pass over the
// whole history gives.
func TestChunkedPrefillMatchesOnePass(t *testing.T) {
	m := loadModel(t, motDir, model.Options{F32KV: true})
	c, _ := New(m)
	var seen [][2]int
	if err := c.AddUserContext(context.Background(), longMessage(t, m), nil, func(done, total int) {
		seen = append(seen, [2]int{done, total})
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 || seen[len(seen)-1][0] != seen[len(seen)-1][1] {
		t.Fatalf("progress %v: want several chunks ending at the total", seen)
	}
	st := m.T.NewState(0, true)
	full := make([]float32, m.Cfg.VocabSize)
	if err := m.T.Prefill(st, c.Tokens(), full, false); err != nil {
		t.Fatal(err)
	}
	var maxDiff, maxAbs float64
	for i := range full {
		maxDiff = math.Max(maxDiff, math.Abs(float64(full[i]-c.logits[i])))
		maxAbs = math.Max(maxAbs, math.Abs(float64(full[i])))
	}
	// The same bound as incremental turns (TestIncrementalEqualsFullPrefill).
	if maxDiff > 1e-4*maxAbs+1e-5 {
		t.Fatalf("chunked vs one-pass prefill: max |diff| %g (max |logit| %g)", maxDiff, maxAbs)
	}
}

// TestCancelledPrefillSendsNothing: cancelling during a long prefill
// returns the context's error and leaves the conversation as it was: the
// next message gives the logits a conversation that never saw the
// cancelled one gives.
func TestCancelledPrefillSendsNothing(t *testing.T) {
	m := loadModel(t, motDir, model.Options{F32KV: true})
	c, _ := New(m)
	if err := c.AddUser("hello there", nil); err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(c.Tokens())
	ctx, cancel := context.WithCancel(context.Background())
	chunks := 0
	err := c.AddUserContext(ctx, longMessage(t, m), nil, func(done, total int) {
		chunks++
		cancel() // Ctrl-C after the first chunk
	})
	if !errors.Is(err, context.Canceled) || chunks != 1 {
		t.Fatalf("cancelled prefill: err %v after %d chunks, want context.Canceled after 1", err, chunks)
	}
	if !slices.Equal(c.Tokens(), before) || len(c.Turns()) != 1 {
		t.Fatalf("the cancelled message stayed: %d tokens (was %d), %d turns", len(c.Tokens()), len(before), len(c.Turns()))
	}
	if err := c.AddUser("what is red?", nil); err != nil {
		t.Fatal(err)
	}
	fresh, _ := New(m)
	for _, msg := range []string{"hello there", "what is red?"} {
		if err := fresh.AddUser(msg, nil); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(c.Tokens(), fresh.Tokens()) {
		t.Fatal("the history differs from one that never saw the cancelled message")
	}
	for i := range fresh.logits {
		if d := math.Abs(float64(fresh.logits[i] - c.logits[i])); d > 1e-4*math.Abs(float64(fresh.logits[i]))+1e-5 {
			t.Fatalf("logit %d: %g after the cancel, %g without it", i, c.logits[i], fresh.logits[i])
		}
	}
}
