package vqgan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatumm/chatumm/weights"
)

// This file holds a random LlamaGen VQ-16 checkpoint writer and a plain
// float64 forward over its tensors, written from transformers'
// JanusVQVAE{Encoder,Decoder,ResnetBlock,AttnBlock,ConvUpsample} and
// deepseek-ai/Janus's VQModel, not from this package's code: direct
// convolutions, two-pass GroupNorm, softmax attention, by name.

// refParam is one tensor of the checkpoint, in float64.
type refParam struct {
	data  []float64
	shape []int
}

// llamaGenCheckpoint is a random VQ-16 in transformers' names (without
// the "model.vqmodel." prefix).
type llamaGenCheckpoint struct {
	cfg    *Config
	params map[string]refParam
	order  []string
}

// randomLlamaGen builds a random VQ-16 of cfg's shape. Codebook rows get
// norms from 0.2 to 3, so that a search or lookup without the L2
// normalisation gives other codes and pixels. encoder/decoder pick the halves.
func randomLlamaGen(cfg *Config, seed uint64, encoder, decoder bool) *llamaGenCheckpoint {
	rng := rand.New(rand.NewPCG(seed, 7))
	ck := &llamaGenCheckpoint{cfg: cfg, params: map[string]refParam{}}
	add := func(name string, scale float64, shape ...int) []float64 {
		n := 1
		for _, d := range shape {
			n *= d
		}
		d := make([]float64, n)
		for i := range d {
			// Rounded to float32 so both sides read the same numbers.
			d[i] = float64(float32((rng.Float64()*2 - 1) * scale))
		}
		ck.params[name] = refParam{d, shape}
		ck.order = append(ck.order, name)
		return d
	}
	conv := func(name string, cin, cout, k int) {
		add(name+".weight", math.Sqrt(3/float64(cin*k*k)), cout, cin, k, k)
		add(name+".bias", 0.05, cout)
	}
	norm := func(name string, c int) {
		w := add(name+".weight", 0.3, c)
		for i := range w {
			w[i] += 1
		}
		add(name+".bias", 0.1, c)
	}
	res := func(name string, cin, cout int) {
		norm(name+".norm1", cin)
		conv(name+".conv1", cin, cout, 3)
		norm(name+".norm2", cout)
		conv(name+".conv2", cout, cout, 3)
		if cin != cout {
			conv(name+".nin_shortcut", cin, cout, 1)
		}
	}
	attn := func(name string, c int) {
		norm(name+".norm", c)
		for _, p := range []string{"q", "k", "v", "proj_out"} {
			conv(name+"."+p, c, c, 1)
		}
	}
	mid := func(coder string, c int) {
		res(coder+".mid.block_1", c, c)
		attn(coder+".mid.attn_1", c)
		res(coder+".mid.block_2", c, c)
	}
	book := add("quantize.embedding.weight", 1, cfg.NumEmbeddings, cfg.EmbedDim)
	for i := 0; i < cfg.NumEmbeddings; i++ {
		s := 0.2 + 2.8*rng.Float64()
		for j := 0; j < cfg.EmbedDim; j++ {
			book[i*cfg.EmbedDim+j] = float64(float32(book[i*cfg.EmbedDim+j] * s))
		}
	}
	ch, mult, n := cfg.BaseChannels, cfg.ChannelMult, len(cfg.ChannelMult)
	if encoder {
		conv("encoder.conv_in", cfg.InChannels, ch, 3)
		in := ch
		for i := 0; i < n; i++ {
			for j := 0; j < cfg.NumResBlocks; j++ {
				res(fmt.Sprintf("encoder.down.%d.block.%d", i, j), in, ch*mult[i])
				in = ch * mult[i]
				if i == n-1 {
					attn(fmt.Sprintf("encoder.down.%d.attn.%d", i, j), in)
				}
			}
			if i != n-1 {
				conv(fmt.Sprintf("encoder.down.%d.downsample.conv", i), in, in, 3)
			}
		}
		mid("encoder", in)
		norm("encoder.norm_out", in)
		conv("encoder.conv_out", in, cfg.LatentChannels, 3)
		conv("quant_conv", cfg.LatentChannels, cfg.EmbedDim, 1)
	}
	if decoder {
		conv("post_quant_conv", cfg.EmbedDim, cfg.LatentChannels, 1)
		in := ch * mult[n-1]
		conv("decoder.conv_in", cfg.LatentChannels, in, 3)
		mid("decoder", in)
		// transformers appends up levels for i_level = n-1 .. 0.
		for k, lvl := 0, n-1; lvl >= 0; k, lvl = k+1, lvl-1 {
			for j := 0; j <= cfg.NumResBlocks; j++ {
				res(fmt.Sprintf("decoder.up.%d.block.%d", k, j), in, ch*mult[lvl])
				in = ch * mult[lvl]
				if lvl == n-1 {
					attn(fmt.Sprintf("decoder.up.%d.attn.%d", k, j), in)
				}
			}
			if lvl != 0 {
				conv(fmt.Sprintf("decoder.up.%d.upsample.conv", k), in, in, 3)
			}
		}
		norm("decoder.norm_out", in)
		conv("decoder.conv_out", in, cfg.OutChannels, 3)
	}
	return ck
}

