package vqgan

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatumm/chatumm/runtime"
)

// BenchmarkLlamaGenDecode384 decodes one 24×24 grid to a 384×384 image
// with the real Janus-Pro VQ-16 decoder shape (base 128, multipliers
// 1,1,2,2,4, 2 res blocks, 16384×8 codebook, z 256) on random weights.
func BenchmarkLlamaGenDecode384(b *testing.B) {
	cfg, err := ParseConfig([]byte(`{"model_type": "janus_vqgan"}`)) // every default is Janus-Pro's
	if err != nil {
		b.Fatal(err)
	}
	set := randomLlamaGen(cfg, 1, false, true).write(b, hfVQName)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			m, err := Load(set, cfg, runtime.NewPool(threads))
			if err != nil {
				b.Fatal(err)
			}
			codes := make([]int, 24*24)
			for i := range codes {
				codes[i] = (i * 131) % cfg.NumEmbeddings
			}
			b.ResetTimer()
			t0 := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := m.Decode(codes); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(time.Since(t0).Seconds()/float64(b.N), "s/image")
		})
	}
}
