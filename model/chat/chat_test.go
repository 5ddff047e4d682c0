package chat

import (
	"context"
	"encoding/json"
	"github.com/chatumm/chatumm/model/randmodel"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

const motDir = "../../testdata/ref/chameleon-mot"

func loadModel(t *testing.T, dir string, opts model.Options) *model.Model {
	t.Helper()
	if opts.Pool == nil {
		opts.Pool = runtime.NewPool(2)
	}
	m, err := model.Load(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func greedy() GenOptions { return GenOptions{MaxTokens: 6} }

// TestIncrementalEqualsFullPrefill: after several turns, the logits the
// conversation holds (each turn prefilled on top of the KV cache) match a
// single prefill of the whole history.
func TestIncrementalEqualsFullPrefill(t *testing.T) {
	m := loadModel(t, motDir, model.Options{F32KV: true})
	c, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	smp := sample.New(1)
	for i, msg := range []string{"hello there", "what is red?", "tell me more"} {
		if err := c.AddUser(msg, nil); err != nil {
			t.Fatalf("turn %d: %v", i, err)
		}
		if _, err := c.Reply(context.Background(), smp, greedy(), nil); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	if err := c.AddUser("last one", nil); err != nil {
		t.Fatal(err)
	}
	st := m.T.NewState(0, true)
	full := make([]float32, m.Cfg.VocabSize)
	if err := m.T.Prefill(st, c.Tokens(), full, false); err != nil {
		t.Fatal(err)
	}
	var maxDiff, maxAbs float64
	for i := range full {
		maxDiff = math.Max(maxDiff, math.Abs(float64(full[i]-c.logits[i])))
		maxAbs = math.Max(maxAbs, math.Abs(float64(full[i])))
	}
	if maxDiff > 1e-4*maxAbs+1e-5 {
		t.Fatalf("incremental vs full prefill: max |diff| %g (max |logit| %g)", maxDiff, maxAbs)
	}
	// The stream follows the protocol: <s>, then turns closed by end-of-turn.
	toks := c.Tokens()
	if toks[0] != m.Proto.BOS {
		t.Fatalf("history starts with %d, want <s>", toks[0])
	}
	for i, turn := range c.Turns()[:len(c.Turns())-1] {
		if toks[turn.End-1] != m.Proto.EndOfTurn {
			t.Fatalf("turn %d does not end with the end-of-turn token", i)
		}
	}
}

// TestContextOverflow: by default a turn that does not fit is an error and
// changes nothing; with EvictOldest whole old turns are dropped.
func TestContextOverflow(t *testing.T) {
	m := loadModel(t, motDir, model.Options{Context: 48})
	c, _ := New(m)
	long := strings.Repeat("word ", 60)
	if err := c.AddUser(long, nil); err == nil || !strings.Contains(err.Error(), "context") {
		t.Fatalf("overlong message: %v", err)
	}
	if len(c.Tokens()) != 1 || len(c.Turns()) != 0 {
		t.Fatal("failed AddUser changed the conversation")
	}
	c.Evict = EvictOldest
	for i := 0; i < 12; i++ {
		if err := c.AddUser("tell me about shapes", nil); err != nil {
			t.Fatalf("turn %d with eviction: %v", i, err)
		}
		if _, err := c.Reply(context.Background(), sample.New(1), GenOptions{MaxTokens: 4}, nil); err != nil {
			t.Fatalf("reply %d with eviction: %v", i, err)
		}
		if len(c.Tokens()) > c.Capacity() {
			t.Fatalf("history %d exceeds the context %d", len(c.Tokens()), c.Capacity())
		}
	}
	if c.Tokens()[0] != m.Proto.BOS || c.Turns()[0].Start != 1 {
		t.Fatal("eviction lost the <s> prefix or left a partial turn")
	}
}

// combinedModel builds a checkpoint with the MoT transformer and the tiny
// VQ-GAN of vq-anole (64 codes, an 8×8 grid), for whole interleaved turns.
func combinedModel(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var cfg map[string]any
	readJSON(t, filepath.Join(motDir, "config.json"), &cfg)
	var vq map[string]any
	readJSON(t, "../../testdata/ref/vq-anole/config.json", &vq)
	cfg["vq_config"] = vq["vq_config"]
	b, _ := json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
	tok, _ := os.ReadFile(filepath.Join(motDir, "tokenizer.json"))
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644)
	var all []weights.WriteTensor
	for _, src := range []string{motDir, "../../testdata/ref/vq-anole"} {
		s, err := weights.Open(src, weights.Mmap)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range s.Names() {
			x, _ := s.Tensor(n)
			all = append(all, weights.WriteTensor{Name: n, DType: x.DType, Shape: x.Shape, Data: append([]byte(nil), x.Bytes()...)})
		}
		s.Close()
	}
	if err := weights.WriteSafetensors(filepath.Join(dir, "model.safetensors"), all, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestInterleavedTurn drives a whole text-image-text turn and checks the
// stream: exactly H×W image tokens between begin and end image, codes that
// decode to a PNG, and guidance running in lock-step.
func TestInterleavedTurn(t *testing.T) {
	m := loadModel(t, combinedModel(t), model.Options{})
	if !m.CanDecodeImages() {
		t.Fatal("combined model has no decoder")
	}
	n := m.ImageTokens()
	for _, g := range []model.GuidanceScheme{nil, model.GuidanceSchemes["anole"], model.GuidanceSchemes["lumina"]} {
		c, _ := New(m)
		// An input image as codes, then a request.
		in := make([]int, n)
		for i := range in {
			in[i] = (i * 7) % len(m.IDOfCode)
		}
		if err := c.AddUser("look at this and draw", []Image{{Codes: in}}); err != nil {
			t.Fatal(err)
		}
		o := GenOptions{MaxTokens: 5, Images: true, StartImage: true, Guidance: g, TextScale: 3, ImageScale: 1.2}
		var events []EventKind
		turn, err := c.Reply(context.Background(), sample.New(5), o, func(e Event) { events = append(events, e.Kind) })
		if err != nil {
			t.Fatal(err)
		}
		if len(turn.Images) != 1 || len(turn.Images[0].Codes) != n {
			t.Fatalf("guidance %v: %d images", g, len(turn.Images))
		}
		toks := c.Tokens()[turn.Start:turn.End]
		if toks[0] != m.Proto.Image.Begin || toks[n+1] != m.Proto.Image.End {
			t.Fatalf("guidance %v: image block not delimited: %v", g, toks[:3])
		}
		for i, id := range toks[1 : n+1] {
			if !m.IsImageToken(id) || int(m.CodeOfID[id]) != turn.Images[0].Codes[i] {
				t.Fatalf("guidance %v: token %d of the image is %d", g, i, id)
			}
		}
		png, err := m.DecodeImagePNG(turn.Images[0].Codes, turn.Images[0].Rows, turn.Images[0].Cols)
		if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
			t.Fatalf("decode: %v", err)
		}
		// Continue in text after the image: the next turn works.
		if err := c.AddUser("thanks", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Reply(context.Background(), sample.New(5), GenOptions{MaxTokens: 3}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCancelKeepsConversation: a cancelled reply keeps a closed, usable
// conversation.
func TestCancelKeepsConversation(t *testing.T) {
	m := loadModel(t, combinedModel(t), model.Options{})
	c, _ := New(m)
	c.AddUser("draw", nil)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := c.Reply(ctx, sample.New(1), GenOptions{StartImage: true, Images: true}, func(e Event) {
		if e.Kind == EventImageProgress && e.Done == 3 {
			cancel()
		}
	})
	if err != context.Canceled {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	for _, id := range c.Tokens() {
		if id == m.Proto.Image.Begin {
			t.Fatal("a cancelled image left an unterminated image block")
		}
	}
	if err := c.AddUser("hello again", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reply(context.Background(), sample.New(1), GenOptions{MaxTokens: 3}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestLuminaLayout: with Lumina's layout an input image carries two size
// tokens and an end-of-row token per row, and a drawn image follows the
// same structure with a size the context can hold.
func TestLuminaLayout(t *testing.T) {
	dir := t.TempDir()
	spec := randmodel.Spec{Dim: 64, Layers: 2, Heads: 4, KVHeads: 4, FFN: 96, Vocab: 700, ImageCodes: 64, MaxPos: 400, DType: weights.F16, Lumina: true}
	if err := randmodel.Write(dir, spec, 3); err != nil {
		t.Fatal(err)
	}
	m := loadModel(t, dir, model.Options{VQPath: "../../testdata/ref/vq-anole"})
	if !m.Proto.Image.Sized() {
		t.Fatal("Lumina layout not detected")
	}
	c, _ := New(m)
	in := make([]int, 64)
	ids, err := c.UserTokens("", []Image{{Codes: in}})
	if err != nil {
		t.Fatal(err)
	}
	// <racm3:break> SIZE(4) SIZE(4) 8 × (8 codes, newline) <eoss> <reserved08706>
	if len(ids) != 1+2+8*9+1+1 {
		t.Fatalf("input image block has %d tokens", len(ids))
	}
	if n, ok := m.Proto.Image.SizeOf(ids[1]); !ok || n != 4 || ids[1+2+8] != m.Proto.Image.RowEnd {
		t.Fatalf("size/newline tokens wrong: %v", ids[:12])
	}
	for _, g := range []model.GuidanceScheme{nil, model.GuidanceSchemes["lumina"]} {
		c.Reset()
		if err := c.AddUser("draw", nil); err != nil {
			t.Fatal(err)
		}
		turn, err := c.Reply(context.Background(), sample.New(2), GenOptions{StartImage: true, Guidance: g, TextScale: 3}, nil)
		if err != nil {
			t.Fatal(err)
		}
		im := turn.Images[0]
		rows, cols := im.Rows, im.Cols
		if rows == 0 {
			rows, cols = 8, 8
		}
		toks := c.Tokens()[turn.Start:turn.End]
		if len(im.Codes) != rows*cols || len(toks) != 3+rows*(cols+1)+1+1 {
			t.Fatalf("guidance %v: %d×%d image, %d codes, %d tokens", g, rows, cols, len(im.Codes), len(toks))
		}
		for r := 0; r < rows; r++ {
			if toks[3+r*(cols+1)+cols] != m.Proto.Image.RowEnd {
				t.Fatalf("row %d not closed by the end-of-row token", r)
			}
		}
		if _, err := m.DecodeImagePNG(im.Codes, rows, cols); err != nil {
			t.Fatal(err)
		}
	}
}

// TestInterleavedTextIsSeparated: the text pieces of a reply that an image
// separates are joined by a newline in Turn.Text (the tokens are unchanged).
func TestInterleavedTextIsSeparated(t *testing.T) {
	m := loadModel(t, combinedModel(t), model.Options{})
	c, _ := New(m)
	if err := c.AddUser("draw", nil); err != nil {
		t.Fatal(err)
	}
	codes := make([]int, m.ImageTokens())
	parts := []Part{{Text: "here it is."}, {Image: &Image{Codes: codes}}, {Text: "a picture."}, {Text: " more"}}
	if err := c.AddModelTurn(parts); err != nil {
		t.Fatal(err)
	}
	turns := c.Turns()
	if got := turns[len(turns)-1].Text; got != "here it is.\na picture. more" {
		t.Fatalf("turn text %q", got)
	}
}

// TestUserTurnOrder: a user turn is its image blocks then its text, or its
// text then its image blocks when the model's config asks for text first.
func TestUserTurnOrder(t *testing.T) {
	dir := t.TempDir()
	spec := randmodel.Spec{Dim: 64, Layers: 1, Heads: 4, KVHeads: 4, FFN: 96, Vocab: 700, ImageCodes: 64, MaxPos: 400, DType: weights.F16}
	if err := randmodel.Write(dir, spec, 5); err != nil {
		t.Fatal(err)
	}
	m := loadModel(t, dir, model.Options{VQPath: "../../testdata/ref/vq-anole"})
	c, _ := New(m)
	in := make([]int, 64)
	for i := range in {
		in[i] = (i * 7) % 64
	}
	text := m.Tok.Encode("where is it?", false)
	imagesFirst, err := c.UserTokens("where is it?", []Image{{Codes: in}})
	if err != nil {
		t.Fatal(err)
	}
	m.Cfg.TextFirst = true
	textFirst, err := c.UserTokens("where is it?", []Image{{Codes: in}})
	if err != nil {
		t.Fatal(err)
	}
	block := len(in) + 2
	if len(imagesFirst) != block+len(text)+1 || len(textFirst) != len(imagesFirst) {
		t.Fatalf("turn lengths %d, %d; want %d", len(imagesFirst), len(textFirst), block+len(text)+1)
	}
	eot := m.Proto.EndOfTurn
	for i, id := range text {
		if imagesFirst[block+i] != id || textFirst[i] != id {
			t.Fatalf("text token %d misplaced: %v / %v", i, imagesFirst, textFirst)
		}
	}
	for i := 0; i < block; i++ {
		if textFirst[len(text)+i] != imagesFirst[i] {
			t.Fatalf("image token %d misplaced: %v / %v", i, imagesFirst, textFirst)
		}
	}
	if imagesFirst[0] != m.Proto.Image.Begin || textFirst[len(textFirst)-1] != eot || imagesFirst[len(imagesFirst)-1] != eot {
		t.Fatalf("block or end-of-turn tokens wrong: %v / %v", imagesFirst, textFirst)
	}
}
