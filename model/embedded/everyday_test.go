//go:build quality

package embedded

import (
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
)

// Everyday language (issue 27). The requests below are written for these
// tests, apart from the training generator (tools/world/natural.py) and the
// dev set (tools/eval/nl_devset.py); each names some attributes and leaves
// the rest to the model. The rates asked for are the shipped model's
// measured ones minus a stated margin (docs/experiments.md, run s36:
// drawings 15 of 16, edits 9 of 10, talk 7 of 7; asked: 11, 7 and all).

// wanted is what a picture must show: every named attribute of each object
// ("" = the model's choice), the background if named, and exactly that many
// objects.
type wanted struct {
	background string
	objects    []sceneObject
}

func (w wanted) matchedBy(got scene) bool {
	if (w.background != "" && got.background != w.background) || len(got.objects) != len(w.objects) {
		return false
	}
	used := make([]bool, len(got.objects))
	var match func(i int) bool
	match = func(i int) bool {
		if i == len(w.objects) {
			return true
		}
		for j, g := range got.objects {
			if !used[j] && fits(w.objects[i], g) {
				used[j] = true
				if match(i + 1) {
					return true
				}
				used[j] = false
			}
		}
		return false
	}
	return match(0)
}

func fits(w, g sceneObject) bool {
	same := func(a, b string) bool { return a == "" || a == b }
	return same(w.size, g.size) && same(w.color, g.color) && same(w.shape, g.shape) && same(w.position, g.position)
}

// drawCase is a request in a fresh conversation and what its picture must show.
type drawCase struct {
	ask  string
	want wanted
}

