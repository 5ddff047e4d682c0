package sample

import (
	"math"
	"testing"
)

func TestGreedyAndMasks(t *testing.T) {
	s := New(1)
	logits := []float32{1, 5, 3, 5, -2}
	if got := s.Sample(logits, nil, Params{}, nil); got != 1 {
		t.Fatalf("greedy = %d, want 1 (first of the tied maxima)", got)
	}
	deny := &Mask{Deny: []bool{false, true, false, true, false}}
	if got := s.Sample(logits, nil, Params{}, deny); got != 2 {
		t.Fatalf("greedy with deny = %d, want 2", got)
	}
	allow := &Mask{Allow: []bool{false, false, false, false, true}}
	if got := s.Sample(logits, nil, Params{Temperature: 1}, allow); got != 4 {
		t.Fatalf("sample with single allowed = %d, want 4", got)
	}
	none := &Mask{Allow: make([]bool, 5)}
	if got := s.Sample(logits, nil, Params{Temperature: 1}, none); got != -1 {
		t.Fatalf("nothing allowed gave %d, want -1", got)
	}
	if logits[1] != 5 {
		t.Fatal("Sample modified its input")
	}
}

func TestRepetitionPenaltyHFSemantics(t *testing.T) {
	// HF: positive logits of seen tokens are divided, negative multiplied.
	s := New(1)
	logits := []float32{2.0, 1.9, -0.1, -0.5}
	// token 0 seen twice: penalised once → 2/1.5=1.33 < 1.9.
	if got := s.Sample(logits, []int{0, 0}, Params{RepetitionPenalty: 1.5}, nil); got != 1 {
		t.Fatalf("got %d, want 1", got)
	}
	// Negative logits are multiplied: -0.1*10 = -1 < -0.5.
	if got := s.Sample([]float32{-0.1, -0.5}, []int{0}, Params{RepetitionPenalty: 10}, nil); got != 1 {
		t.Fatalf("got %d, want 1", got)
	}
}

func TestSeededDeterminismAndTopK(t *testing.T) {
	logits := make([]float32, 1000)
	for i := range logits {
		logits[i] = float32(math.Sin(float64(i))) * 3
	}
	p := Params{Temperature: 0.8, TopK: 50, TopP: 0.9, RepetitionPenalty: 1.2}
	a, b := New(42), New(42)
	for i := 0; i < 200; i++ {
		x, y := a.Sample(logits, []int{1, 2, 3}, p, nil), b.Sample(logits, []int{1, 2, 3}, p, nil)
		if x != y {
			t.Fatalf("step %d: same seed gave %d and %d", i, x, y)
		}
	}
	// top-k = 3: only the three best ids ever come out.
	best := map[int]bool{}
	for i := 0; i < 3; i++ {
		bi := -1
		for id, v := range logits {
			if !best[id] && (bi < 0 || v > logits[bi]) {
				bi = id
			}
		}
		best[bi] = true
	}
	for i := 0; i < 500; i++ {
		if id := a.Sample(logits, nil, Params{Temperature: 5, TopK: 3}, nil); !best[id] {
			t.Fatalf("top-k 3 sampled %d outside %v", id, best)
		}
	}
}

func TestTopPAndTemperatureFrequencies(t *testing.T) {
	// probs ∝ exp(l): 0.5, 0.3, 0.15, 0.05 — top-p 0.75 keeps {0,1}.
	probs := []float64{0.5, 0.3, 0.15, 0.05}
	logits := make([]float32, len(probs))
	for i, p := range probs {
		logits[i] = float32(math.Log(p))
	}
	s := New(7)
	counts := make([]int, 4)
	const n = 20000
	for i := 0; i < n; i++ {
		counts[s.Sample(logits, nil, Params{Temperature: 1, TopP: 0.75}, nil)]++
	}
	if counts[2]+counts[3] != 0 {
		t.Fatalf("top-p kept tail tokens: %v", counts)
	}
	// Renormalised: 0.625 / 0.375; 5 sigma of a binomial at n=20000 is ~0.017.
	if f := float64(counts[0]) / n; math.Abs(f-0.625) > 0.017 {
		t.Fatalf("token 0 frequency %.3f, want 0.625", f)
	}
	counts = make([]int, 4)
	for i := 0; i < n; i++ {
		counts[s.Sample(logits, nil, Params{Temperature: 1}, nil)]++
	}
	for i, p := range probs {
		if f := float64(counts[i]) / n; math.Abs(f-p) > 5*math.Sqrt(p*(1-p)/n)+1e-3 {
			t.Fatalf("token %d frequency %.4f, want %.3f", i, f, p)
		}
	}
}

func TestNoAllocsWhenWarm(t *testing.T) {
	logits := make([]float32, 4096)
	for i := range logits {
		logits[i] = float32(i%17) * 0.1
	}
	s := New(3)
	p := Params{Temperature: 0.7, TopP: 0.9, RepetitionPenalty: 1.2}
	hist := []int{5, 6, 7}
	s.Sample(logits, hist, p, nil)
	if a := testing.AllocsPerRun(20, func() { s.Sample(logits, hist, p, nil) }); a > 0 {
		t.Fatalf("%v allocations per Sample", a)
	}
}
