package ops

import (
	"fmt"
	"testing"
)

// BenchmarkAttention times one layer of Llama-1B attention (32 heads, 4 kv
// heads of 64) over T cached positions: nq=1 is a decode step, nq=128 a
// prefill chunk.
func BenchmarkAttention(b *testing.B) {
	for _, T := range []int{64, 256} {
		for _, nq := range []int{1, 128} {
			c := NewKVCache(1, 4, 64, T+nq, false)
			k := make([]float32, 256)
			for p := 0; p < T+nq; p++ {
				for i := range k {
					k[i] = float32((p*7+i)%13) * 0.05
				}
				c.Store(0, p, k, k)
			}
			q := make([]float32, nq*32*64)
			for i := range q {
				q[i] = float32(i%11) * 0.03
			}
			out := make([]float32, len(q))
			b.Run(fmt.Sprintf("T=%d/nq=%d", T, nq), func(b *testing.B) {
				for b.Loop() {
					Attention(nil, c, 0, q, nq, 32, T, nil, out)
				}
			})
		}
	}
}