// originalName is deepseek-ai/Janus's name of a transformers VQ-16 tensor
// (the renames of transformers' convert_janus_weights_to_hf.py, reversed).
func originalName(hf string) string {
	r := strings.NewReplacer("encoder.down.", "encoder.conv_blocks.", "decoder.up.", "decoder.conv_blocks.",
		".block.", ".res.", "mid.block_1", "mid.0", "mid.attn_1", "mid.1", "mid.block_2", "mid.2")
	return r.Replace(hf)
}

// write saves the checkpoint as float32 safetensors, each name passed
// through rename, and opens it.
func (ck *llamaGenCheckpoint) write(t testing.TB, rename func(string) string) *weights.Set {
	t.Helper()
	var ts []weights.WriteTensor
	for _, name := range ck.order {
		p := ck.params[name]
		data := make([]byte, 4*len(p.data))
		for i, v := range p.data {
			b := math.Float32bits(float32(v))
			data[4*i], data[4*i+1], data[4*i+2], data[4*i+3] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
		}
		ts = append(ts, weights.WriteTensor{Name: rename(name), DType: weights.F32, Shape: p.shape, Data: data})
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := weights.WriteSafetensors(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	set, err := weights.Open(path, weights.Mmap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	return set
}

// refMap is one float64 NCHW feature map.
type refMap struct {
	d       []float64
	c, h, w int
}

func (ck *llamaGenCheckpoint) p(name string) []float64 {
	p, ok := ck.params[name]
	if !ok {
		panic("reference: no tensor " + name)
	}
	return p.data
}

// conv is nn.Conv2d with padding k/2 (stride 1), or Downsample's
// F.pad(0,1,0,1) then stride 2, padding 0.
func (ck *llamaGenCheckpoint) conv(name string, x refMap, stride int) refMap {
	shape := ck.params[name+".weight"].shape
	cout, cin, k := shape[0], shape[1], shape[2]
	w, b := ck.p(name+".weight"), ck.p(name+".bias")
	pad, oh, ow := k/2, x.h, x.w
	if stride == 2 {
		pad, oh, ow = 0, (x.h+1-k)/2+1, (x.w+1-k)/2+1
	}
	out := refMap{make([]float64, cout*oh*ow), cout, oh, ow}
	for co := 0; co < cout; co++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				s := b[co]
				for ci := 0; ci < cin; ci++ {
					for ky := 0; ky < k; ky++ {
						iy := oy*stride + ky - pad
						if iy < 0 || iy >= x.h {
							continue
						}
						for kx := 0; kx < k; kx++ {
							ix := ox*stride + kx - pad
							if ix < 0 || ix >= x.w {
								continue
							}
							s += w[((co*cin+ci)*k+ky)*k+kx] * x.d[(ci*x.h+iy)*x.w+ix]
						}
					}
				}
				out.d[(co*oh+oy)*ow+ox] = s
			}
		}
	}
	return out
}

