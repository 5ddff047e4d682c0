package decoder_test

import (
	"math"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime"
)

// TestVectorsMatchTokens: giving a token's own embedding row as its input
// vector, and applying lm_head to the hidden states returned, gives what
// Prefill and StepBatch give for the ids; a different vector changes the
// result (the vector is really used).
func TestVectorsMatchTokens(t *testing.T) {
	m, err := model.Load("../../testdata/ref/llama", model.Options{Pool: runtime.NewPool(2), F32KV: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tr := m.T
	V, D := tr.Cfg.VocabSize, tr.Cfg.Dim
	ids := []int{1, 5, 9, 20, 7, 3}
	want := make([]float32, len(ids)*V)
	if err := tr.Prefill(tr.NewState(16, true), ids, want, true); err != nil {
		t.Fatal(err)
	}
	vecs := make([][]float32, len(ids))
	for _, i := range []int{2, 4} {
		vecs[i] = make([]float32, D)
		tr.Embed.RowInto(vecs[i], ids[i])
	}
	placeholder := append([]int(nil), ids...)
	placeholder[2], placeholder[4] = 0, 0 // the vectors stand for them
	s := tr.NewState(16, true)
	hidden := make([]float32, len(ids)*D)
	if err := tr.PrefillVectors(s, placeholder, vecs, hidden, true); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, V)
	for r := range ids {
		ops.MatVec(m.Pool, tr.LMHead, hidden[r*D:(r+1)*D], got)
		close(t, got, want[r*V:(r+1)*V], "prefill row", r)
	}
	// One step of two states: the vector path and the id path agree.
	a := tr.NewState(16, true)
	if err := tr.Prefill(a, ids, nil, false); err != nil {
		t.Fatal(err)
	}
	stepWant := make([]float32, V)
	if err := tr.StepBatch([]*decoder.State{a}, []int{11}, [][]float32{stepWant}); err != nil {
		t.Fatal(err)
	}
	v := make([]float32, D)
	tr.Embed.RowInto(v, 11)
	h := [][]float32{make([]float32, D)}
	if err := tr.StepVectors([]*decoder.State{s}, []int{0}, [][]float32{v}, h); err != nil {
		t.Fatal(err)
	}
	ops.MatVec(m.Pool, tr.LMHead, h[0], got)
	close(t, got, stepWant, "step", 0)
	// A different vector gives a different hidden state.
	other := make([][]float32, len(ids))
	other[2] = make([]float32, D)
	other[2][0] = 3
	h2 := make([]float32, D)
	if err := tr.PrefillVectors(tr.NewState(16, true), placeholder, other, h2, false); err != nil {
		t.Fatal(err)
	}
	if same(h2, hidden[(len(ids)-1)*D:]) {
		t.Fatal("the input vector did not change the output")
	}
	if err := tr.PrefillVectors(tr.NewState(16, true), ids, [][]float32{make([]float32, D-1)}, h2, false); err == nil {
		t.Fatal("a vector list shorter than the ids was accepted")
	}
}

func close(t *testing.T, got, want []float32, what string, row int) {
	t.Helper()
	for k := range want {
		if d := math.Abs(float64(got[k] - want[k])); d > 1e-4*(1+math.Abs(float64(want[k]))) {
			t.Fatalf("%s %d logit %d: %g, want %g", what, row, k, got[k], want[k])
		}
	}
}

func same(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
