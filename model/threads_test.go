package model

import (
	"github.com/chatumm/chatumm/model/randmodel"
	"testing"

	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// TestLogitsSameForAnyThreadCount: a prefill (GEMM path, rows spread over
// the pool) followed by decode steps (fused matvecs with claimed chunks)
// gives bit-identical logits with 1, 2 and 3 threads.
func TestLogitsSameForAnyThreadCount(t *testing.T) {
	dir := t.TempDir()
	spec := randmodel.Spec{Dim: 128, Layers: 2, Heads: 4, KVHeads: 2, FFN: 352, Vocab: 600, ImageCodes: 64, MaxPos: 64, DType: weights.F16}
	if err := randmodel.Write(dir, spec, 2); err != nil {
		t.Fatal(err)
	}
	ids := []int{5, 17, 300, 42, 7, 99, 250, 11, 3}
	var want []float32
	for _, threads := range []int{1, 2, 3} {
		m, err := Load(dir, Options{Pool: runtime.NewPool(threads)})
		if err != nil {
			t.Fatal(err)
		}
		s := m.T.NewState(32, false)
		var got []float32
		step := make([]float32, spec.Vocab)
		if err := m.T.Prefill(s, ids, step, false); err != nil {
			t.Fatal(err)
		}
		got = append(got, step...)
		for i := 0; i < 3; i++ {
			if err := m.T.Prefill(s, ids[i:i+1], step, false); err != nil {
				t.Fatal(err)
			}
			got = append(got, step...)
		}
		m.Close()
		if want == nil {
			want = got
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("threads=%d: logit %d = %g, with 1 thread %g", threads, i, got[i], want[i])
			}
		}
	}
}