// norm is nn.GroupNorm(32, c, eps=1e-6), then swish when asked.
func (ck *llamaGenCheckpoint) norm(name string, x refMap, swish bool) refMap {
	w, b := ck.p(name+".weight"), ck.p(name+".bias")
	out := refMap{make([]float64, len(x.d)), x.c, x.h, x.w}
	per, hw := x.c/32, x.h*x.w
	for g := 0; g < 32; g++ {
		seg := x.d[g*per*hw : (g+1)*per*hw]
		var mean, vr float64
		for _, v := range seg {
			mean += v
		}
		mean /= float64(len(seg))
		for _, v := range seg {
			vr += (v - mean) * (v - mean)
		}
		vr /= float64(len(seg))
		for i, v := range seg {
			c := g*per + i/hw
			y := (v-mean)/math.Sqrt(vr+1e-6)*w[c] + b[c]
			if swish {
				y /= 1 + math.Exp(-y)
			}
			out.d[g*per*hw+i] = y
		}
	}
	return out
}

func refAdd(a, b refMap) refMap {
	out := refMap{make([]float64, len(a.d)), a.c, a.h, a.w}
	for i := range a.d {
		out.d[i] = a.d[i] + b.d[i]
	}
	return out
}

func (ck *llamaGenCheckpoint) res(name string, x refMap) refMap {
	h := ck.conv(name+".conv1", ck.norm(name+".norm1", x, true), 1)
	h = ck.conv(name+".conv2", ck.norm(name+".norm2", h, true), 1)
	if _, ok := ck.params[name+".nin_shortcut.weight"]; ok {
		x = ck.conv(name+".nin_shortcut", x, 1)
	}
	return refAdd(x, h)
}

func (ck *llamaGenCheckpoint) attn(name string, x refMap) refMap {
	hn := ck.norm(name+".norm", x, false)
	q, k, v := ck.conv(name+".q", hn, 1), ck.conv(name+".k", hn, 1), ck.conv(name+".v", hn, 1)
	n, c := x.h*x.w, x.c
	att := refMap{make([]float64, c*n), c, x.h, x.w}
	row := make([]float64, n)
	for i := 0; i < n; i++ {
		peak := math.Inf(-1)
		for j := 0; j < n; j++ {
			var s float64
			for cc := 0; cc < c; cc++ {
				s += q.d[cc*n+i] * k.d[cc*n+j]
			}
			row[j] = s / math.Sqrt(float64(c))
			peak = math.Max(peak, row[j])
		}
		var z float64
		for j := range row {
			row[j] = math.Exp(row[j] - peak)
			z += row[j]
		}
		for cc := 0; cc < c; cc++ {
			var s float64
			for j := 0; j < n; j++ {
				s += v.d[cc*n+j] * row[j] / z
			}
			att.d[cc*n+i] = s
		}
	}
	return refAdd(x, ck.conv(name+".proj_out", att, 1))
}

func refUpsample(x refMap) refMap {
	out := refMap{make([]float64, 4*len(x.d)), x.c, 2 * x.h, 2 * x.w}
	for c := 0; c < x.c; c++ {
		for y := 0; y < out.h; y++ {
			for xx := 0; xx < out.w; xx++ {
				out.d[(c*out.h+y)*out.w+xx] = x.d[(c*x.h+y/2)*x.w+xx/2]
			}
		}
	}
	return out
}

func (ck *llamaGenCheckpoint) mid(coder string, h refMap) refMap {
	h = ck.res(coder+".mid.block_1", h)
	h = ck.attn(coder+".mid.attn_1", h)
	return ck.res(coder+".mid.block_2", h)
}

