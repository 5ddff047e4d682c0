package model

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chatumm/chatumm/runtime"
)

// ggufRef is a <name>.ref.json written by tools/reference/make_gguf_fixtures.py:
// logits from tools/peers/gguf_ref.py, a float64 numpy forward with its own
// GGUF reader.
type ggufRef struct {
	PromptIDs   []int     `json:"prompt_ids"`
	LogitsFile  string    `json:"logits_file"`
	VocabSize   int       `json:"vocab_size"`
	Greedy      []int     `json:"greedy"`
	Top2Margins []float64 `json:"top2_margins"`
}

// Largest prompt-logit error allowed, as a fraction of rms(reference
// logits), about 5× the error measured on 2026-12-06 with
// `go test ./model -run GGUFAgainstReference -v` (which logs it), on AVX2
// and with CHATUMM_CPU=generic, 1 and 2 threads:
//
//	tiny-llama (F16, 4 heads / 2 KV heads, head_dim 4): f32 KV 7.5e-7, f16 KV 1.8e-4
//	tiny-mqa-tied (F32, 2 heads / 1 KV head, head_dim 16, tied): f32 KV 1.3e-6
//	  (AVX2) / 1.7e-6 (generic), f16 KV 1.4e-3
//
// (tiny-llama's weights have std 0.02, so its logits are small and nearly
// linear in the weights: its f16-KV error is lower relative to rms.)
var ggufLogitTol = map[string]struct{ f32KV, f16KV float64 }{
	"tiny-llama":    {f32KV: 3.8e-6, f16KV: 9e-4},
	"tiny-mqa-tied": {f32KV: 8.5e-6, f16KV: 7e-3},
}

// TestGGUFAgainstReference: every prompt position's logits and a 16-token
// greedy continuation (one token at a time through the KV cache) of each
// GGUF under testdata/weights match the independent float64 reference.
func TestGGUFAgainstReference(t *testing.T) {
	for name, tol := range ggufLogitTol {
		dir := "../testdata/weights"
		var e ggufRef
		data, err := os.ReadFile(filepath.Join(dir, name+".ref.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatalf("%s.ref.json: %v", name, err)
		}
		want := readF32(t, filepath.Join(dir, e.LogitsFile))
		for _, threads := range []int{1, 2} {
			for _, f32kv := range []bool{false, true} {
				m, err := Load(filepath.Join(dir, name+".gguf"), Options{Pool: runtime.NewPool(threads), F32KV: f32kv})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				V := m.Cfg.VocabSize
				if V != e.VocabSize || len(want) != len(e.PromptIDs)*V {
					t.Fatalf("%s: vocab %d, logits file has %d floats; want vocab %d, %d×%d", name, V, len(want), e.VocabSize, len(e.PromptIDs), e.VocabSize)
				}
				st := m.NewState()
				got := make([]float32, len(e.PromptIDs)*V)
				if err := m.T.Prefill(st, e.PromptIDs, got, true); err != nil {
					t.Fatal(err)
				}
				limit := tol.f16KV
				if f32kv {
					limit = tol.f32KV
				}
				rel := logitError(got, want)
				t.Logf("%s threads=%d f32kv=%v: max |diff| / rms(want) = %.3g (limit %.3g)", name, threads, f32kv, rel, limit)
				if rel > limit {
					t.Errorf("%s threads=%d f32kv=%v: logits max |diff| / rms %.3g > %.3g", name, threads, f32kv, rel, limit)
				}
				label := fmt.Sprintf("%s threads=%d f32kv=%v", name, threads, f32kv)
				next := func(tok int, out []float32) error { return m.T.Prefill(st, []int{tok}, out, false) }
				checkGreedy(t, label, next, got[(len(e.PromptIDs)-1)*V:], e.Greedy, e.Top2Margins, rms(want), limit)
				m.Close()
			}
		}
	}
}
