package chat

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/sample"
)

// TestReplyThatFillsTheContextFits: a reply that runs into the end of the
// context stops with a context-full error, and the history it leaves —
// closing token included — still fits the context (a session of it can
// be resumed).
func TestReplyThatFillsTheContextFits(t *testing.T) {
	m := loadModel(t, motDir, model.Options{Context: 40})
	c, _ := New(m)
	if err := c.AddUser("tell me everything about shapes", nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.Reply(context.Background(), sample.New(1), GenOptions{MaxTokens: 1000, Text: sample.Params{Temperature: 1}}, nil)
	if !errors.Is(err, decoder.ErrContextFull) {
		t.Fatalf("reply past the context: got %v, want a context-full error", err)
	}
	if n := len(c.Tokens()); n > c.Capacity() {
		t.Fatalf("the history holds %d tokens, more than the context of %d", n, c.Capacity())
	}
	last := c.Turns()[len(c.Turns())-1]
	if last.End != len(c.Tokens()) || c.Tokens()[last.End-1] != m.Proto.EndOfTurn {
		t.Fatal("the cut-off reply was not closed with the end-of-turn token")
	}
}

// TestEvictionCostIsLinear: with --evict oldest, a long dialogue in a
// small context re-prefills at most a small multiple of what it adds —
// eviction drops down to half the context, so it does not run again (and
// re-prefill everything) at every turn once the context is full.
func TestEvictionCostIsLinear(t *testing.T) {
	m := loadModel(t, motDir, model.Options{Context: 96})
	c, _ := New(m)
	c.Evict = EvictOldest
	for i := 0; i < 300; i++ {
		if err := c.AddModelTurn([]Part{{Text: fmt.Sprintf("turn %d about a red circle", i)}}); err != nil {
			t.Fatalf("turn %d: %v", i, err)
		}
		if len(c.Tokens()) > c.Capacity() {
			t.Fatalf("turn %d: history %d exceeds the context %d", i, len(c.Tokens()), c.Capacity())
		}
	}
	turnLen := len(c.Tokens()) - c.Turns()[len(c.Turns())-1].Start
	total := 300 * turnLen
	if c.prefilled > 3*total {
		t.Fatalf("%d tokens prefilled for %d added: eviction re-prefills too often", c.prefilled, total)
	}
	t.Logf("%d tokens prefilled for %d added (%d-token turns, context %d)", c.prefilled, total, turnLen, c.Capacity())
}
