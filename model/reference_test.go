package model

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/chatumm/chatumm/model/sample"
	"github.com/chatumm/chatumm/runtime"
)

// expected.json of a tools/reference fixture.
type refExpected struct {
	PromptIDs   []int     `json:"prompt_ids"`
	LogitsFile  string    `json:"logits_file"`
	Greedy      []int     `json:"greedy"`
	Top2Margins []float64 `json:"top2_margins"`
	MaxAbsLogit float64   `json:"max_abs_logit"`
}

func refFixtures(t *testing.T) []string {
	dirs, _ := filepath.Glob("../testdata/ref/*/expected.json")
	var out []string
	for _, d := range dirs {
		var e refExpected
		data, err := os.ReadFile(d)
		if err != nil || json.Unmarshal(data, &e) != nil || e.LogitsFile == "" {
			continue // a VQ fixture
		}
		out = append(out, filepath.Dir(d))
	}
	if len(out) == 0 {
		t.Fatal("no transformer fixtures under testdata/ref (run tools/reference)")
	}
	return out
}

func readF32(t *testing.T, path string) []float32 {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

// TestAgainstPyTorch compares every position's logits and a 32-token greedy
// continuation with the float64 PyTorch reference, for each fixture, with
// the f16 and the f32 KV cache, at 1 and 2 threads.
func TestAgainstPyTorch(t *testing.T) {
	for _, dir := range refFixtures(t) {
		var e refExpected
		data, _ := os.ReadFile(filepath.Join(dir, "expected.json"))
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatal(err)
		}
		want := readF32(t, filepath.Join(dir, e.LogitsFile))
		for _, threads := range []int{1, 2} {
			for _, f32kv := range []bool{false, true} {
				name := filepath.Base(dir)
				m, err := Load(dir, Options{Pool: runtime.NewPool(threads), F32KV: f32kv})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				V := m.Cfg.VocabSize
				if len(want) != len(e.PromptIDs)*V {
					t.Fatalf("%s: logits file has %d floats, want %d×%d", name, len(want), len(e.PromptIDs), V)
				}
				st := m.NewState()
				got := make([]float32, len(e.PromptIDs)*V)
				if err := m.T.Prefill(st, e.PromptIDs, got, true); err != nil {
					t.Fatal(err)
				}
				var maxDiff float64
				for i := range got {
					maxDiff = math.Max(maxDiff, math.Abs(float64(got[i]-want[i])))
				}
				tol := 1e-3 * e.MaxAbsLogit
				if maxDiff > tol {
					t.Errorf("%s threads=%d f32kv=%v: logits max |diff| %.3g > %.3g", name, threads, f32kv, maxDiff, tol)
				}
				// Greedy continuation, one token at a time through the KV cache.
				logits := got[(len(e.PromptIDs)-1)*V:]
				step := make([]float32, V)
				for k, wantTok := range e.Greedy {
					tok := sample.Argmax(logits)
					if tok != wantTok {
						if e.Top2Margins[k] < 1e-4 {
							t.Logf("%s: step %d differs within a near-tie (margin %.2g)", name, k, e.Top2Margins[k])
							break
						}
						t.Errorf("%s threads=%d f32kv=%v: greedy step %d = %d, want %d (margin %.3g)", name, threads, f32kv, k, tok, wantTok, e.Top2Margins[k])
						break
					}
					if err := m.T.Prefill(st, []int{tok}, step, false); err != nil {
						t.Fatal(err)
					}
					logits = step
				}
				m.Close()
			}
		}
	}
}
