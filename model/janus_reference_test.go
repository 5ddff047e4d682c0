package model_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/chat"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
)

// janusExpected is the part of testdata/ref/janus-X/expected/expected.json
// (tools/reference/make_janus_fixtures.py, float64 PyTorch) these tests read.
type janusExpected struct {
	Text struct {
		IDs         []int   `json:"ids"`
		LogitsFile  string  `json:"logits_file"`
		MaxAbsLogit float64 `json:"max_abs_logit"`
	} `json:"text"`
	Understanding struct {
		IDs          []int   `json:"ids"`
		FeaturesFile string  `json:"image_features_file"`
		LogitsFile   string  `json:"logits_file"`
		MaxAbsLogit  float64 `json:"max_abs_logit"`
	} `json:"understanding"`
	Generation struct {
		PromptText string  `json:"prompt_text"`
		PromptIDs  []int   `json:"prompt_ids"`
		UncondIDs  []int   `json:"uncond_ids"`
		CFGScale   float32 `json:"cfg_scale"`
		Codes      []int   `json:"codes"`
		FirstFile  string  `json:"first_step_logits_file"`
	} `json:"generation"`
}

func loadJanusFixture(t *testing.T, name string) (*model.Model, *janusExpected, string) {
	t.Helper()
	dir := filepath.Join("..", "testdata", "ref", name)
	data, err := os.ReadFile(filepath.Join(dir, "expected", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp janusExpected
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(dir, model.Options{Pool: runtime.NewPool(2), F32KV: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, &exp, filepath.Join(dir, "expected")
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// TestJanusTextLogitsReference: the text logits of every position match
// the float64 reference within 1e-4·max|logit| (issue 23's target).
func TestJanusTextLogitsReference(t *testing.T) {
	for _, name := range []string{"janus-a", "janus-b"} {
		t.Run(name, func(t *testing.T) {
			m, exp, dir := loadJanusFixture(t, name)
			want := readF32(t, filepath.Join(dir, exp.Text.LogitsFile))
			ids := exp.Text.IDs
			V, W := m.Cfg.VocabSize, m.LogitsSize()
			if len(want) != len(ids)*V {
				t.Fatalf("reference has %d logits, want %d×%d", len(want), len(ids), V)
			}
			got := make([]float32, len(ids)*W)
			if err := m.Prefill(m.NewState(), ids, nil, got, true); err != nil {
				t.Fatal(err)
			}
			tol := 1e-4 * exp.Text.MaxAbsLogit
			worst := 0.0
			for r := range ids {
				for k := 0; k < V; k++ {
					worst = math.Max(worst, math.Abs(float64(got[r*W+k]-want[r*V+k])))
				}
			}
			if worst > tol {
				t.Fatalf("max |diff| %g > %g", worst, tol)
			}
			t.Logf("max |diff| %.3g (tolerance %.3g)", worst, tol)
		})
	}
}

// TestJanusGuidedCodesReference: a one-turn drawing request writes the
// reference's prompt, and Janus guidance at scale 5 draws the reference's
// greedy codes; the first step's cond and uncond code logits match too.
func TestJanusGuidedCodesReference(t *testing.T) {
	for _, name := range []string{"janus-a", "janus-b"} {
		t.Run(name, func(t *testing.T) {
			m, exp, dir := loadJanusFixture(t, name)
			g := exp.Generation
			c, err := chat.New(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.AddUserDrawing(g.PromptText, nil); err != nil {
				t.Fatal(err)
			}
			prompt := append(append([]int(nil), c.Tokens()...), m.Proto.Image.Begin)
			if !equal(prompt, g.PromptIDs) {
				t.Fatalf("prompt %v, reference %v", prompt, g.PromptIDs)
			}
			ctx := model.GuidanceSchemes["janus"].Contexts(&m.Proto, prompt, len(prompt)-1, m.IsImageToken)
			if !equal(ctx[0], g.UncondIDs) {
				t.Fatalf("uncond %v, reference %v", ctx[0], g.UncondIDs)
			}
			// First step, before mixing.
			first := readF32(t, filepath.Join(dir, g.FirstFile))
			K, V := m.Cfg.Janus.Codes, m.Cfg.VocabSize
			for row, ids := range [][]int{g.PromptIDs, g.UncondIDs} {
				l := make([]float32, m.LogitsSize())
				if err := m.Prefill(m.NewState(), ids, nil, l, false); err != nil {
					t.Fatal(err)
				}
				for k := 0; k < K; k++ {
					if d := math.Abs(float64(l[V+k] - first[row*K+k])); d > 1e-4*(1+math.Abs(float64(first[row*K+k]))) {
						t.Fatalf("row %d code %d: %g, reference %g", row, k, l[V+k], first[row*K+k])
					}
				}
			}
			turn, err := c.Reply(context.Background(), sample.New(1), chat.GenOptions{StartImage: true, Guidance: model.GuidanceSchemes["janus"], TextScale: g.CFGScale}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(turn.Images) != 1 || !equal(turn.Images[0].Codes, g.Codes) {
				t.Fatalf("codes %v\nreference %v", turn.Images, g.Codes)
			}
		})
	}
}

func equal(a, b []int) bool {
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

// TestJanusImageLogitsReference: the test picture read through the vision
// tower gives the reference's features, and with them at the placeholder
// run the logits match within 1e-4·max|logit|.
func TestJanusImageLogitsReference(t *testing.T) {
	for _, name := range []string{"janus-a", "janus-b"} {
		t.Run(name, func(t *testing.T) {
			m, exp, dir := loadJanusFixture(t, name)
			u := exp.Understanding
			feats, err := m.ReadImageFeatures(filepath.Join(dir, "..", "image.png"))
			if err != nil {
				t.Fatal(err)
			}
			wantF := readF32(t, filepath.Join(dir, u.FeaturesFile))
			if len(feats) != len(wantF) {
				t.Fatalf("%d feature values, reference %d", len(feats), len(wantF))
			}
			scale := 0.0
			for _, v := range wantF {
				scale = math.Max(scale, math.Abs(float64(v)))
			}
			for i := range wantF {
				if d := math.Abs(float64(feats[i] - wantF[i])); d > 1e-4*scale {
					t.Fatalf("feature %d: %g, reference %g", i, feats[i], wantF[i])
				}
			}
			D, V, W := m.Cfg.Dim, m.Cfg.VocabSize, m.LogitsSize()
			vecs := make([][]float32, len(u.IDs))
			k := 0
			for i, id := range u.IDs {
				if id == m.Proto.Image.Placeholder {
					vecs[i] = feats[k*D : (k+1)*D]
					k++
				}
			}
			if k*D != len(feats) {
				t.Fatalf("%d placeholders for %d features", k, len(feats)/D)
			}
			got := make([]float32, len(u.IDs)*W)
			if err := m.Prefill(m.NewState(), u.IDs, vecs, got, true); err != nil {
				t.Fatal(err)
			}
			want := readF32(t, filepath.Join(dir, u.LogitsFile))
			worst := 0.0
			for r := range u.IDs {
				for c := 0; c < V; c++ {
					worst = math.Max(worst, math.Abs(float64(got[r*W+c]-want[r*V+c])))
				}
			}
			if tol := 1e-4 * u.MaxAbsLogit; worst > tol {
				t.Fatalf("max |diff| %g > %g", worst, tol)
			}
			t.Logf("max |diff| %.3g (max |logit| %.3g)", worst, u.MaxAbsLogit)
		})
	}
}

// TestJanusImageFeaturesBytes: a picture given as bytes (a server request)
// reads as the same picture given as a file.
func TestJanusImageFeaturesBytes(t *testing.T) {
	m, _, dir := loadJanusFixture(t, "janus-b")
	path := filepath.Join(dir, "..", "image.png")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.ReadImageFeatures(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.ImageFeaturesBytes("request", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d and %d features", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("feature %d: %g from the file, %g from bytes", i, a[i], b[i])
		}
	}
	if _, err := m.ImageFeaturesBytes("request", data[:len(data)/2]); err == nil {
		t.Fatal("half a PNG was read")
	}
}
