package embedded

import (
	"context"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/sample"
)

// TestAnswersAboutInputImages drives the embedded model end to end — VQ
// encode, prefill, greedy decoding — on held-out pictures whose scenes the
// world's parser gives (tools/world), asking about the background and the
// object count. (Drawing and editing are not yet good enough to test: see
// tools/train/README.md for the measured accuracies.)
func TestAnswersAboutInputImages(t *testing.T) {
	m, err := Load(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cases := []struct{ image, question, want string }{
		{"img_006927dc", "what color is the background?", "navy."},
		{"img_3862bb55", "what color is the background?", "navy."},
		{"img_169d6316", "what color is the background?", "brown."},
		{"img_993e1aa2", "what color is the background?", "navy."},
		{"img_006927dc", "how many objects are there?", "one."},
		{"img_3862bb55", "how many objects are there?", "three."},
	}
	for _, c := range cases {
		codes, err := m.EncodeImageFile("../../tools/eval/images/" + c.image + ".png")
		if err != nil {
			t.Fatal(err)
		}
		conv, err := chat.New(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := conv.AddUser(c.question, []chat.Image{{Codes: codes}}); err != nil {
			t.Fatal(err)
		}
		turn, err := conv.Reply(context.Background(), sample.New(1), chat.GenOptions{MaxTokens: 40, Images: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(turn.Text); got != c.want || len(turn.Images) != 0 {
			t.Errorf("%s %q: got %q (%d images), want %q", c.image, c.question, got, len(turn.Images), c.want)
		}
	}
}

// TestDrawsAnImage: asked to draw, the model opens an image by itself and
// the runtime completes a 6×6 code grid that decodes to a 24×24 PNG.
func TestDrawsAnImage(t *testing.T) {
	m, err := Load(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	conv, _ := chat.New(m)
	if err := conv.AddUser("draw a big red circle in the center on a gray background.", nil); err != nil {
		t.Fatal(err)
	}
	turn, err := conv.Reply(context.Background(), sample.New(1), chat.GenOptions{MaxTokens: 40, Images: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(turn.Images) != 1 || len(turn.Images[0].Codes) != 36 {
		t.Fatalf("reply %q with %d images", turn.Text, len(turn.Images))
	}
	png, err := m.DecodeImagePNG(turn.Images[0].Codes, 0, 0)
	if err != nil || len(png) < 50 {
		t.Fatalf("decode: %v", err)
	}
}