// drawsAtLeast asks each case in a fresh conversation, counts the replies
// that are one picture matching the case (logging the others), and fails
// when fewer than atLeast are; what names the requests in the messages.
func drawsAtLeast(t *testing.T, m *model.Model, cases []drawCase, atLeast int, what string) {
	t.Helper()
	right := 0
	for _, c := range cases {
		conv, err := chat.New(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := conv.AddUser(c.ask, nil); err != nil {
			t.Fatal(err)
		}
		tr := reply(t, conv)
		if len(tr.Images) != 1 {
			t.Logf("%q: %q with %d pictures", c.ask, tr.Text, len(tr.Images))
			continue
		}
		if got := drawnScene(t, m, tr); c.want.matchedBy(got) {
			right++
		} else {
			t.Logf("%q drew %q", c.ask, got)
		}
	}
	if right < atLeast {
		t.Errorf("%d of %d %s drawn right, want at least %d", right, len(cases), what, atLeast)
	}
	t.Logf("%d of %d %s drawn right", right, len(cases), what)
}

// TestDrawsEverydayRequests: drawing requests in everyday words (upper
// case, no full stop, British spellings, synonyms, plurals, attributes left
// out) give a picture of what they name.
func TestDrawsEverydayRequests(t *testing.T) {
	m := testModel(t)
	cases := []drawCase{
		{"DRAW A BIG WHITE SQUARE", wanted{"", []sceneObject{{"big", "white", "square", ""}}}},
		{"draw a red circle", wanted{"", []sceneObject{{"", "red", "circle", ""}}}},
		{"Draw a circle.", wanted{"", []sceneObject{{"", "", "circle", ""}}}},
		{"can you draw a pink diamond?", wanted{"", []sceneObject{{"", "pink", "diamond", ""}}}},
		{"a blue square please", wanted{"", []sceneObject{{"", "blue", "square", ""}}}},
		{"draw a big red circle on a gray background.", wanted{"gray", []sceneObject{{"big", "red", "circle", ""}}}},
		{"Could you sketch a tiny yellow diamond for me?", wanted{"", []sceneObject{{"small", "yellow", "diamond", ""}}}},
		{"paint a blue triangle in the centre on a grey background", wanted{"gray", []sceneObject{{"", "blue", "triangle", "center"}}}},
		{"i'd like a triangle", wanted{"", []sceneObject{{"", "", "triangle", ""}}}},
		{"two pink squares please", wanted{"", []sceneObject{{"", "pink", "square", ""}, {"", "pink", "square", ""}}}},
		{"render three small circles", wanted{"", []sceneObject{{"small", "", "circle", ""}, {"small", "", "circle", ""}, {"small", "", "circle", ""}}}},
		{"a red square and a yellow circle", wanted{"", []sceneObject{{"", "red", "square", ""}, {"", "yellow", "circle", ""}}}},
		{"Create a purple diamond at the top right", wanted{"", []sceneObject{{"", "purple", "diamond", "top right"}}}},
		{"draw a green square on navy", wanted{"navy", []sceneObject{{"", "green", "square", ""}}}},
		{"make me a white circle against a brown background", wanted{"brown", []sceneObject{{"", "white", "circle", ""}}}},
		{"show me a yellow triangle at the bottom", wanted{"", []sceneObject{{"", "yellow", "triangle", "bottom middle"}}}},
	}
	drawsAtLeast(t, m, cases, 11, "everyday drawing requests")
}

// TestDrawsEveryPair: the four shape/colour pairs the world once held out of
// training (tools/world/world.py HELD_OUT) are drawn when asked for; run s36's
// tails trained on them (train.py --all-pairs), since a person asking for an
// orange diamond wants one. Measured: 5 of 8 (s33, which never saw them: 0;
// s36n, a candidate whose last tail kept --all-pairs: 8, docs/experiments.md);
// asked: 3, a margin of two pictures.
func TestDrawsEveryPair(t *testing.T) {
	m := testModel(t)
	cases := []drawCase{
		{"draw an orange diamond", wanted{"", []sceneObject{{"", "orange", "diamond", ""}}}},
		{"Paint a big orange diamond on a black background", wanted{"black", []sceneObject{{"big", "orange", "diamond", ""}}}},
		{"could you paint a green circle?", wanted{"", []sceneObject{{"", "green", "circle", ""}}}},
		{"i'd like a small green circle in the centre", wanted{"", []sceneObject{{"small", "green", "circle", "center"}}}},
		{"a white triangle please", wanted{"", []sceneObject{{"", "white", "triangle", ""}}}},
		{"draw a white triangle at the top left", wanted{"", []sceneObject{{"", "white", "triangle", "top left"}}}},
		{"sketch a purple square", wanted{"", []sceneObject{{"", "purple", "square", ""}}}},
		{"can you draw a purple square on a grey background?", wanted{"gray", []sceneObject{{"", "purple", "square", ""}}}},
	}
	drawsAtLeast(t, m, cases, 3, "requests for the once held-out pairs")
}

// TestEditsInEverydayWords: after the model's picture, a follow-up with a
// pronoun or an ellipsis ("make it bigger", "now blue", "move it left") or
// a synonym ("get rid of") gives exactly the edited scene. "move it left"
// keeps the row and goes to the left column.
func TestEditsInEverydayWords(t *testing.T) {
	m := testModel(t)
	one := func(bg, size, color, shape, pos string) scene {
		return scene{bg, []sceneObject{{size, color, shape, pos}}}
	}
	two := scene{"navy", []sceneObject{{"big", "red", "circle", "top left"}, {"small", "yellow", "square", "bottom right"}}}
	cases := []struct {
		ask, edit string
		before    scene
		want      string
	}{
		{"draw a small red circle", "make it bigger", one("black", "small", "red", "circle", "center"),
			one("black", "big", "red", "circle", "center").String()},
		{"draw a small red circle", "now blue", one("black", "small", "red", "circle", "center"),
			one("black", "small", "blue", "circle", "center").String()},
		{"draw a small red circle", "move it left", one("black", "small", "red", "circle", "center"),
			one("black", "small", "red", "circle", "middle left").String()},
		{"draw a small red circle", "make the circle blue", one("black", "small", "red", "circle", "center"),
			one("black", "small", "blue", "circle", "center").String()},
		{"a big green triangle at the top right", "make it smaller", one("gray", "big", "green", "triangle", "top right"),
			one("gray", "small", "green", "triangle", "top right").String()},
		{"a big white square", "paint it pink", one("brown", "big", "white", "square", "center"),
			one("brown", "big", "pink", "square", "center").String()},
		{"draw a blue diamond at the bottom", "move it up", one("black", "small", "blue", "diamond", "bottom middle"),
			one("black", "small", "blue", "diamond", "top middle").String()},
		{"a big white square", "change the background to grey", one("brown", "big", "white", "square", "center"),
			one("gray", "big", "white", "square", "center").String()},
		{"a red circle and a yellow square", "get rid of the square", two,
			one("navy", "big", "red", "circle", "top left").String()},
		{"a red circle and a yellow square", "delete the circle", two,
			one("navy", "small", "yellow", "square", "bottom right").String()},
	}
	right := 0
	for _, c := range cases {
		conv, err := chat.New(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := conv.AddUser(c.ask, nil); err != nil {
			t.Fatal(err)
		}
		im := sceneImage(t, m, c.before)
		if err := conv.AddModelTurn([]chat.Part{{Image: &im}}); err != nil {
			t.Fatal(err)
		}
		if err := conv.AddUser(c.edit, nil); err != nil {
			t.Fatal(err)
		}
		tr := reply(t, conv)
		if len(tr.Images) != 1 {
			t.Logf("%q: %q with %d pictures", c.edit, tr.Text, len(tr.Images))
			continue
		}
		if got := drawnScene(t, m, tr); got.String() == c.want {
			right++
		} else {
			t.Logf("%q on %q drew %q, want %q", c.edit, c.before, got, c.want)
		}
	}
	if right < 7 {
		t.Errorf("%d of %d everyday edits right, want at least 7", right, len(cases))
	}
	t.Logf("%d of %d everyday edits right", right, len(cases))
}

// TestTalksAboutItself: small talk gets a short answer that says what the
// model draws, thanks get no refusal, and a question about a picture before
// there is one gets "there is no picture yet"; none of them a picture.
func TestTalksAboutItself(t *testing.T) {
	m := testModel(t)
	for _, c := range []struct{ ask, want string }{
		{"Hello!", "draw"}, {"what can you do?", "draw"}, {"help", "draw"}, {"who are you?", "draw"},
		{"describe the picture.", "no picture"}, {"What colour is the circle?", "no picture"},
		{"thanks!", ""},
	} {
		conv, err := chat.New(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := conv.AddUser(c.ask, nil); err != nil {
			t.Fatal(err)
		}
		tr := reply(t, conv)
		text := strings.TrimSpace(tr.Text)
		if len(tr.Images) != 0 || text == "" || !strings.Contains(text, c.want) || strings.Contains(text, "sorry") {
			t.Errorf("%q: %q with %d pictures, want a text naming %q", c.ask, tr.Text, len(tr.Images), c.want)
		}
	}
}
