package chat

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/embedded"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
)

func newTestBatcher(t *testing.T, m *model.Model) *Batcher {
	t.Helper()
	b, err := NewBatcher(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// seqGroup is one generator of the raw step test: 1 state (a text step)
// or several stepping the same token (a guided image step).
type seqGroup struct {
	states []*decoder.State
	logits [][]float32
	ids    []int
	steps  [][]float32 // the logits of the first state after each step
}

// runGroups prefills every group's states with its own prompt and steps
// each group `steps` times with tokens drawn from its own generator;
// through b (joined, one goroutine per group) or, with b nil, one group
// after the other.
func runGroups(t *testing.T, m *model.Model, b *Batcher, sizes []int, steps int) []*seqGroup {
	t.Helper()
	V := m.LogitsSize()
	groups := make([]*seqGroup, len(sizes))
	for k, n := range sizes {
		g := &seqGroup{}
		rng := rand.New(rand.NewPCG(uint64(k), 7))
		for i := 0; i < n; i++ {
			s := m.T.NewState(64, false)
			prompt := make([]int, 3+k+i)
			for j := range prompt {
				prompt[j] = rng.IntN(m.Cfg.VocabSize)
			}
			lg := make([]float32, V)
			if err := m.Prefill(s, prompt, nil, lg, false); err != nil {
				t.Fatal(err)
			}
			g.states, g.logits = append(g.states, s), append(g.logits, lg)
		}
		g.ids = make([]int, n)
		groups[k] = g
	}
	run := func(k int) error {
		g := groups[k]
		rng := rand.New(rand.NewPCG(uint64(k), 99))
		for st := 0; st < steps; st++ {
			tok := rng.IntN(m.Cfg.VocabSize) // text and image ids: both experts of a MoT model
			for i := range g.ids {
				g.ids[i] = tok
			}
			var err error
			if b != nil {
				r := newStepRequest()
				r.states, r.ids, r.logits, r.joined = g.states, g.ids, g.logits, true
				err = b.step(r)
			} else {
				err = m.StepBatch(g.states, g.ids, g.logits)
			}
			if err != nil {
				return err
			}
			g.steps = append(g.steps, slices.Clone(g.logits[0]))
		}
		return nil
	}
	if b == nil {
		for k := range groups {
			if err := run(k); err != nil {
				t.Fatal(err)
			}
		}
		return groups
	}
	var wg sync.WaitGroup
	errs := make([]error, len(groups))
	for k := range groups {
		b.join()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer b.leave()
			errs[k] = run(k)
		}()
	}
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			t.Fatalf("group %d: %v", k, err)
		}
	}
	return groups
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestBatchedStepsMatchAlone: decode steps of several sequences run
// through a Batcher (groups of one state and guided groups of two and
// three, up to six rows waiting, so batches of up to four rows and
// leftovers) give every sequence the bits its steps give alone, for f16,
// bf16 and f32 weights, a Mixture-of-Transformers model stepping text and
// image rows together, and the Q8_0, Q4_0 and Q4_K matvecs.
func TestBatchedStepsMatchAlone(t *testing.T) {
	for _, path := range []string{
		motDir, "../../testdata/ref/chameleon-bf16", "../../testdata/ref/chameleon-swin", "../../testdata/ref/llama",
		"../../testdata/weights/tiny-q-Q8_0.gguf", "../../testdata/weights/tiny-q-Q4_0.gguf", "../../testdata/weights/tiny-q-Q4_K_M.gguf",
	} {
		t.Run(path[len("../../testdata/"):], func(t *testing.T) {
			m := loadModel(t, path, model.Options{})
			b := newTestBatcher(t, m)
			sizes := []int{1, 1, 2, 1, 3}
			alone := runGroups(t, m, nil, sizes, 12)
			batched := runGroups(t, m, b, sizes, 12)
			for k := range sizes {
				for st := range alone[k].steps {
					if !sameBits(alone[k].steps[st], batched[k].steps[st]) {
						t.Fatalf("group %d (%d states), step %d: batched logits differ from stepping alone", k, sizes[k], st)
					}
				}
			}
			forwards, rows := b.Stats()
			if forwards == 0 || float64(rows)/float64(forwards) < 2 {
				t.Fatalf("%d forwards covered %d rows: the steps were hardly batched", forwards, rows)
			}
		})
	}
}

