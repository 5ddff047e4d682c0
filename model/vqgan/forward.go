package vqgan

import (
	"fmt"
	"math"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/ops"
)

// tensor is one NCHW feature map of a single image.
type tensor struct {
	data    []float32
	c, h, w int
}

func newTensor(c, h, w int) tensor { return tensor{make([]float32, c*h*w), c, h, w} }

const normEps = 1e-6

func (m *Model) conv(cv *conv, x tensor, stride int) tensor {
	oh, ow := x.h, x.w
	if stride == 2 {
		oh, ow = x.h/2, x.w/2
	}
	out := newTensor(cv.cout, oh, ow)
	gh, gw := ops.Conv2D(m.pool, x.data, x.c, x.h, x.w, cv.w, cv.b, cv.k, stride, out.data)
	if gh != oh || gw != ow {
		panic(fmt.Sprintf("vqgan: conv output %dx%d, want %dx%d", gh, gw, oh, ow))
	}
	return out
}

func (m *Model) normSwish(n *groupNorm, x tensor, swish bool) tensor {
	out := newTensor(x.c, x.h, x.w)
	ops.GroupNorm(m.pool, out.data, x.data, x.c, x.h*x.w, m.Cfg.NormGroups, n.w, n.b, normEps, swish)
	return out
}

// addResidual adds x to h in place, split over the pool.
func (m *Model) addResidual(h, x tensor) {
	m.pool.For(len(h.data), func(lo, hi int) {
		asm.Add(h.data[lo:hi], h.data[lo:hi], x.data[lo:hi])
	})
}

func (m *Model) resBlock(r *resBlock, x tensor) tensor {
	h := m.normSwish(&r.norm1, x, true)
	h = m.conv(&r.conv1, h, 1)
	h = m.normSwish(&r.norm2, h, true)
	h = m.conv(&r.conv2, h, 1)
	if r.shortcut != nil {
		x = m.conv(r.shortcut, x, 1)
	}
	m.addResidual(h, x)
	return h
}

// attnBlock: softmax(qᵀk/√c) over spatial positions, applied to v, then
// proj_out and the residual.
func (m *Model) attnBlock(a *attnBlock, x tensor) tensor {
	hn := m.normSwish(&a.norm, x, false)
	q, k, v := m.conv(&a.q, hn, 1), m.conv(&a.k, hn, 1), m.conv(&a.v, hn, 1)
	c, n := x.c, x.h*x.w
	qt, kt := transpose(q.data, c, n), transpose(k.data, c, n) // [n, c]
	scores := make([]float32, n*n)
	ops.Gemm(m.pool, &ops.Mat{DType: ops.F32, Rows: n, Cols: c, F32: kt}, qt, n, scores)
	scale := float32(1 / math.Sqrt(float64(c)))
	for i := 0; i < n; i++ {
		row := scores[i*n : (i+1)*n]
		for j := range row {
			row[j] *= scale
		}
		ops.Softmax(row)
	}
	// out[c, i] = Σ_j v[c, j]·w[i, j]: v [c×n] times wᵀ.
	att := newTensor(c, x.h, x.w)
	ops.Gemm(m.pool, &ops.Mat{DType: ops.F32, Rows: n, Cols: n, F32: scores}, v.data, c, att.data)
	h := m.conv(&a.proj, att, 1)
	m.addResidual(h, x)
	return h
}

func transpose(x []float32, rows, cols int) []float32 {
	out := make([]float32, len(x))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			out[c*rows+r] = x[r*cols+c]
		}
	}
	return out
}

func upsample(x tensor) tensor {
	out := newTensor(x.c, 2*x.h, 2*x.w)
	ops.UpsampleNearest2x(x.data, x.c, x.h, x.w, out.data)
	return out
}

func (m *Model) runEncoder(x tensor) tensor {
	e := m.enc
	h := m.conv(&e.convIn, x, 1)
	for li := range e.levels {
		lv := &e.levels[li]
		for j := range lv.blocks {
			h = m.resBlock(&lv.blocks[j], h)
			if j < len(lv.attns) {
				h = m.attnBlock(&lv.attns[j], h)
			}
		}
		if lv.resample != nil {
			h = m.conv(lv.resample, h, 2)
		}
	}
	h = m.resBlock(&e.mid1, h)
	h = m.attnBlock(&e.midAttn, h)
	h = m.resBlock(&e.mid2, h)
	h = m.normSwish(&e.normOut, h, true)
	return m.conv(&e.convOut, h, 1)
}

