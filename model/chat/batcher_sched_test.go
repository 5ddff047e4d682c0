package chat

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/sample"
)

// The Batcher's scheduling: when the steps wait, for whom, and when they
// do not wait at all.

// TestBatcherLoneGeneratorDoesNotWait: a conversation that decodes while
// no other generator is active steps at once on its own goroutine: the
// batcher's loop runs no forward for it and every decode step of its
// reply is a lone one, also after another generator has come and gone.
func TestBatcherLoneGeneratorDoesNotWait(t *testing.T) {
	m := loadModel(t, motDir, model.Options{})
	b := newTestBatcher(t, m)
	c, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	c.Batcher = b
	b.join() // another generator that then stands aside (a prefill) or ends
	b.leave()
	if err := c.AddUser("hello", nil); err != nil {
		t.Fatal(err)
	}
	turn, err := c.Reply(context.Background(), sample.New(1), GenOptions{MaxTokens: 8, Text: sample.Params{Temperature: 1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := turn.End - turn.Start - 1 // every reply token was fed but the closing one
	forwards, _ := b.Stats()
	if steps < 1 || forwards != 0 || b.LoneSteps() != steps {
		t.Fatalf("a lone reply of %d decode steps took %d lone steps and %d forwards through the batcher's loop (want %d and 0)", steps, b.LoneSteps(), forwards, steps)
	}
}

// TestBatcherWaitCountsFromLastForward: a step that came while a forward
// was under way has not waited for the generators in that forward, who
// could not ask; it waits for them from the forward's end, however long
// ago it came. (Counted from its arrival, it ran alone at once after each
// forward and the slots split into two groups that never merged.)
func TestBatcherWaitCountsFromLastForward(t *testing.T) {
	m := loadModel(t, motDir, model.Options{})
	b := &Batcher{m: m, wait: batchWait, wake: make(chan struct{}, 1), done: make(chan struct{})} // no loop: the test drives it
	request := func() *stepRequest {
		r := newStepRequest()
		r.states, r.ids, r.logits, r.joined = []*decoder.State{m.T.NewState(8, false)}, []int{3}, [][]float32{make([]float32, m.LogitsSize())}, true
		return r
	}
	b.active = 2
	b.running = true // the other generator's forward
	b.queue = append(b.queue, request())
	b.first = time.Now().Add(-time.Hour) // it came long ago
	if b.ready() {
		t.Fatal("a step ran while another forward was under way")
	}
	b.finished(4 * maxBatchWait) // that forward ends
	if !b.deadline().Equal(b.free.Add(maxBatchWait)) || !b.free.After(b.first) {
		t.Fatalf("the waiting step's deadline is %v after the forward ended, want %v", b.deadline().Sub(b.free), maxBatchWait)
	}
	b.queue = append(b.queue, request()) // the other generator asks
	if !b.ready() {
		t.Fatal("with every active generator queued, the steps still wait")
	}
	b.queue = b.queue[:1]
	b.closed = true
	b.running = true // a lone step still under way does not hold a closing batcher
	if !b.ready() {
		t.Fatal("a closing batcher holds a queued step")
	}
}

// TestBatcherStepsDecodersTogether: four conversations replying at once
// share forwards: the batcher's forwards average more than one row, and
// each reply is the one it gives alone. On a small model a reply takes
// milliseconds, so four goroutines could otherwise run one after another,
// each a lone decoder: every batched generator waits at its first event
// (it is then active in its decode loop) until all four have arrived, so
// their later steps overlap whatever the scheduler does.
func TestBatcherStepsDecodersTogether(t *testing.T) {
	m := loadModel(t, motDir, model.Options{})
	const n = 4
	meet := meeting(n)
	reply := func(b *Batcher, k int) ([]int, error) {
		c, err := New(m)
		if err != nil {
			return nil, err
		}
		c.Batcher = b
		if err := c.AddUser(fmt.Sprintf("story %d", k), nil); err != nil {
			return nil, err
		}
		var emit func(Event)
		if b != nil {
			met := false
			emit = func(Event) {
				if !met {
					met = true
					meet()
				}
			}
		}
		_, err = c.Reply(context.Background(), sample.New(uint64(k)), GenOptions{MaxTokens: 24, Text: sample.Params{Temperature: 1}}, emit)
		return c.Tokens(), err
	}
	b := newTestBatcher(t, m)
	aloneThenTogether(t, n, "batched", func(k int, together bool) ([]int, error) {
		if together {
			return reply(b, k)
		}
		return reply(nil, k)
	})
	forwards, rows := b.Stats()
	t.Logf("%d forwards of %d rows (%.2f a forward), %d lone steps", forwards, rows, float64(rows)/float64(max(forwards, 1)), b.LoneSteps())
	if forwards == 0 || rows <= forwards {
		t.Fatalf("%d forwards covered %d rows: four decoders did not step together", forwards, rows)
	}
}