// dialogue runs two turns of conversation k (odd ones draw a guided image
// first) and returns its tokens; cancel, if not nil, is called with the
// reply's cancel function once the first reply has produced `after` events.
func dialogue(m *model.Model, b *Batcher, k int, cancelAfter int, meet func()) ([]int, error) {
	c, err := New(m)
	if err != nil {
		return nil, err
	}
	c.Batcher = b
	smp := sample.New(uint64(10 + k))
	opts := GenOptions{MaxTokens: 10, Images: true, Text: sample.Params{Temperature: 0.8}}
	if k%2 == 1 {
		opts.StartImage, opts.Guidance, opts.TextScale, opts.ImageScale = true, model.GuidanceSchemes["anole"], 3, 1.2
		opts.Image = sample.Params{Temperature: 1}
	}
	for turn := 0; turn < 2; turn++ {
		if err := c.AddUser(fmt.Sprintf("message %d of dialogue %d", turn, k), nil); err != nil {
			return nil, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		events := 0
		_, err := c.Reply(ctx, smp, opts, func(Event) {
			if events++; turn == 0 && events == 1 && meet != nil {
				meet()
			}
			if turn == 0 && cancelAfter > 0 && events == cancelAfter {
				cancel()
			}
		})
		cancel()
		if err != nil && !(cancelAfter > 0 && errors.Is(err, context.Canceled)) {
			return nil, err
		}
		opts.StartImage = false
	}
	return slices.Clone(c.Tokens()), nil
}

// TestBatcherConversations: six conversations on one model generating in
// parallel through one Batcher — text replies and guided images (MoT rows
// of both experts in one batch) — give exactly the tokens each gives
// alone without a Batcher; one of them is cancelled mid-reply, which
// changes nothing for the others and leaves its own conversation usable
// (its second turn is generated as when it runs alone with the same
// cancel). Run it with -race.
func TestBatcherConversations(t *testing.T) {
	m := loadModel(t, combinedModel(t), model.Options{})
	const n = 6
	const cancelled = 2 // this one's first reply stops after 3 events
	cancelAt := func(k int) int {
		if k == cancelled {
			return 3
		}
		return 0
	}
	b := newTestBatcher(t, m)
	meet := meeting(n) // a reply takes milliseconds: without it they could run one after another
	alone := aloneThenTogether(t, n, "batched", func(k int, together bool) ([]int, error) {
		if together {
			return dialogue(m, b, k, cancelAt(k), meet)
		}
		return dialogue(m, nil, k, cancelAt(k), nil)
	})
	if slices.Equal(alone[0], alone[1]) || slices.Equal(alone[0], alone[2]) {
		t.Fatal("different dialogues produced the same tokens: the test would not see a mix-up")
	}
	forwards, rows := b.Stats()
	if forwards == 0 || rows <= forwards {
		t.Fatalf("%d forwards covered %d rows: nothing was batched", forwards, rows)
	}
	b.mu.Lock()
	active, queued := b.active, len(b.queue)
	b.mu.Unlock()
	if active != 0 || queued != 0 {
		t.Fatalf("after every reply the batcher counts %d active generators and %d queued steps", active, queued)
	}
}

// TestBatcherContextFull: a batch in which one state's context is full
// fails only that state's step; the other steps as it does alone.
func TestBatcherContextFull(t *testing.T) {
	m := loadModel(t, motDir, model.Options{})
	b := newTestBatcher(t, m)
	V := m.LogitsSize()
	full := m.T.NewState(4, false)
	if err := m.Prefill(full, []int{0, 5, 6, 7}, nil, make([]float32, V), false); err != nil {
		t.Fatal(err)
	}
	fresh := func() (*decoder.State, []float32) {
		s := m.T.NewState(16, false)
		lg := make([]float32, V)
		if err := m.Prefill(s, []int{0, 9, 10}, nil, lg, false); err != nil {
			t.Fatal(err)
		}
		return s, lg
	}
	ref, refLogits := fresh()
	if err := m.StepBatch([]*decoder.State{ref}, []int{11}, [][]float32{refLogits}); err != nil {
		t.Fatal(err)
	}
	ok, okLogits := fresh()
	reqs := []*stepRequest{newStepRequest(), newStepRequest()}
	reqs[0].states, reqs[0].ids, reqs[0].logits = []*decoder.State{full}, []int{11}, [][]float32{make([]float32, V)}
	reqs[1].states, reqs[1].ids, reqs[1].logits = []*decoder.State{ok}, []int{11}, [][]float32{okLogits}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, r := range reqs {
		r.joined = true
		b.join()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer b.leave()
			errs[i] = b.step(r)
		}()
	}
	wg.Wait()
	if !errors.Is(errs[0], decoder.ErrContextFull) {
		t.Fatalf("the full state's step: %v, want a full context", errs[0])
	}
	if errs[1] != nil {
		t.Fatalf("the other state's step failed with it: %v", errs[1])
	}
	if !sameBits(okLogits, refLogits) || ok.Len != 4 || full.Len != 4 {
		t.Fatalf("after a failed batch the good step's logits or the lengths (%d, %d) are wrong", ok.Len, full.Len)
	}
}

