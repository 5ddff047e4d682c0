package chat

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/randmodel"
	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/weights"
)

// drawOnce starts a fresh conversation, asks for a picture and returns the
// drawn image.
func drawOnce(t *testing.T, m *model.Model, smp *sample.Sampler, o GenOptions) Image {
	t.Helper()
	c, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddUser("draw a picture", nil); err != nil {
		t.Fatal(err)
	}
	o.StartImage = true
	turn, err := c.Reply(context.Background(), smp, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(turn.Images) != 1 {
		t.Fatalf("%d images drawn", len(turn.Images))
	}
	// The history must be exactly what plain decoding of these codes gives.
	d, _ := New(m)
	if err := d.AddUser("draw a picture", nil); err != nil {
		t.Fatal(err)
	}
	if err := d.AddModelTurn([]Part{{Image: &turn.Images[0]}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Tokens(), d.Tokens()) {
		t.Fatalf("speculative history differs from the image's own tokens")
	}
	return turn.Images[0]
}

// TestSpeculativeGreedyIsPlainGreedy: under greedy settings speculative
// Jacobi decoding draws exactly the codes plain decoding draws, for every
// window, with and without guidance, in the square layout and in Lumina's
// (size tokens, forced end-of-row tokens), in fewer passes than tokens.
func TestSpeculativeGreedyIsPlainGreedy(t *testing.T) {
	dir := t.TempDir()
	spec := randmodel.Spec{Dim: 64, Layers: 2, Heads: 4, KVHeads: 4, FFN: 96, Vocab: 700, ImageCodes: 64, MaxPos: 400, DType: weights.F16, Lumina: true}
	if err := randmodel.Write(dir, spec, 3); err != nil {
		t.Fatal(err)
	}
	models := map[string]*model.Model{
		"square": loadModel(t, combinedModel(t), model.Options{}),
		"lumina": loadModel(t, dir, model.Options{VQPath: "../../testdata/ref/vq-anole"}),
	}
	for name, m := range models {
		for _, g := range []string{"none", m.Family().Guidance()} {
			scheme, _ := model.GuidanceByName(g)
			o := GenOptions{Guidance: scheme, TextScale: 3, ImageScale: 1.2}
			want := drawOnce(t, m, sample.New(1), o)
			for _, w := range []int{2, 5, 16} {
				o.Speculative = w
				got := drawOnce(t, m, sample.New(1), o)
				if !slices.Equal(got.Codes, want.Codes) || got.Rows != want.Rows || got.Cols != want.Cols {
					t.Fatalf("%s, guidance %s, window %d: codes differ from plain greedy decoding", name, g, w)
				}
				if got.Passes > want.Passes {
					t.Errorf("%s, guidance %s, window %d: %d passes, plain took %d", name, g, w, got.Passes, want.Passes)
				}
				t.Logf("%s, guidance %s, window %d: %d passes for %d body tokens", name, g, w, got.Passes, want.Passes)
			}
		}
	}
}

// TestSpeculativeSamplesTheSameDistribution: sampled speculative decoding
// draws images from the distribution plain sampling draws from. On a
// random model with 2×2-code images (so thousands of images are cheap) and
// a low temperature (so the distribution is far from the uniform drafts),
// the code histogram of every position under each decoder passes a
// two-sample chi-square test against the other at 5 standard deviations —
// and a decoder that accepts every draft fails it by far.
func TestSpeculativeSamplesTheSameDistribution(t *testing.T) {
	dir := t.TempDir()
	spec := randmodel.Spec{Dim: 64, Layers: 2, Heads: 4, KVHeads: 4, FFN: 96, Vocab: 400, ImageCodes: 64, MaxPos: 128, DType: weights.F16}
	if err := randmodel.Write(dir, spec, 5); err != nil {
		t.Fatal(err)
	}
	// A VQ config without VQ weights fixes the grid at 2×2.
	var cfg map[string]any
	readJSON(t, filepath.Join(dir, "config.json"), &cfg)
	cfg["vq_config"] = map[string]any{"embed_dim": 4, "num_embeddings": 64, "latent_channels": 4, "resolution": 8,
		"in_channels": 3, "out_channels": 3, "base_channels": 8, "channel_multiplier": []int{1, 2, 2}, "num_res_blocks": 1,
		"attn_resolutions": []int{}, "norm_num_groups": 4}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	m := loadModel(t, dir, model.Options{})
	if m.ImageTokens() != 4 {
		t.Fatalf("grid of %d tokens, want 4", m.ImageTokens())
	}
	const n = 1500
	o := GenOptions{Image: sample.Params{Temperature: 1.0}}
	hist := func(w int, seed uint64) [4][64]float64 {
		var h [4][64]float64
		o := o
		o.Speculative = w
		smp := sample.New(seed)
		for i := 0; i < n; i++ {
			for pos, code := range drawOnce(t, m, smp, o).Codes {
				h[pos][code]++
			}
		}
		return h
	}
	chi2 := func(a, b [4][64]float64) (worst float64) {
		for pos := range a {
			var x, df float64
			for k := range a[pos] {
				if s := a[pos][k] + b[pos][k]; s > 0 {
					d := a[pos][k] - b[pos][k]
					x += d * d / s
					df++
				}
			}
			df--
			// Standard deviations above the chi-square's mean.
			worst = max(worst, (x-df)/math.Sqrt(2*df))
		}
		return worst
	}
	plain := hist(0, 11)
	z := chi2(plain, hist(4, 12))
	t.Logf("speculative vs plain: %.1f standard deviations", z)
	if z > 5 {
		t.Fatalf("speculative (window 4) histograms differ from plain sampling: %.1f standard deviations", z)
	}
	if z := chi2(plain, hist(0, 13)); z > 5 {
		t.Fatalf("two plain runs differ by %.1f standard deviations: the test is miscalibrated", z)
	}
	// The test's power: drafts drawn uniformly and all accepted.
	var uniform [4][64]float64
	rng := sample.New(14)
	for i := 0; i < n; i++ {
		for pos := range uniform {
			uniform[pos][int(rng.Float()*64)]++
		}
	}
	z = chi2(plain, uniform)
	t.Logf("uniform vs plain: %.1f standard deviations", z)
	if z < 20 {
		t.Fatalf("uniform codes differ from the model's by only %.1f standard deviations: the test cannot see a broken acceptance", z)
	}
}

// TestSpeculativeAcceptanceRule: one verification step — draft x drawn
// from q, kept with probability min(1, p(x)/q(x)), else a draw from
// norm(max(0, p − q)) — yields exactly p, for uniform drafts (q nil) and
// for drafts from another distribution; drawing from p after a rejection
// (a tempting shortcut) does not.
func TestSpeculativeAcceptanceRule(t *testing.T) {
	const V = 6
	p := []float32{0.55, 0.25, 0.1, 0.06, 0.04, 0}
	other := []float32{0.1, 0.1, 0.2, 0.3, 0.2, 0.1}
	isImage := func(int) bool { return true }
	for _, q := range [][]float32{nil, other} {
		s := &spec{vocab: V, q: [][]float32{q}, resid: make([]float32, V)}
		smp := sample.New(3)
		uniform := []float32{1, 1, 1, 1, 1, 1}
		const n = 200000
		var got, shortcut [V]float64
		for i := 0; i < n; i++ {
			var x int
			if q == nil {
				x = smp.Draw(uniform)
			} else {
				x = smp.Draw(q)
			}
			ok, tok := s.verify(smp, 0, x, p, isImage, V)
			got[tok]++
			if ok {
				shortcut[x]++
			} else {
				shortcut[smp.Draw(p)]++
			}
		}
		worst := 0.0
		for k := range p {
			se := math.Sqrt(float64(p[k])*(1-float64(p[k]))/n) + 1e-9
			if d := math.Abs(got[k]/n-float64(p[k])) / se; d > 5 {
				t.Fatalf("q=%v: token %d drawn with frequency %.4f, want %.4f", q, k, got[k]/n, p[k])
			}
			worst = max(worst, math.Abs(shortcut[k]/n-float64(p[k]))/se)
		}
		if worst < 20 {
			t.Fatalf("q=%v: the shortcut is within %.1f standard errors of p: the test cannot tell", q, worst)
		}
	}
}