func (m *Model) runDecoder(z tensor) tensor {
	d := m.dec
	h := m.conv(&d.convIn, z, 1)
	h = m.resBlock(&d.mid1, h)
	h = m.attnBlock(&d.midAttn, h)
	h = m.resBlock(&d.mid2, h)
	for li := range d.levels {
		lv := &d.levels[li]
		for j := range lv.blocks {
			h = m.resBlock(&lv.blocks[j], h)
			if j < len(lv.attns) {
				h = m.attnBlock(&lv.attns[j], h)
			}
		}
		if lv.resample != nil {
			h = m.conv(lv.resample, upsample(h), 1)
		}
	}
	h = m.normSwish(&d.normOut, h, true)
	return m.conv(&d.convOut, h, 1)
}

// Encode maps a preprocessed image [3, R, R] in [-1, 1] to its codes in
// raster order. gaps[i] is the distance gap between the nearest and the
// second-nearest codebook entry (a near-tie when tiny; for LlamaGen, between
// the normalised latent and normalised entries).
func (m *Model) Encode(pixels []float32) (codes []int, gaps []float32, err error) {
	if m.enc == nil {
		return nil, nil, fmt.Errorf("this checkpoint's VQ-GAN has no encoder")
	}
	R := m.Cfg.Resolution
	if len(pixels) != m.Cfg.InChannels*R*R {
		return nil, nil, fmt.Errorf("image tensor has %d values, want %d×%d×%d", len(pixels), m.Cfg.InChannels, R, R)
	}
	h := m.runEncoder(tensor{pixels, m.Cfg.InChannels, R, R})
	z := m.conv(m.quantConv, h, 1)
	n, D := z.h*z.w, m.Cfg.EmbedDim
	zt := transpose(z.data, D, n) // [n, D]
	codes, gaps = make([]int, n), make([]float32, n)
	for i := 0; i < n; i++ {
		if m.Cfg.Arch == ArchLlamaGen { // its codebook was normalised at load
			l2Normalize(zt[i*D : (i+1)*D])
		}
		codes[i], gaps[i] = m.nearest(zt[i*D : (i+1)*D])
	}
	return codes, gaps, nil
}

// Decode maps codes (raster order, GridSize² of them) to pixels [3, R, R],
// about [-1, 1] and unclamped.
func (m *Model) Decode(codes []int) ([]float32, error) {
	g := m.Cfg.GridSize()
	if len(codes) != g*g {
		return nil, fmt.Errorf("%d codes given, the image needs %d×%d = %d", len(codes), g, g, g*g)
	}
	return m.DecodeGrid(codes, g, g)
}

// DecodeGrid decodes a rows×cols code grid (Lumina draws non-square
// images) to pixels [3, rows·f, cols·f] with f the upsampling factor.
func (m *Model) DecodeGrid(codes []int, rows, cols int) ([]float32, error) {
	if m.dec == nil {
		return nil, fmt.Errorf("this checkpoint's VQ-GAN has no decoder")
	}
	if rows <= 0 || cols <= 0 || rows > len(codes) || cols > len(codes) || rows*cols != len(codes) {
		return nil, fmt.Errorf("%d codes do not form a %d×%d grid", len(codes), rows, cols)
	}
	if err := m.Cfg.checkWork(rows, cols); err != nil {
		return nil, err
	}
	D, n := m.Cfg.EmbedDim, rows*cols
	z := newTensor(D, rows, cols)
	for i, code := range codes {
		if code < 0 || code >= m.Cfg.NumEmbeddings {
			return nil, fmt.Errorf("code %d at position %d out of range [0, %d)", code, i, m.Cfg.NumEmbeddings)
		}
		for c := 0; c < D; c++ {
			z.data[c*n+i] = m.codebook[code*D+c]
		}
	}
	z = m.conv(m.postQuantConv, z, 1)
	return m.runDecoder(z).data, nil
}
