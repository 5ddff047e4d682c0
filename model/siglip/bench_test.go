package siglip

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime"
)

// BenchmarkTower: understanding one 384×384 picture with Janus-Pro's real
// tower (SigLIP-L/16: 576 patches, 24 layers, width 1024, MLP 4096; aligner
// 1024 → 2048 → 2048) on random BF16 weights, built in memory here only
// (about 620 MB). Preprocessing is not included (it is a few ms).
// cpu-s/picture is the process's CPU time per picture. Run
//
//	go test -run XXX -bench Tower -benchtime 1x ./model/siglip
func BenchmarkTower(b *testing.B) {
	cfg, err := ParseConfig(json.RawMessage(`{}`)) // every default is Janus-Pro's
	if err != nil {
		b.Fatal(err)
	}
	tower := randomRealTower(cfg)
	rng := rand.New(rand.NewPCG(5, 6))
	pixels := randomPixels(rng, 3*cfg.ImageSize*cfg.ImageSize)
	flops := 2 * float64(cfg.NumTokens) * (float64(cfg.Layers)*(4*float64(cfg.Hidden*cfg.Hidden)+2*float64(cfg.Hidden*cfg.MLPHidden)+
		2*float64(cfg.NumTokens*cfg.Hidden)) + float64(3*cfg.PatchSize*cfg.PatchSize*cfg.Hidden) +
		float64(cfg.Hidden*cfg.LMDim) + float64(cfg.AlignDepth-1)*float64(cfg.LMDim*cfg.LMDim))
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			pool := runtime.NewPool(threads)
			defer pool.Close()
			b.ResetTimer()
			cpu0 := processCPU()
			for range b.N {
				tower.Features(pool, pixels)
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/picture")
			// CPU seconds per picture: on a machine shared with other work
			// this, divided by the threads, is what a quiet run would take.
			b.ReportMetric((processCPU()-cpu0).Seconds()/float64(b.N), "cpu-s/picture")
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// randomRealTower builds a Tower of cfg's shape directly (no file): BF16
// matrices of random normal-range bits, small float32 vectors.
func randomRealTower(cfg Config) *Tower {
	rng := rand.New(rand.NewPCG(7, 8))
	mat := func(rows, cols int) *ops.Mat {
		m := &ops.Mat{DType: ops.BF16, Rows: rows, Cols: cols, U16: make([]uint16, rows*cols)}
		for i := range m.U16 {
			// Random sign and mantissa, magnitude 2^-6..2^-5: a trained
			// layer's scale, so activations stay finite through 24 layers.
			m.U16[i] = uint16(rng.Uint32())&0x807f | 0x3c80
		}
		return m
	}
	vec := func(n int, v float32) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	D, F, P := cfg.Hidden, cfg.MLPHidden, cfg.PatchSize
	t := &Tower{cfg: cfg, pos: vec(cfg.NumTokens*D, 0.01), postW: vec(D, 1), postB: vec(D, 0)}
	t.patch = linear{w: mat(D, 3*P*P), b: vec(D, 0)}
	t.layers = make([]layer, cfg.Layers)
	for i := range t.layers {
		t.layers[i] = layer{
			ln1W: vec(D, 1), ln1B: vec(D, 0), ln2W: vec(D, 1), ln2B: vec(D, 0),
			q: linear{mat(D, D), vec(D, 0)}, k: linear{mat(D, D), vec(D, 0)}, v: linear{mat(D, D), vec(D, 0)},
			o: linear{mat(D, D), vec(D, 0)}, fc1: linear{mat(F, D), vec(F, 0)}, fc2: linear{mat(D, F), vec(D, 0)},
		}
	}
	in := D
	for range cfg.AlignDepth {
		t.aligner = append(t.aligner, linear{mat(cfg.LMDim, in), vec(cfg.LMDim, 0)})
		in = cfg.LMDim
	}
	return t
}
