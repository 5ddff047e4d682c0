package siglip

import (
	"fmt"
	"image"
	"math"

	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime"
)

// Preprocess is the tower's configuration's Preprocess: [3, S, S].
func (t *Tower) Preprocess(img image.Image) []float32 { return t.cfg.Preprocess(img) }

// Features runs the tower on preprocessed pixels ([3, S, S], from
// Preprocess) and returns the aligner's output, [N, LMDim] row-major: one
// row per patch in raster order, ready to replace the embeddings of the N
// image placeholder tokens.
//
// Every Linear layer is one GEMM over all N patches (ops.GemmRows: the
// patches split over p's threads, weights widened panel by panel);
// attention is split by head, norms and activations by row. The result is
// bit-identical for any thread count. Scratch (about (5·Hv + Fv)·N floats,
// plus 2·LMDim·N for the aligner) is allocated per call, so concurrent
// calls share nothing. Pixels of the wrong length are a programming error
// and panic.
func (t *Tower) Features(p *runtime.Pool, pixels []float32) []float32 {
	return t.align(p, t.encode(p, pixels))
}

// encode runs the patch embedding, the encoder layers and the final
// LayerNorm: [N, Hv].
func (t *Tower) encode(p *runtime.Pool, pixels []float32) []float32 {
	c := &t.cfg
	S, D, N, F := c.ImageSize, c.Hidden, c.NumTokens, c.MLPHidden
	if len(pixels) != 3*S*S {
		panic(fmt.Sprintf("siglip: Features needs %d pixel values ([3, %d, %d]), got %d", 3*S*S, S, S, len(pixels)))
	}
	x := make([]float32, N*D)   // the residual stream
	h := make([]float32, N*D)   // normed input, then attention output, finally the output
	q := make([]float32, N*D)   // queries, then projected attention / MLP output
	k := make([]float32, N*D)   // keys
	v := make([]float32, N*D)   // values
	mlp := make([]float32, N*F) // fc1 output
	ops.PatchEmbed(p, pixels, c.Channels, S, S, c.PatchSize, t.patch.w, t.patch.b, x)
	ops.AddInto(x, t.pos)

	hd := D / c.Heads
	scale := float32(1 / math.Sqrt(float64(hd)))
	for i := range t.layers {
		ly := &t.layers[i]
		ops.LayerNormRows(p, h, x, N, ly.ln1W, ly.ln1B, c.Eps)
		ly.q.apply(p, h, N, q)
		ly.k.apply(p, h, N, k)
		ly.v.apply(p, h, N, v)
		ops.BidirAttention(p, q, k, v, N, c.Heads, hd, scale, h)
		ly.o.apply(p, h, N, q)
		ops.AddInto(x, q)

		ops.LayerNormRows(p, h, x, N, ly.ln2W, ly.ln2B, c.Eps)
		ops.GemmRows(p, ly.fc1.w, h, N, mlp)
		ops.BiasGELU(p, mlp, N, ly.fc1.b)
		ly.fc2.apply(p, mlp, N, q)
		ops.AddInto(x, q)
	}
	ops.LayerNormRows(p, h, x, N, t.postW, t.postB, c.Eps)
	return h
}

// align is the aligner MLP on [N, Hv] features: fc1, then GELU and a
// Linear per hidden layer, to [N, LMDim].
func (t *Tower) align(p *runtime.Pool, h []float32) []float32 {
	c := &t.cfg
	N := c.NumTokens
	out := make([]float32, N*c.LMDim)
	t.aligner[0].apply(p, h, N, out)
	if len(t.aligner) > 1 {
		tmp := make([]float32, N*c.LMDim)
		for _, a := range t.aligner[1:] {
			ops.BiasGELU(p, out, N, nil)
			a.apply(p, out, N, tmp)
			out, tmp = tmp, out
		}
	}
	return out
}

// apply computes y = x·Wᵀ + b for rows rows of x.
func (l *linear) apply(p *runtime.Pool, x []float32, rows int, y []float32) {
	ops.GemmRows(p, l.w, x[:rows*l.w.Cols], rows, y[:rows*l.w.Rows])
	if l.b != nil {
		ops.AddBias(y, rows, l.b)
	}
}
