//go:build quality

package embedded

// Quality tests of the embedded model (`make test-quality`, or
// `go test -tags quality ./model/embedded`; CHATUMM_TEST_MODEL=DIR checks a
// candidate export before it is embedded). They assert what one trained model
// says and draws, which a retrain may legitimately move; the correctness of the
// runtime is tested without the tag (e2e_test.go and the golden tests). The
// rate tests ask for the benchmark's measured accuracy minus a stated margin;
// the exact-answer tests pin replies the shipped model gives and must be
// re-checked (and their cases re-picked if need be) when the model changes.

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model/imageio"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
)

// sceneImage renders s and encodes it with the model's VQ-GAN.
func sceneImage(t *testing.T, m *model.Model, s scene) chat.Image {
	t.Helper()
	codes, _, err := m.VQ.Encode(imageio.Preprocess(renderScene(s), m.VQ.Cfg.Resolution))
	if err != nil {
		t.Fatal(err)
	}
	return chat.Image{Codes: codes}
}

// drawnScene decodes the reply's only picture and parses it.
func drawnScene(t *testing.T, m *model.Model, turn chat.Turn) scene {
	t.Helper()
	if len(turn.Images) != 1 {
		t.Fatalf("reply %q has %d pictures, want 1", turn.Text, len(turn.Images))
	}
	png, err := m.DecodeImagePNG(turn.Images[0].Codes, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseScenePNG(png)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAnswersAboutInputImages drives the embedded model end to end — VQ
// encode, prefill, greedy decoding — on held-out pictures whose scenes the
// world's parser gives (tools/world), asking about the background and the
// object count.
func TestAnswersAboutInputImages(t *testing.T) {
	m := testModel(t)
	cases := []struct{ image, question, want string }{
		{"img_006927dc", "what color is the background?", "navy."},
		{"img_3862bb55", "what color is the background?", "navy."},
		{"img_169d6316", "what color is the background?", "brown."},
		{"img_993e1aa2", "what color is the background?", "navy."},
		{"img_006927dc", "how many objects are there?", "one."},
		{"img_3862bb55", "how many objects are there?", "three."},
	}
	for _, c := range cases {
		codes, err := m.EncodeImageFile("testdata/images/" + c.image + ".png")
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
		turn := reply(t, conv)
		if got := strings.TrimSpace(turn.Text); got != c.want || len(turn.Images) != 0 {
			t.Errorf("%s %q: got %q (%d images), want %q", c.image, c.question, got, len(turn.Images), c.want)
		}
	}
}

// TestDrawsARedCircle: "draw a red circle" gives a picture that the world's
// scene parser reads as exactly that.
func TestDrawsARedCircle(t *testing.T) {
	m := testModel(t)
	cases := []struct {
		prompt string
		want   scene
	}{
		{"draw a big red circle in the center on a gray background.",
			scene{"gray", []sceneObject{{"big", "red", "circle", "center"}}}},
		{"draw a small red circle at the top left on a black background.",
			scene{"black", []sceneObject{{"small", "red", "circle", "top left"}}}},
		{"please draw a big red circle at the bottom right on a navy background.",
			scene{"navy", []sceneObject{{"big", "red", "circle", "bottom right"}}}},
	}
	for _, c := range cases {
		conv, err := chat.New(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := conv.AddUser(c.prompt, nil); err != nil {
			t.Fatal(err)
		}
		if got := drawnScene(t, m, reply(t, conv)); got.String() != c.want.String() {
			t.Errorf("%q drew %q", c.prompt, got)
		}
	}
}

// heldOutDialogue is one dialogue of testdata/heldout.json: the part of the
// held-out test set (tools/eval/testset.json, never seen in training) these
// tests use, copied by tools/eval/test_fixture.py.
type heldOutDialogue struct {
	Category string `json:"category"`
	Depth    int    `json:"depth"`
	Turns    []struct {
		Role   string   `json:"role"`
		Text   string   `json:"text"`
		Images []string `json:"images"`
		Expect struct {
			Text   []string `json:"text"`
			Scenes []struct {
				Background string `json:"background"`
				Objects    []struct {
					Shape, Color, Size, Position string
				} `json:"objects"`
			} `json:"scenes"`
		} `json:"expect"`
	} `json:"turns"`
}

// runHeldOut plays a held-out dialogue as the eval does (tools/eval/
// eval_binary.py): user turns as written, every model turn but the last
// given as its reference (text, then the reference picture, then the rest of
// the text), the last one generated greedily. It reports whether that reply
// is right and what it was.
func runHeldOut(t *testing.T, m *model.Model, d heldOutDialogue) (bool, string) {
	t.Helper()
	conv, err := chat.New(m)
	if err != nil {
		t.Fatal(err)
	}
	last := len(d.Turns) - 1
	for i, tn := range d.Turns[:last] {
		if tn.Role == "user" {
			var ims []chat.Image
			for _, p := range tn.Images {
				codes, err := m.EncodeImageFile("testdata/" + p)
				if err != nil {
					t.Fatal(err)
				}
				ims = append(ims, chat.Image{Codes: codes})
			}
			if err := conv.AddUser(tn.Text, ims); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var parts []chat.Part
		texts := tn.Expect.Text
		if len(texts) > 0 {
			parts = append(parts, chat.Part{Text: texts[0]})
			texts = texts[1:]
		}
		for _, sc := range tn.Expect.Scenes {
			im := sceneImage(t, m, expectedScene(sc.Background, sc.Objects))
			parts = append(parts, chat.Part{Image: &im})
		}
		for _, x := range texts {
			parts = append(parts, chat.Part{Text: x})
		}
		if err := conv.AddModelTurn(parts); err != nil {
			t.Fatalf("turn %d: %v", i, err)
		}
	}
	tr := reply(t, conv)
	exp := d.Turns[last].Expect
	gotText := strings.Join(strings.Fields(tr.Text), " ")
	if len(exp.Text) > 0 && gotText != strings.Join(strings.Fields(strings.Join(exp.Text, " ")), " ") {
		return false, fmt.Sprintf("text %q", tr.Text)
	}
	if len(tr.Images) != len(exp.Scenes) {
		return false, fmt.Sprintf("%d pictures (text %q)", len(tr.Images), tr.Text)
	}
	for i, sc := range exp.Scenes {
		png, err := m.DecodeImagePNG(tr.Images[i].Codes, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseScenePNG(png)
		if err != nil {
			t.Fatal(err)
		}
		if want := expectedScene(sc.Background, sc.Objects); got.String() != want.String() {
			return false, fmt.Sprintf("drew %q, want %q", got, want)
		}
	}
	return true, ""
}

func expectedScene(bg string, objs []struct{ Shape, Color, Size, Position string }) scene {
	s := scene{background: bg}
	for _, o := range objs {
		s.objects = append(s.objects, sceneObject{o.Size, o.Color, o.Shape, o.Position})
	}
	return s
}

// TestEditsAShownPicture: held-out dialogues in which the user shows a
// picture and asks for one change (recolor, move, add, remove, resize,
// background); the reply's picture must parse as exactly the edited scene.
// The model is not perfect: the shipped one (s36) edits 94 % of the whole test set
// right (`make eval`, docs/experiments.md). On these first 20 the test asks
// for at least 70 %: the 90 % target of a shipped model minus a 20-point
// margin for 20 samples, so a retrain that still meets the target passes.
func TestEditsAShownPicture(t *testing.T) {
	m := testModel(t)
	right, n := 0, 0
	for i, d := range heldOutSet(t) {
		if d.Category != "edit" || n == 20 {
			continue
		}
		n++
		if ok, why := runHeldOut(t, m, d); ok {
			right++
		} else {
			t.Logf("dialogue %d %q: %s", i, d.Turns[0].Text, why)
		}
	}
	if n < 20 || right*100 < 70*n {
		t.Errorf("%d of %d held-out edits of a shown picture right, want at least 70 %%", right, n)
	}
	t.Logf("%d of %d held-out edits of a shown picture right", right, n)
}

func heldOutSet(t *testing.T) []heldOutDialogue {
	raw, err := os.ReadFile("testdata/heldout.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Dialogues []heldOutDialogue `json:"dialogues"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	return set.Dialogues
}

// TestDistractorTurnsEditTheRightPicture: held-out dialogues in which 1 to 4
// unrelated turns (small talk, other drawings, questions about other
// pictures) come between a picture and a request that refers back to it ("go
// back to the first picture and …", "undo that", "what color was the square
// before i changed it?"). The model is not perfect: the shipped one gets
// 93–95 % of them right at each k on the whole test set (`make eval`,
// docs/experiments.md). On the first 10 per k = 1..4 the test asks for at
// least 70 %: the 85 % target minus a 15-point margin for 40 samples.
func TestDistractorTurnsEditTheRightPicture(t *testing.T) {
	m := testModel(t)
	right, n := 0, 0
	var perDepth [5]int
	for i, d := range heldOutSet(t) {
		if d.Category != "context" || d.Depth == 0 || perDepth[d.Depth] == 10 {
			continue
		}
		perDepth[d.Depth]++
		n++
		ok, why := runHeldOut(t, m, d)
		if ok {
			right++
		} else {
			t.Logf("dialogue %d (k=%d): %s", i, d.Depth, why)
		}
	}
	if n < 40 || right*100 < 70*n {
		t.Errorf("%d of %d held-out dialogues with distractor turns right, want at least 70 %%", right, n)
	}
	t.Logf("%d of %d held-out dialogues with distractor turns right", right, n)
}

// TestOutsideTheWorld: requests the world has no answer for ("draw a cat")
// get a polite text reply from the model, not a crash and not a picture.
func TestOutsideTheWorld(t *testing.T) {
	m := testModel(t)
	for _, c := range []struct{ ask, want string }{
		{"draw a cat.", "sorry, i can only draw squares, circles, triangles and diamonds."},
		{"can you draw a house?", "sorry, i can only draw squares, circles, triangles and diamonds."},
		{"what is the capital of france?", "sorry, i can only draw, describe and edit pictures."},
	} {
		conv, err := chat.New(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := conv.AddUser(c.ask, nil); err != nil {
			t.Fatal(err)
		}
		if tr := reply(t, conv); strings.TrimSpace(tr.Text) != c.want || len(tr.Images) != 0 {
			t.Errorf("%q: %q with %d pictures, want %q", c.ask, tr.Text, len(tr.Images), c.want)
		}
	}
}