// TestBatcherDoesNotWaitForever: a generator that joined but never asks
// for a step (it is sampling, or the client stopped reading) holds the
// others back by batchWait at most.
func TestBatcherDoesNotWaitForever(t *testing.T) {
	m := loadModel(t, motDir, model.Options{})
	b := newTestBatcher(t, m)
	b.join() // the idle generator
	defer b.leave()
	s := m.T.NewState(16, false)
	lg := make([]float32, m.LogitsSize())
	r := newStepRequest()
	r.states, r.ids, r.logits, r.joined = []*decoder.State{s}, []int{3}, [][]float32{lg}, true
	b.join()
	defer b.leave()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- b.step(r) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited < batchWait {
			t.Fatalf("the step ran after %v, before the other generator had batchWait (%v) to join it", waited, batchWait)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a step waited for a generator that never asked")
	}
}

// TestBatcherNoAllocs: a decode step of a conversation in a batch
// allocates nothing in steady state.
func TestBatcherNoAllocs(t *testing.T) {
	if raceBuild() {
		t.Skip("the race detector allocates")
	}
	m := loadModel(t, motDir, model.Options{})
	c, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	c.Batcher = newTestBatcher(t, m)
	if err := c.AddUser("hello", nil); err != nil {
		t.Fatal(err)
	}
	c.replyTurn = len(c.turns)
	c.turns = append(c.turns, Turn{Role: Agent, Start: len(c.tokens), End: len(c.tokens)})
	c.batchJoin()
	defer c.batchLeave()
	step := func() {
		if err := c.feed(5); err != nil {
			t.Fatal(err)
		}
		c.tokens = c.tokens[:len(c.tokens)-1] // keep the history short
		c.turns[c.replyTurn].End = len(c.tokens)
		c.cached = len(c.tokens)
		c.state.Truncate(c.cached)
	}
	step()
	if allocs := testing.AllocsPerRun(50, step); allocs > 0 {
		t.Fatalf("a batched decode step allocates %.1f times", allocs)
	}
}

// TestBatcherRefusesJanus: Janus steps are not batched across
// conversations; NewBatcher says so.
func TestBatcherRefusesJanus(t *testing.T) {
	if _, err := NewBatcher(loadJanusTiny(t)); err == nil {
		t.Fatal("a Janus model got a Batcher")
	}
}

