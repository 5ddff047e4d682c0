package embedded

// The end-to-end tests here check what holds for any trained model the
// runtime can load: it opens an image by itself when asked to draw and
// completes a well-formed code grid. What the shipped model answers — exact
// replies, the pictures it draws, its accuracy on held-out dialogues — is a
// property of one training run that a retrain may legitimately move, so those
// tests live in quality_test.go behind the "quality" build tag
// (`make test-quality`, which CI runs on the embedded model).

import (
	"context"
	"os"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/sample"
)

// testModel is the embedded model, or the export in CHATUMM_TEST_MODEL (a
// candidate checkpoint, checked before it is embedded).
func testModel(t *testing.T) *model.Model {
	t.Helper()
	var m *model.Model
	var err error
	if dir := os.Getenv("CHATUMM_TEST_MODEL"); dir != "" {
		m, err = model.Load(dir, model.Options{})
	} else {
		m, err = Load(model.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// reply generates the model's turn greedily (the embedded model's setting).
func reply(t *testing.T, conv *chat.Conversation) chat.Turn {
	t.Helper()
	turn, err := conv.Reply(context.Background(), sample.New(1), chat.GenOptions{MaxTokens: 40, Images: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return turn
}

// TestDrawsAnImage: asked to draw, the model opens an image by itself and
// the runtime completes a 6×6 code grid that decodes to a 24×24 PNG.
func TestDrawsAnImage(t *testing.T) {
	m := testModel(t)
	conv, _ := chat.New(m)
	if err := conv.AddUser("draw a big red circle in the center on a gray background.", nil); err != nil {
		t.Fatal(err)
	}
	turn := reply(t, conv)
	if len(turn.Images) != 1 || len(turn.Images[0].Codes) != 36 {
		t.Fatalf("reply %q with %d images", turn.Text, len(turn.Images))
	}
	png, err := m.DecodeImagePNG(turn.Images[0].Codes, 0, 0)
	if err != nil || len(png) < 50 {
		t.Fatalf("decode: %v", err)
	}
}
