package decoder_test

import (
	"math"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/runtime"
)

// TestPrefillBatchMatchesPrefill: running windows of several states in one
// pass gives each state the logits and cache a Prefill of its own window
// gives it (to float rounding: GEMM over more rows may group sums
// differently), and a state listed twice is an error that changes nothing.
func TestPrefillBatchMatchesPrefill(t *testing.T) {
	m, err := model.Load("../../testdata/ref/chameleon-mot", model.Options{Pool: runtime.NewPool(2), F32KV: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	V := m.Cfg.VocabSize
	prompts := [][]int{{1, 5, 9, 200}, {1, 17}, {1, 300, 301, 302, 303, 4}}
	window := [][]int{{7, 8, 9, 10, 11}, {12, 13, 14}, {15, 16, 17, 18}}
	var solo, batched []*decoder.State
	for _, p := range prompts {
		for _, list := range []*[]*decoder.State{&solo, &batched} {
			s := m.T.NewState(64, true)
			if err := m.T.Prefill(s, p, nil, false); err != nil {
				t.Fatal(err)
			}
			*list = append(*list, s)
		}
	}
	logits := make([][]float32, len(prompts))
	for i := range logits {
		logits[i] = make([]float32, len(window[i])*V)
	}
	if err := m.T.PrefillBatch([]*decoder.State{batched[0], batched[0]}, window[:2], logits[:2]); err == nil || batched[0].Len != len(prompts[0]) {
		t.Fatalf("a state given twice: err %v, length %d", err, batched[0].Len)
	}
	if err := m.T.PrefillBatch(batched, window, logits); err != nil {
		t.Fatal(err)
	}
	for i, s := range solo {
		want := make([]float32, len(window[i])*V)
		if err := m.T.Prefill(s, window[i], want, true); err != nil {
			t.Fatal(err)
		}
		if batched[i].Len != s.Len {
			t.Fatalf("state %d: length %d, want %d", i, batched[i].Len, s.Len)
		}
		for k := range want {
			if d := math.Abs(float64(logits[i][k] - want[k])); d > 1e-5*(1+math.Abs(float64(want[k]))) {
				t.Fatalf("state %d logit %d: batched %g, alone %g", i, k, logits[i][k], want[k])
			}
		}
		// The caches continue alike.
		a, b := make([]float32, V), make([]float32, V)
		m.T.Prefill(s, []int{3}, a, false)
		m.T.Prefill(batched[i], []int{3}, b, false)
		for k := range a {
			if d := math.Abs(float64(a[k] - b[k])); d > 1e-5*(1+math.Abs(float64(a[k]))) {
				t.Fatalf("state %d: next logits differ after the batch (%g vs %g)", i, b[k], a[k])
			}
		}
	}
}
