package model

import (
	"testing"

	"github.com/chatumm/chatumm/runtime"
)

// TestDecodeDoesNotAllocate: once warm, a decode step allocates nothing
// (no garbage per token).
func TestDecodeDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	m, err := Load("../testdata/ref/chameleon-mot", Options{Pool: runtime.NewPool(2)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	st := m.NewState()
	logits := make([]float32, m.Cfg.VocabSize)
	ids := []int{5}
	for i := 0; i < 4; i++ {
		if err := m.T.Prefill(st, ids, logits, false); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := m.T.Prefill(st, ids, logits, false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("%v allocations per decoded token", allocs)
	}
}
