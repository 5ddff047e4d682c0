package chat

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/imageio"
	"github.com/chatumm/chatumm/model/randmodel"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
)

func loadJanusTiny(t *testing.T) *model.Model {
	t.Helper()
	dir := t.TempDir()
	if err := randmodel.WriteJanus(dir, randmodel.JanusShapes["janus-tiny"], 3); err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(dir, model.Options{Pool: runtime.NewPool(2), F32KV: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestJanusDrawSingleTurn: a drawing request is Janus's generation prompt
// (template, no system prompt, <begin_of_image>), and the guided greedy
// codes are those of Janus's two-row loop written out here: cond = the
// prompt, uncond = BOS, pads, <begin_of_image>; mixed = u + 5·(c − u);
// each code fed to both rows.
func TestJanusDrawSingleTurn(t *testing.T) {
	m := loadJanusTiny(t)
	c, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddUserDrawing("a red cat", nil); err != nil {
		t.Fatal(err)
	}
	prompt := append([]int{m.Proto.BOS}, m.Tok.Encode("<|User|>: a red cat\n\n<|Assistant|>:", false)...)
	if got := c.Tokens(); !equalInts(got, prompt) {
		t.Fatalf("prompt %v, want %v", got, prompt)
	}
	g, _ := model.GuidanceByName("janus")
	turn, err := c.Reply(context.Background(), sample.New(1), GenOptions{StartImage: true, Guidance: g, TextScale: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(turn.Images) != 1 || len(turn.Images[0].Codes) != m.ImageTokens() {
		t.Fatalf("reply images %+v", turn.Images)
	}

	// Janus's loop, by hand.
	cond := append(append([]int(nil), prompt...), m.Proto.Image.Begin)
	uncond := make([]int, len(cond))
	for i := range uncond {
		uncond[i] = m.Proto.Pad
	}
	uncond[0], uncond[len(cond)-1] = cond[0], cond[len(cond)-1]
	V, W := m.Cfg.VocabSize, m.LogitsSize()
	states := []*decoder.State{m.NewState(), m.NewState()}
	logits := [][]float32{make([]float32, W), make([]float32, W)}
	for i, ids := range [][]int{cond, uncond} {
		if err := m.Prefill(states[i], ids, nil, logits[i], false); err != nil {
			t.Fatal(err)
		}
	}
	for step, got := range turn.Images[0].Codes {
		best, bestV := -1, float32(0)
		for k := 0; k < m.Cfg.Janus.Codes; k++ {
			u := logits[1][V+k]
			v := u + 5*(logits[0][V+k]-u)
			if best < 0 || v > bestV {
				best, bestV = k, v
			}
		}
		if got != best {
			t.Fatalf("step %d: code %d, Janus's loop draws %d", step, got, best)
		}
		if err := m.StepBatch(states, []int{V + best, V + best}, logits); err != nil {
			t.Fatal(err)
		}
	}
	// The history ends with the block and the end of the turn.
	toks := c.Tokens()
	if n := len(toks); toks[n-1] != m.Proto.EOS || toks[n-2] != m.Proto.Image.End {
		t.Fatalf("history ends %v", toks[len(toks)-3:])
	}
}

// TestJanusTextTurns: a text dialogue opens with the system prompt, never
// starts a picture by itself, and goes on after a drawn one (the codes
// stay in the history while no vision tower can read them).
func TestJanusTextTurns(t *testing.T) {
	m := loadJanusTiny(t)
	c, _ := New(m)
	if err := c.AddUser("hello", nil); err != nil {
		t.Fatal(err)
	}
	tpl := m.Proto.Template
	want := append([]int{m.Proto.BOS}, m.Tok.Encode(tpl.System+"\n\n<|User|>: hello\n\n<|Assistant|>:", false)...)
	if !equalInts(c.Tokens(), want) {
		t.Fatalf("first turn %v, want %v", c.Tokens(), want)
	}
	turn, err := c.Reply(context.Background(), sample.New(1), GenOptions{MaxTokens: 8, Images: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(turn.Images) != 0 {
		t.Fatal("Janus started a picture by itself")
	}
	for _, id := range c.Tokens() {
		if id == m.Proto.Image.Begin {
			t.Fatal("<begin_of_image> in a text reply")
		}
	}
	if err := c.AddUserDrawing("a dog", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reply(context.Background(), sample.New(1), GenOptions{StartImage: true}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.AddUser("what is it?", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reply(context.Background(), sample.New(1), GenOptions{MaxTokens: 4}, nil); err != nil {
		t.Fatal(err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestJanusReenterDrawn: when the dialogue goes on past a drawn picture,
// its codes in the history become a placeholder run holding the features
// of the decoded picture read by the vision tower, and the cache then
// holds exactly what a fresh prefill of that history computes.
func TestJanusReenterDrawn(t *testing.T) {
	m, err := model.Load("../../testdata/ref/janus-a", model.Options{Pool: runtime.NewPool(2), F32KV: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, _ := New(m)
	if err := c.AddUserDrawing("a red cat", nil); err != nil {
		t.Fatal(err)
	}
	g, _ := model.GuidanceByName("janus")
	turn, err := c.Reply(context.Background(), sample.New(1), GenOptions{StartImage: true, Guidance: g, TextScale: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	codes := turn.Images[0].Codes
	if err := c.AddUser("what is it?", nil); err != nil {
		t.Fatal(err)
	}
	drawn := c.Turns()[1]
	f := &m.Proto.Image
	N, D := m.Cfg.Janus.ImageTokens, m.Cfg.Dim
	if len(drawn.Images) != 1 || len(drawn.Images[0].Features) != N*D || !equalInts(drawn.Images[0].Codes, codes) {
		t.Fatalf("the drawn picture was not re-read: %d feature values", len(drawn.Images[0].Features))
	}
	toks := c.Tokens()
	at := -1
	for i, id := range toks[drawn.Start:drawn.End] {
		if id == f.Begin {
			at = drawn.Start + i
		}
		if m.IsImageToken(id) {
			t.Fatal("code ids left in the history after re-entry")
		}
	}
	for k := 1; k <= N; k++ {
		if toks[at+k] != f.Placeholder {
			t.Fatalf("token %d after <begin_of_image> is %d, want the placeholder", k, toks[at+k])
		}
	}
	if toks[at+N+1] != f.End || toks[at+N+2] != m.Proto.EOS {
		t.Fatalf("the block ends %v", toks[at+N+1:at+N+3])
	}
	png, err := m.DecodeImagePNG(codes, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	pic, err := imageio.DecodeImage(png)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := m.ImageFeatures(pic)
	if err != nil {
		t.Fatal(err)
	}
	vecs := make([][]float32, len(toks))
	for k := 0; k < N; k++ {
		vecs[at+1+k] = feats[k*D : (k+1)*D]
	}
	want := make([]float32, m.LogitsSize())
	if err := m.Prefill(m.NewState(), toks, vecs, want, false); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < m.Cfg.VocabSize; k++ {
		if d := want[k] - c.logits[k]; d > 1e-4 || d < -1e-4 {
			t.Fatalf("logit %d after re-entry: %g, fresh prefill %g", k, c.logits[k], want[k])
		}
	}
	if _, err := c.Reply(context.Background(), sample.New(1), GenOptions{MaxTokens: 4}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestJanusNeverWritesPlaceholders: a text reply never contains
// <image_placeholder>, even when the logits favour it most.
func TestJanusNeverWritesPlaceholders(t *testing.T) {
	m := loadJanusTiny(t)
	c, _ := New(m)
	ph := m.Proto.Image.Placeholder
	if !c.masks.text.Deny[ph] || !c.masks.textNoImage.Deny[ph] {
		t.Fatal("text masks allow <image_placeholder>")
	}
	logits := make([]float32, m.LogitsSize())
	logits[ph], logits[40] = 100, 1
	tok, err := c.sample(sample.New(1), logits, nil, sample.Params{}, &c.masks.textNoImage)
	if err != nil || tok != 40 {
		t.Fatalf("sampled %d (%v), want 40", tok, err)
	}
}

// TestJanusEvictionKeepsFeatures: in a long dialogue of pictures read and
// drawn, eviction drops whole turns with their features, so every
// placeholder left still has its row: after each turn the cache holds what
// a fresh prefill of the history computes.
func TestJanusEvictionKeepsFeatures(t *testing.T) {
	m, err := model.Load("../../testdata/ref/janus-b", model.Options{Pool: runtime.NewPool(2), F32KV: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	feats, err := m.ReadImageFeatures("../../testdata/ref/janus-b/image.png")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := New(m)
	c.Evict = EvictOldest
	g, _ := model.GuidanceByName("janus")
	D := m.Cfg.Dim
	for turn := 0; turn < 14; turn++ {
		if turn%3 == 2 {
			if err := c.AddUserDrawing("a cat", nil); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Reply(context.Background(), sample.New(1), GenOptions{StartImage: true, Guidance: g, TextScale: 5}, nil); err != nil {
				t.Fatalf("turn %d: %v", turn, err)
			}
			continue
		}
		text := "and this?"
		if turn == 0 {
			text = "first"
		}
		if err := c.AddUser(text, []Image{{Features: feats}}); err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
		// The cache against a fresh prefill of the history.
		vecs, err := c.inputVectors(0, len(c.tokens))
		if err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
		n := 0
		for _, v := range vecs {
			if v != nil {
				if len(v) != D {
					t.Fatalf("a feature row of %d values", len(v))
				}
				n++
			}
		}
		want := make([]float32, m.LogitsSize())
		if err := m.Prefill(m.NewState(), c.tokens, vecs, want, false); err != nil {
			t.Fatal(err)
		}
		for k := 0; k < m.Cfg.VocabSize; k++ {
			if d := want[k] - c.logits[k]; d > 1e-4 || d < -1e-4 {
				t.Fatalf("turn %d (%d placeholders): logit %d %g, fresh prefill %g", turn, n, k, c.logits[k], want[k])
			}
		}
		if _, err := c.Reply(context.Background(), sample.New(1), GenOptions{MaxTokens: 3}, nil); err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
	}
	if c.Turns()[0].Text == "first" {
		t.Fatal("nothing was evicted: the test did not exercise eviction")
	}
}

// TestJanusUserTurnWithPicture: a user turn with a picture is the
// reference's understanding prompt (the block, a newline, the question,
// the assistant tag), after the system prompt that opens a dialogue
// answered in text.
func TestJanusUserTurnWithPicture(t *testing.T) {
	m, err := model.Load("../../testdata/ref/janus-a", model.Options{Pool: runtime.NewPool(1)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var exp struct {
		Understanding struct {
			IDs []int `json:"ids"`
		} `json:"understanding"`
	}
	data, err := os.ReadFile("../../testdata/ref/janus-a/expected/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	feats, err := m.ReadImageFeatures("../../testdata/ref/janus-a/image.png")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := New(m)
	got, err := c.UserTokens("Describe this picture.", []Image{{Features: feats}})
	if err != nil {
		t.Fatal(err)
	}
	want := append(m.Tok.Encode(m.Proto.Template.System+"\n\n", false), exp.Understanding.IDs[1:]...)
	if !equalInts(got, want) {
		t.Fatalf("user turn\n%v\nwant\n%v", got, want)
	}
}

// TestJanusGuidanceReusesItsCache: a second picture in a dialogue reuses
// the unconditional sequence's cache of the pads it shares with the first
// one's, and draws what a guidance prefilled from scratch draws.
func TestJanusGuidanceReusesItsCache(t *testing.T) {
	m, err := model.Load("../../testdata/ref/janus-b", model.Options{Pool: runtime.NewPool(2), F32KV: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	g, _ := model.GuidanceByName("janus")
	draw := GenOptions{StartImage: true, Guidance: g, TextScale: 5}
	var second [2][]int
	for k := range second {
		c, _ := New(m)
		for _, step := range []string{"draw:a cat", "text:nice", "draw:a dog"} {
			kind, text, _ := strings.Cut(step, ":")
			o := GenOptions{MaxTokens: 3}
			add := c.AddUser
			if kind == "draw" {
				o, add = draw, c.AddUserDrawing
			}
			if err := add(text, nil); err != nil {
				t.Fatal(err)
			}
			if step == "draw:a dog" {
				if k == 1 {
					c.guide = nil // from scratch
				} else if kept := commonPrefix(c.guide.ctx[0], g.Contexts(&m.Proto, append(c.Tokens(), m.Proto.Image.Begin), len(c.Tokens()), m.IsImageToken)[0]); kept < 10 {
					t.Fatalf("the new unconditional sequence shares only %d tokens with the old", kept)
				}
			}
			turn, err := c.Reply(context.Background(), sample.New(1), o, nil)
			if err != nil {
				t.Fatal(err)
			}
			if step == "draw:a dog" {
				second[k] = turn.Images[0].Codes
			}
		}
	}
	if !equalInts(second[0], second[1]) {
		t.Fatalf("reused guidance drew %v, from scratch %v", second[0], second[1])
	}
}
