package chat

import (
	"context"
	"errors"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/randmodel"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/weights"
)

// TestTextOnlyModel: a vocabulary without image tokens loads, chats in
// text, and refuses images with ErrNoImages instead of failing at load.
func TestTextOnlyModel(t *testing.T) {
	dir := t.TempDir()
	spec := randmodel.Spec{Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 96, Vocab: 400, ImageCodes: 0, MaxPos: 128, DType: weights.F16}
	if err := randmodel.Write(dir, spec, 2); err != nil {
		t.Fatal(err)
	}
	m := loadModel(t, dir, model.Options{})
	if m.CanDrawImages() || m.CanReadImages() {
		t.Fatal("a text-only model claims images")
	}
	c, _ := New(m)
	if err := c.AddUser("hello", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reply(context.Background(), sample.New(1), GenOptions{MaxTokens: 4, Images: true}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.AddUser("look", []Image{{Codes: make([]int, 4)}}); !errors.Is(err, ErrNoImages) {
		t.Fatalf("an image for a text-only model: %v, want ErrNoImages", err)
	}
	if _, err := c.Reply(context.Background(), sample.New(1), GenOptions{StartImage: true}, nil); !errors.Is(err, ErrNoImages) {
		t.Fatalf("drawing with a text-only model: %v, want ErrNoImages", err)
	}
}