// BenchmarkBatcher measures decode throughput of 1, 2 and 4 conversations
// generating at once on one model, each stepping alone ("alone") or
// through a Batcher ("batched"), in alternating rounds. The model is
// $CHATUMM_BATCH_MODEL (a checkpoint directory or GGUF file, e.g. a 1B
// model, whose weights do not fit the caches; "random-small" writes a
// random one of about 25 MiB, and "embedded" is the embedded model, both
// of which do); $CHATUMM_BATCH_TOKENS tokens
// per reply (default 16), $CHATUMM_BATCH_ROUNDS rounds (default 2).
// tok/s counts decode steps of all conversations together, tok/s/slot
// those of one.
func BenchmarkBatcher(b *testing.B) {
	path := os.Getenv("CHATUMM_BATCH_MODEL")
	if path == "" {
		b.Skip("set CHATUMM_BATCH_MODEL to a checkpoint")
	}
	if path == "random-small" {
		path = randomCheckpoint(b, 512, 4, 1408) // about 25 MiB of f16 weights
	}
	tokens, rounds := 16, 2
	fmt.Sscan(os.Getenv("CHATUMM_BATCH_TOKENS"), &tokens)
	fmt.Sscan(os.Getenv("CHATUMM_BATCH_ROUNDS"), &rounds)
	opts := model.Options{Pool: runtime.NewPool(0), Context: 512}
	var m *model.Model
	var err error
	if path == "embedded" {
		m, err = embedded.Load(opts)
	} else {
		m, err = model.Load(path, opts)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	bat, err := NewBatcher(m)
	if err != nil {
		b.Fatal(err)
	}
	defer bat.Close()
	b.Logf("%s: %d MiB of weights per step, %d threads, BatchingPays %v", path, StepWeightBytes(m.T)>>20, m.Pool.Threads(), BatchingPays(m))
	const maxSlots = 4
	convs := make([]*Conversation, maxSlots)
	for k := range convs {
		if convs[k], err = New(m); err != nil {
			b.Fatal(err)
		}
	}
	for round := 1; round <= rounds; round++ {
		for _, slots := range []int{1, 2, 4} {
			for _, mode := range []string{"alone", "batched"} {
				b.Run(fmt.Sprintf("round=%d/slots=%d/%s", round, slots, mode), func(b *testing.B) {
					var gen time.Duration
					f0, r0 := bat.Stats()
					for i := 0; i < b.N; i++ {
						var wg sync.WaitGroup
						errs := make([]error, slots)
						ready := make(chan struct{})
						var start time.Time
						for k := 0; k < slots; k++ {
							c := convs[k]
							c.Reset()
							c.Batcher = nil
							if mode == "batched" {
								c.Batcher = bat
							}
							if err := c.AddUser(fmt.Sprintf("tell me a story about the number %d", k), nil); err != nil {
								b.Fatal(err)
							}
							if err := c.sync(); err != nil {
								b.Fatal(err)
							}
						}
						start = time.Now()
						for k := 0; k < slots; k++ {
							wg.Add(1)
							go func() {
								defer wg.Done()
								<-ready
								_, errs[k] = convs[k].Reply(context.Background(), sample.New(uint64(k)), GenOptions{MaxTokens: tokens, Text: sample.Params{Temperature: 1}}, nil)
							}()
						}
						close(ready)
						wg.Wait()
						gen += time.Since(start)
						for k, err := range errs {
							if err != nil {
								b.Fatalf("slot %d: %v", k, err)
							}
						}
					}
					produced := 0 // decode steps: the reply's tokens but its closing one
					for k := 0; k < slots; k++ {
						t := convs[k].Turns()[len(convs[k].Turns())-1]
						produced += t.End - t.Start - 1
					}
					f1, r1 := bat.Stats()
					b.Logf("%d decode steps in %v; %d batched forwards of %d rows", produced, gen, f1-f0, r1-r0)
					perIter := gen.Seconds() / float64(b.N)
					b.ReportMetric(float64(produced)/perIter, "tok/s")
					b.ReportMetric(float64(produced)/perIter/float64(slots), "tok/s/slot")
				})
			}
		}
	}
}

// raceBuild reports a test binary built with -race, whose detector
// allocates.
func raceBuild() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
