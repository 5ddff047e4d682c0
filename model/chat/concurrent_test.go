package chat

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/sample"
)

// TestConversationsShareOneModel: four conversations on one Model, run in
// parallel goroutines, produce exactly the tokens each produces alone —
// text replies and a guided image (batched steps of several States) — so
// no forward pass writes memory another one reads. Run it with -race.
func TestConversationsShareOneModel(t *testing.T) {
	m := loadModel(t, combinedModel(t), model.Options{}) // a VQ-GAN with a small grid
	anole := model.GuidanceSchemes["anole"]
	dialogue := func(k int) ([]int, error) {
		c, err := New(m)
		if err != nil {
			return nil, err
		}
		smp := sample.New(uint64(10 + k))
		opts := GenOptions{MaxTokens: 8, Images: true, Text: sample.Params{Temperature: 0.8}}
		if k%2 == 1 { // half of them draw a guided image first
			opts.StartImage, opts.Guidance, opts.TextScale, opts.ImageScale = true, anole, 3, 1.2
			opts.Image = sample.Params{Temperature: 1}
		}
		for turn := 0; turn < 2; turn++ {
			if err := c.AddUser(fmt.Sprintf("message %d of dialogue %d", turn, k), nil); err != nil {
				return nil, err
			}
			if _, err := c.Reply(context.Background(), smp, opts, nil); err != nil {
				return nil, err
			}
			opts.StartImage = false
		}
		return slices.Clone(c.Tokens()), nil
	}
	alone := aloneThenTogether(t, 4, "in parallel", func(k int, _ bool) ([]int, error) { return dialogue(k) })
	if slices.Equal(alone[0], alone[1]) {
		t.Fatal("two different dialogues produced the same tokens: the test would not see a mix-up")
	}
}

// aloneThenTogether runs run(k, false) for every k < n one after another,
// then run(k, true) for all of them at once, and fails the test where a
// concurrent run errs or gives other tokens than its lone run (how, says
// what: "in parallel", "batched"). It returns the lone runs' tokens.
func aloneThenTogether(t *testing.T, n int, what string, run func(k int, together bool) ([]int, error)) [][]int {
	t.Helper()
	alone := make([][]int, n)
	for k := range alone {
		var err error
		if alone[k], err = run(k, false); err != nil {
			t.Fatalf("dialogue %d alone: %v", k, err)
		}
	}
	together := make([][]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := 0; k < n; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			together[k], errs[k] = run(k, true)
		}()
	}
	wg.Wait()
	for k := 0; k < n; k++ {
		if errs[k] != nil {
			t.Fatalf("dialogue %d %s: %v", k, what, errs[k])
		}
		if !slices.Equal(alone[k], together[k]) {
			t.Errorf("dialogue %d: its %d tokens %s differ from the %d it produces alone", k, len(together[k]), what, len(alone[k]))
		}
	}
	return alone
}

// meeting returns a function that n goroutines call once each and that
// returns when all n have called it, so that work that takes milliseconds
// overlaps whatever the scheduler does; after 10 s it returns anyway, so a
// goroutine that never calls it cannot hang the others.
func meeting(n int) func() {
	var mu sync.Mutex
	arrived, allIn := 0, make(chan struct{})
	return func() {
		mu.Lock()
		if arrived++; arrived == n {
			close(allIn)
		}
		mu.Unlock()
		select {
		case <-allIn:
		case <-time.After(10 * time.Second):
		}
	}
}
