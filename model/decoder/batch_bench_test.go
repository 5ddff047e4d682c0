package decoder_test

import (
	"fmt"
	"testing"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/embedded"
	"github.com/chatumm/chatumm/runtime"
)

// BenchmarkSlotsBatchedVsSeparate: k conversations decoding at once on
// the embedded model, as one StepBatch per token (weights read once for
// all) or as k separate one-token steps. It decides whether a server
// should step its decoding slots together.
func BenchmarkSlotsBatchedVsSeparate(b *testing.B) {
	m, err := embedded.Load(model.Options{Pool: runtime.NewPool(1)})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	V := m.Cfg.VocabSize
	for _, k := range []int{2, 4} {
		states := make([]*decoder.State, k)
		logits := make([][]float32, k)
		ids := make([]int, k)
		for i := range states {
			states[i] = m.T.NewState(0, false)
			logits[i] = make([]float32, V)
			ids[i] = 5 + i
			if err := m.T.Prefill(states[i], []int{0, 10 + i, 20 + i}, logits[i], false); err != nil {
				b.Fatal(err)
			}
		}
		reset := func() {
			for _, s := range states {
				s.Truncate(3)
			}
		}
		b.Run(fmt.Sprintf("slots=%d/batched", k), func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				if n%64 == 0 {
					reset()
				}
				if err := m.T.StepBatch(states, ids, logits); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("slots=%d/separate", k), func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				if n%64 == 0 {
					reset()
				}
				for i, s := range states {
					if err := m.T.Prefill(s, ids[i:i+1], logits[i], false); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
