package sample

import (
	"math"
	"testing"
)

// TestDistributionIsWhatNextDraws: for several settings, the frequencies
// of Next over many draws match Distribution within 5 standard errors, and
// Draw from Distribution gives the same frequencies.
func TestDistributionIsWhatNextDraws(t *testing.T) {
	logits := []float32{2.0, 1.5, 1.4, 0.3, -1, 0.9, 3.1, -0.2}
	mask := &Mask{Deny: []bool{false, false, true, false, false, false, false, false}}
	history := []int{6}
	for _, p := range []Params{
		{Temperature: 1},
		{Temperature: 0.7, TopK: 4},
		{Temperature: 1.3, TopP: 0.8},
		{Temperature: 0.9, TopK: 5, TopP: 0.95, RepetitionPenalty: 1.3},
	} {
		s := New(1)
		probs := make([]float32, len(logits))
		if err := s.Distribution(logits, history, p, mask, probs); err != nil {
			t.Fatal(err)
		}
		var sum float64
		for _, q := range probs {
			sum += float64(q)
		}
		if math.Abs(sum-1) > 1e-5 || probs[2] != 0 {
			t.Fatalf("%+v: probabilities sum to %g, masked token has %g", p, sum, probs[2])
		}
		const n = 40000
		next, draw := make([]int, len(logits)), make([]int, len(logits))
		for i := 0; i < n; i++ {
			next[s.Sample(logits, history, p, mask)]++
			draw[s.Draw(probs)]++
		}
		for id, q := range probs {
			se := math.Sqrt(float64(q)*(1-float64(q))/n) + 1e-9
			for name, c := range map[string][]int{"Next": next, "Draw": draw} {
				if f := float64(c[id]) / n; math.Abs(f-float64(q)) > 5*se+1e-4 {
					t.Errorf("%+v: %s drew token %d with frequency %.4f, Distribution says %.4f", p, name, id, f, q)
				}
			}
		}
	}
}

// TestDistributionGreedy: greedy settings are one-hot on the argmax of the
// allowed tokens.
func TestDistributionGreedy(t *testing.T) {
	logits := []float32{0.5, 3, 1, 2}
	probs := make([]float32, 4)
	if err := New(1).Distribution(logits, nil, Params{}, &Mask{Deny: []bool{false, true}}, probs); err != nil {
		t.Fatal(err)
	}
	if probs[3] != 1 || probs[0]+probs[1]+probs[2] != 0 {
		t.Fatalf("greedy distribution %v, want one-hot on token 3", probs)
	}
}
