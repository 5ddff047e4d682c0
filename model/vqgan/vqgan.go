package vqgan

import (
	"fmt"
	"math"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// conv is one convolution: weight [cout, cin*k*k] and bias [cout].
type conv struct {
	w         *ops.Mat
	b         []float32
	cin, cout int
	k         int
}

type groupNorm struct{ w, b []float32 }

// resBlock is taming's ResnetBlock: norm1, swish, conv1, norm2, swish,
// conv2, plus a 1×1 nin_shortcut when the channel count changes.
type resBlock struct {
	norm1, norm2 groupNorm
	conv1, conv2 conv
	shortcut     *conv
}

// attnBlock is taming's single-head spatial self-attention.
type attnBlock struct {
	norm          groupNorm
	q, k, v, proj conv
}

type level struct {
	blocks   []resBlock
	attns    []attnBlock
	resample *conv // downsample (encoder) or upsample conv (decoder); nil at the end
}

type coder struct {
	convIn     conv
	levels     []level
	mid1, mid2 resBlock
	midAttn    attnBlock
	normOut    groupNorm
	convOut    conv
}

// Model is a loaded VQ-GAN. Either half may be missing (facebook's
// Chameleon ships no decoder).
type Model struct {
	Cfg                      *Config
	enc, dec                 *coder
	quantConv, postQuantConv *conv
	codebook                 []float32 // [NumEmbeddings, EmbedDim]
	codeNorms                []float32 // |e|² per entry
	pool                     *runtime.Pool
}

// HasEncoder and HasDecoder tell which directions are available.
func (m *Model) HasEncoder() bool { return m.enc != nil }
func (m *Model) HasDecoder() bool { return m.dec != nil }

type loader struct {
	set    *weights.Set
	prefix string
	err    error
}

func (l *loader) failf(format string, args ...any) {
	if l.err == nil {
		l.err = fmt.Errorf(format, args...)
	}
}

func (l *loader) tensor(name string, shape ...int) *weights.Tensor {
	if l.err != nil {
		return nil
	}
	t, ok := l.set.Tensor(l.prefix + name)
	if !ok {
		l.failf("missing tensor %q", l.prefix+name)
		return nil
	}
	if len(t.Shape) != len(shape) {
		l.failf("tensor %q has shape %v, want %v", l.prefix+name, t.Shape, shape)
		return nil
	}
	for i := range shape {
		if t.Shape[i] != shape[i] {
			l.failf("tensor %q has shape %v, want %v", l.prefix+name, t.Shape, shape)
			return nil
		}
	}
	return t
}

func (l *loader) floats(name string, shape ...int) []float32 {
	t := l.tensor(name, shape...)
	if t == nil {
		return nil
	}
	out, err := t.Float32s()
	if err != nil {
		l.failf("%v", err)
	}
	return out
}

// conv loads NAME.weight [cout, cin, k, k] and NAME.bias [cout], widened to
// f32 once (convolutions run on the f32 GEMM path).
func (l *loader) conv(name string, cin, cout, k int) conv {
	w := l.floats(name+".weight", cout, cin, k, k)
	b := l.floats(name+".bias", cout)
	return conv{w: &ops.Mat{DType: ops.F32, Rows: cout, Cols: cin * k * k, F32: w}, b: b, cin: cin, cout: cout, k: k}
}

func (l *loader) norm(name string, c int) groupNorm {
	return groupNorm{w: l.floats(name+".weight", c), b: l.floats(name+".bias", c)}
}

func (l *loader) res(name string, cin, cout int) resBlock {
	r := resBlock{
		norm1: l.norm(name+".norm1", cin), conv1: l.conv(name+".conv1", cin, cout, 3),
		norm2: l.norm(name+".norm2", cout), conv2: l.conv(name+".conv2", cout, cout, 3),
	}
	if cin != cout {
		s := l.conv(name+".nin_shortcut", cin, cout, 1)
		r.shortcut = &s
	}
	return r
}

func (l *loader) attn(name string, c int) attnBlock {
	return attnBlock{norm: l.norm(name+".norm", c), q: l.conv(name+".q", c, c, 1), k: l.conv(name+".k", c, c, 1),
		v: l.conv(name+".v", c, c, 1), proj: l.conv(name+".proj_out", c, c, 1)}
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Load reads the VQ-GAN from set. The tensors may sit under
// "model.vqmodel." (Chameleon checkpoints) or at the top level (a VQ-GAN
// saved alone); the decoder is optional. A LlamaGen config (cfg.Arch) is
// read by loadLlamaGen.
func Load(set *weights.Set, cfg *Config, pool *runtime.Pool) (*Model, error) {
	if cfg.Arch == ArchLlamaGen {
		return loadLlamaGen(set, cfg, pool)
	}
	prefix := ""
	for _, p := range []string{"model.vqmodel.", "vqmodel.", ""} {
		if _, ok := set.Tensor(p + "quantize.embedding.weight"); ok {
			prefix = p
			break
		}
		if p == "" {
			return nil, fmt.Errorf("%s: no VQ-GAN in the checkpoint (missing quantize.embedding.weight)", set.Files()[0])
		}
	}
	l := &loader{set: set, prefix: prefix}
	m := &Model{Cfg: cfg, pool: pool}
	m.codebook = l.floats("quantize.embedding.weight", cfg.NumEmbeddings, cfg.EmbedDim)
	zc := cfg.LatentChannels
	if _, ok := set.Tensor(prefix + "encoder.conv_in.weight"); ok {
		zOut := zc
		if cfg.DoubleLatent {
			zOut = 2 * zc
		}
		m.enc = l.encoder(cfg, zOut)
		qc := l.conv("quant_conv", zOut, cfg.EmbedDim, 1)
		m.quantConv = &qc
	}
	if _, ok := set.Tensor(prefix + "decoder.conv_in.weight"); ok {
		m.dec = l.decoder(cfg)
		pq := l.conv("post_quant_conv", cfg.EmbedDim, zc, 1)
		m.postQuantConv = &pq
	}
	if l.err != nil {
		return nil, fmt.Errorf("%s: vq-gan: %v", set.Files()[0], l.err)
	}
	if m.enc == nil && m.dec == nil {
		return nil, fmt.Errorf("%s: the VQ-GAN has neither encoder nor decoder", set.Files()[0])
	}
	m.codeNorms = make([]float32, cfg.NumEmbeddings)
	for i := range m.codeNorms {
		var s float64
		for _, v := range m.codebook[i*cfg.EmbedDim : (i+1)*cfg.EmbedDim] {
			s += float64(v) * float64(v)
		}
		m.codeNorms[i] = float32(s)
	}
	return m, nil
}

func (l *loader) encoder(cfg *Config, zOut int) *coder {
	ch, mult := cfg.BaseChannels, cfg.ChannelMult
	c := &coder{convIn: l.conv("encoder.conv_in", cfg.InChannels, ch, 3)}
	res := cfg.Resolution
	blockIn := ch
	for i := range mult {
		var lv level
		blockOut := ch * mult[i]
		for j := 0; j < cfg.NumResBlocks; j++ {
			lv.blocks = append(lv.blocks, l.res(fmt.Sprintf("encoder.down.%d.block.%d", i, j), blockIn, blockOut))
			blockIn = blockOut
			if contains(cfg.AttnResolution, res) {
				lv.attns = append(lv.attns, l.attn(fmt.Sprintf("encoder.down.%d.attn.%d", i, j), blockIn))
			}
		}
		if i != len(mult)-1 {
			d := l.conv(fmt.Sprintf("encoder.down.%d.downsample.conv", i), blockIn, blockIn, 3)
			lv.resample = &d
			res /= 2
		}
		c.levels = append(c.levels, lv)
	}
	c.mid1 = l.res("encoder.mid.block_1", blockIn, blockIn)
	c.midAttn = l.attn("encoder.mid.attn_1", blockIn)
	c.mid2 = l.res("encoder.mid.block_2", blockIn, blockIn)
	c.normOut = l.norm("encoder.norm_out", blockIn)
	c.convOut = l.conv("encoder.conv_out", blockIn, zOut, 3)
	return c
}

// decoder loads up.{L} for L from the deepest level to 0; c.levels is kept
// in execution order (deepest first).
func (l *loader) decoder(cfg *Config) *coder {
	ch, mult := cfg.BaseChannels, cfg.ChannelMult
	n := len(mult)
	blockIn := ch * mult[n-1]
	res := cfg.GridSize()
	c := &coder{convIn: l.conv("decoder.conv_in", cfg.LatentChannels, blockIn, 3)}
	c.mid1 = l.res("decoder.mid.block_1", blockIn, blockIn)
	c.midAttn = l.attn("decoder.mid.attn_1", blockIn)
	c.mid2 = l.res("decoder.mid.block_2", blockIn, blockIn)
	for i := n - 1; i >= 0; i-- {
		var lv level
		blockOut := ch * mult[i]
		for j := 0; j <= cfg.NumResBlocks; j++ {
			lv.blocks = append(lv.blocks, l.res(fmt.Sprintf("decoder.up.%d.block.%d", i, j), blockIn, blockOut))
			blockIn = blockOut
			if contains(cfg.AttnResolution, res) {
				lv.attns = append(lv.attns, l.attn(fmt.Sprintf("decoder.up.%d.attn.%d", i, j), blockIn))
			}
		}
		if i != 0 {
			u := l.conv(fmt.Sprintf("decoder.up.%d.upsample.conv", i), blockIn, blockIn, 3)
			lv.resample = &u
			res *= 2
		}
		c.levels = append(c.levels, lv)
	}
	c.normOut = l.norm("decoder.norm_out", blockIn)
	c.convOut = l.conv("decoder.conv_out", blockIn, cfg.OutChannels, 3)
	return c
}

// Nearest returns the codebook entry closest to z (L2) and the gap between
// the nearest and second-nearest squared distances.
func (m *Model) nearest(z []float32) (int, float32) {
	D := m.Cfg.EmbedDim
	best, second := float32(math.Inf(1)), float32(math.Inf(1))
	bi := 0
	for i := 0; i < m.Cfg.NumEmbeddings; i++ {
		e := m.codebook[i*D : (i+1)*D]
		d := m.codeNorms[i] - 2*asm.DotF32(e, z)
		if d < best {
			second, best, bi = best, d, i
		} else if d < second {
			second = d
		}
	}
	return bi, second - best
}
