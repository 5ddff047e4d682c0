package chat

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

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
	const n = 4
	alone := make([][]int, n)
	for k := range alone {
		var err error
		if alone[k], err = dialogue(k); err != nil {
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
			together[k], errs[k] = dialogue(k)
		}()
	}
	wg.Wait()
	for k := 0; k < n; k++ {
		if errs[k] != nil {
			t.Fatalf("dialogue %d in parallel: %v", k, errs[k])
		}
		if !slices.Equal(alone[k], together[k]) {
			t.Errorf("dialogue %d: %d tokens in parallel differ from the %d it produces alone", k, len(together[k]), len(alone[k]))
		}
	}
	if slices.Equal(alone[0], alone[1]) {
		t.Fatal("two different dialogues produced the same tokens: the test would not see a mix-up")
	}
}