// refEncode: JanusVQVAEEncoder, quant_conv, then the original quantizer:
// F.normalize both the latents and the codebook, argmin of the squared
// distance. It returns the codes, each code's gap to the second-nearest
// entry, and (for the sensitivity check) the codes an unnormalised search
// would give.
func (ck *llamaGenCheckpoint) refEncode(pixels []float64) (codes []int, gaps []float64, raw []int) {
	cfg := ck.cfg
	n := len(cfg.ChannelMult)
	R := cfg.Resolution
	h := ck.conv("encoder.conv_in", refMap{pixels, cfg.InChannels, R, R}, 1)
	for i := 0; i < n; i++ {
		for j := 0; j < cfg.NumResBlocks; j++ {
			h = ck.res(fmt.Sprintf("encoder.down.%d.block.%d", i, j), h)
			if i == n-1 {
				h = ck.attn(fmt.Sprintf("encoder.down.%d.attn.%d", i, j), h)
			}
		}
		if i != n-1 {
			h = ck.conv(fmt.Sprintf("encoder.down.%d.downsample.conv", i), h, 2)
		}
	}
	h = ck.mid("encoder", h)
	h = ck.conv("encoder.conv_out", ck.norm("encoder.norm_out", h, true), 1)
	z := ck.conv("quant_conv", h, 1)
	D, hw := cfg.EmbedDim, z.h*z.w
	book := ck.p("quantize.embedding.weight")
	search := func(zv []float64, normalise bool) (int, float64) {
		best, second, bi := math.Inf(1), math.Inf(1), 0
		for e := 0; e < cfg.NumEmbeddings; e++ {
			ev := refUnit(book[e*D:(e+1)*D], normalise)
			var d float64
			for c := range zv {
				d += (zv[c] - ev[c]) * (zv[c] - ev[c])
			}
			if d < best {
				second, best, bi = best, d, e
			} else if d < second {
				second = d
			}
		}
		return bi, second - best
	}
	for i := 0; i < hw; i++ {
		zv := make([]float64, D)
		for c := range zv {
			zv[c] = z.d[c*hw+i]
		}
		code, gap := search(refUnit(zv, true), true)
		codes, gaps = append(codes, code), append(gaps, gap)
		rc, _ := search(zv, false)
		raw = append(raw, rc)
	}
	return codes, gaps, raw
}

// refUnit is F.normalize(x, p=2, dim=-1) when normalise is set, else x.
func refUnit(x []float64, normalise bool) []float64 {
	if !normalise {
		return x
	}
	var s float64
	for _, v := range x {
		s += v * v
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v / math.Max(math.Sqrt(s), 1e-12)
	}
	return out
}

// refDecode: get_codebook_entry (normalised rows), post_quant_conv,
// JanusVQVAEDecoder, on a rows×cols grid. normalise=false gives the pixels
// of a lookup without the normalisation (the sensitivity check).
func (ck *llamaGenCheckpoint) refDecode(codes []int, rows, cols int, normalise bool) []float64 {
	cfg := ck.cfg
	D, n := cfg.EmbedDim, len(cfg.ChannelMult)
	book := ck.p("quantize.embedding.weight")
	z := refMap{make([]float64, D*rows*cols), D, rows, cols}
	for i, code := range codes {
		e := refUnit(book[code*D:(code+1)*D], normalise)
		for c := 0; c < D; c++ {
			z.d[c*rows*cols+i] = e[c]
		}
	}
	h := ck.conv("decoder.conv_in", ck.conv("post_quant_conv", z, 1), 1)
	h = ck.mid("decoder", h)
	for k := 0; k < n; k++ {
		for j := 0; j <= cfg.NumResBlocks; j++ {
			h = ck.res(fmt.Sprintf("decoder.up.%d.block.%d", k, j), h)
			if _, ok := ck.params[fmt.Sprintf("decoder.up.%d.attn.%d.q.weight", k, j)]; ok {
				h = ck.attn(fmt.Sprintf("decoder.up.%d.attn.%d", k, j), h)
			}
		}
		if k != n-1 {
			h = ck.conv(fmt.Sprintf("decoder.up.%d.upsample.conv", k), refUpsample(h), 1)
		}
	}
	return ck.conv("decoder.conv_out", ck.norm("decoder.norm_out", h, true), 1).d
}
