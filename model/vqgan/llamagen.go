package vqgan

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/chatumm/chatumm/runtime"
	"github.com/chatumm/chatumm/weights"
)

// Arch is a VQ-GAN's layout. Both run on the same blocks (ResnetBlock,
// AttnBlock, GroupNorm(eps 1e-6) + swish, the bottom/right-padded stride-2
// downsample, nearest 2× upsample + 3×3 conv, every conv with a bias); they
// differ in where attention sits, how the decoder's levels are numbered and
// whether the codebook is L2-normalised.
type Arch string

const (
	// ArchTaming is taming-transformers' VQ-GAN (Chameleon, Anole,
	// Lumina-mGPT): attention where attn_resolutions says, decoder levels
	// numbered by resolution (up.0 is the full-resolution one, run last).
	ArchTaming Arch = ""
	// ArchLlamaGen is LlamaGen's VQ-16 tokenizer (Janus, Janus-Pro):
	// attention after every block of the lowest-resolution level only,
	// decoder levels numbered in execution order (up.0 is the
	// lowest-resolution one, run first), and both the encoder's latents
	// and the codebook L2-normalised before the nearest-code search (the
	// codebook also when decoding).
	ArchLlamaGen Arch = "llamagen"
)

// llamaGenGrid is the VQ-16 code grid side when vq_config has no
// num_patches: transformers sets it from the vision tower (384 / 16 = 24),
// the size Janus and Janus-Pro draw at.
const llamaGenGrid = 24

// isLlamaGenConfig recognises a Janus vq_config: transformers writes
// model_type "janus_vqgan" and, in place of taming's resolution, the code
// grid side num_patches.
func isLlamaGenConfig(m map[string]json.RawMessage) bool {
	var mt string
	if raw, ok := m["model_type"]; ok && json.Unmarshal(raw, &mt) == nil && mt == "janus_vqgan" {
		return true
	}
	_, ok := m["num_patches"]
	return ok
}

// ParseLlamaGenConfig reads a Janus vq_config as LlamaGen's VQ-16 whatever
// keys it has (a key it lacks takes Janus-Pro's value); ParseConfig
// recognises one by its model_type "janus_vqgan" or num_patches key.
func ParseLlamaGenConfig(data []byte) (*Config, error) { return parseConfig(data, true) }

// llamaGenDefaults is JanusVQVAEConfig's defaults (Janus-Pro-1B and -7B).
func llamaGenDefaults() *Config {
	return &Config{
		Arch: ArchLlamaGen, EmbedDim: 8, NumEmbeddings: 16384, LatentChannels: 256,
		InChannels: 3, OutChannels: 3, BaseChannels: 128, ChannelMult: []int{1, 1, 2, 2, 4},
		NumResBlocks: 2, NormGroups: 32,
	}
}

// finishLlamaGen completes a LlamaGen config once its keys are read: the
// image side is num_patches × the downsampling factor; GroupNorm always has
// 32 groups and attention sits at the lowest resolution whatever the keys
// say (the model hard-codes both, so such keys are ignored as transformers
// ignores them); double latents are refused (quant_conv reads
// latent_channels).
func (v *Config) finishLlamaGen(m map[string]json.RawMessage) error {
	grid := llamaGenGrid
	if raw, ok := m["num_patches"]; ok {
		if err := json.Unmarshal(raw, &grid); err != nil {
			return fmt.Errorf("num_patches: %v", err)
		}
	}
	levels := len(v.ChannelMult)
	if levels < 1 || levels > 10 {
		return fmt.Errorf("len(channel_multiplier) = %d out of range [1, 10]", levels)
	}
	if maxGrid := MaxResolution >> (levels - 1); grid <= 0 || grid > maxGrid {
		return fmt.Errorf("num_patches = %d out of range [1, %d] (images of at most %d pixels a side)", grid, maxGrid, MaxResolution)
	}
	res := grid << (levels - 1)
	if _, ok := m["resolution"]; ok && v.Resolution != res {
		return fmt.Errorf("resolution %d disagrees with num_patches %d (%d×%d = %d)", v.Resolution, grid, grid, 1<<(levels-1), res)
	}
	if v.DoubleLatent {
		return fmt.Errorf("double_latent is not supported by the LlamaGen VQ-16 (its quant_conv reads latent_channels)")
	}
	v.Resolution, v.NormGroups, v.AttnResolution = res, 32, nil
	return nil
}

// SetGrid sets a LlamaGen config's code grid side to g and its image side
// to match, as transformers does from the vision tower (num_patches =
// vision image_size / patch_size, whatever vq_config says).
func (v *Config) SetGrid(g int) error {
	if v.Arch != ArchLlamaGen {
		return fmt.Errorf("the code grid of a taming VQ-GAN follows its resolution")
	}
	w := *v
	if err := w.finishLlamaGen(map[string]json.RawMessage{"num_patches": json.RawMessage(fmt.Sprint(g))}); err != nil {
		return err
	}
	if err := w.checkWork(g, g); err != nil {
		return fmt.Errorf("num_patches %d: %v", g, err)
	}
	*v = w
	return nil
}

// llamaGenNames spells one checkpoint layout's module names.
type llamaGenNames struct {
	down, up, block               string // encoder/decoder level lists, a level's block list
	midBlock1, midAttn, midBlock2 string
}

var (
	// hfLlamaGen: transformers' JanusVQVAE (deepseek-community/Janus-Pro-*).
	hfLlamaGen = llamaGenNames{down: "encoder.down", up: "decoder.up", block: "block",
		midBlock1: "mid.block_1", midAttn: "mid.attn_1", midBlock2: "mid.block_2"}
	// originalLlamaGen: deepseek-ai/Janus's VQModel (gen_vision_model.*).
	originalLlamaGen = llamaGenNames{down: "encoder.conv_blocks", up: "decoder.conv_blocks", block: "res",
		midBlock1: "mid.0", midAttn: "mid.1", midBlock2: "mid.2"}
)

// loadLlamaGen reads a LlamaGen VQ-16 from set, in transformers' names
// (under "model.vqmodel.") or the original ones (under "gen_vision_model."),
// or saved alone. Either half may be missing.
func loadLlamaGen(set *weights.Set, cfg *Config, pool *runtime.Pool) (*Model, error) {
	prefix, found := "", false
	for _, p := range []string{"model.vqmodel.", "gen_vision_model.", "vqmodel.", ""} {
		if _, ok := set.Tensor(p + "quantize.embedding.weight"); ok {
			prefix, found = p, true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no VQ-16 image tokenizer in the checkpoint (missing model.vqmodel.quantize.embedding.weight)", set.Files()[0])
	}
	names := hfLlamaGen
	for _, probe := range []string{"encoder.conv_blocks.0.res.0.norm1.weight", "decoder.conv_blocks.0.res.0.norm1.weight"} {
		if _, ok := set.Tensor(prefix + probe); ok {
			names = originalLlamaGen
		}
	}
	l := &loader{set: set, prefix: prefix}
	m := &Model{Cfg: cfg, pool: pool}
	m.codebook = l.floats("quantize.embedding.weight", cfg.NumEmbeddings, cfg.EmbedDim)
	if _, ok := set.Tensor(prefix + "encoder.conv_in.weight"); ok {
		m.enc = l.llamaGenEncoder(cfg, names)
		qc := l.conv("quant_conv", cfg.LatentChannels, cfg.EmbedDim, 1)
		m.quantConv = &qc
	}
	if _, ok := set.Tensor(prefix + "decoder.conv_in.weight"); ok {
		m.dec = l.llamaGenDecoder(cfg, names)
		pq := l.conv("post_quant_conv", cfg.EmbedDim, cfg.LatentChannels, 1)
		m.postQuantConv = &pq
	}
	if l.err != nil {
		return nil, fmt.Errorf("%s: vq-16: %v", set.Files()[0], l.err)
	}
	if m.enc == nil && m.dec == nil {
		return nil, fmt.Errorf("%s: the VQ-16 image tokenizer has neither encoder nor decoder (no %sencoder.conv_in.weight or %sdecoder.conv_in.weight)",
			set.Files()[0], prefix, prefix)
	}
	// Decoding looks entries up normalised and encoding compares normalised
	// latents with normalised entries, so the entries are normalised once
	// here; nearest's |e|² are then 1 up to rounding.
	D := cfg.EmbedDim
	m.codeNorms = make([]float32, cfg.NumEmbeddings)
	for i := range m.codeNorms {
		e := m.codebook[i*D : (i+1)*D]
		l2Normalize(e)
		var s float64
		for _, x := range e {
			s += float64(x) * float64(x)
		}
		m.codeNorms[i] = float32(s)
	}
	return m, nil
}

// l2Normalize scales x to unit length in place, as torch's F.normalize:
// x / max(|x|, 1e-12), the norm summed in float64.
func l2Normalize(x []float32) {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	inv := 1 / math.Max(math.Sqrt(s), 1e-12)
	for i, v := range x {
		x[i] = float32(float64(v) * inv)
	}
}

// llamaGenEncoder: down.{i} for i from full resolution down, blocks
// base·in_mult[i] → base·mult[i] (in_mult = 1, mult...), an AttnBlock after
// each block of the last level, a downsample after every level but the
// last; mid R, A, R; norm_out, swish, conv_out to latent_channels.
func (l *loader) llamaGenEncoder(cfg *Config, n llamaGenNames) *coder {
	ch, mult := cfg.BaseChannels, cfg.ChannelMult
	last := len(mult) - 1
	c := &coder{convIn: l.conv("encoder.conv_in", cfg.InChannels, ch, 3)}
	blockIn := ch
	for i := range mult {
		var lv level
		blockOut := ch * mult[i]
		for j := 0; j < cfg.NumResBlocks; j++ {
			lv.blocks = append(lv.blocks, l.res(fmt.Sprintf("%s.%d.%s.%d", n.down, i, n.block, j), blockIn, blockOut))
			blockIn = blockOut
			if i == last {
				lv.attns = append(lv.attns, l.attn(fmt.Sprintf("%s.%d.attn.%d", n.down, i, j), blockIn))
			}
		}
		if i != last {
			d := l.conv(fmt.Sprintf("%s.%d.downsample.conv", n.down, i), blockIn, blockIn, 3)
			lv.resample = &d
		}
		c.levels = append(c.levels, lv)
	}
	c.mid1 = l.res("encoder."+n.midBlock1, blockIn, blockIn)
	c.midAttn = l.attn("encoder."+n.midAttn, blockIn)
	c.mid2 = l.res("encoder."+n.midBlock2, blockIn, blockIn)
	c.normOut = l.norm("encoder.norm_out", blockIn)
	c.convOut = l.conv("encoder.conv_out", blockIn, cfg.LatentChannels, 3)
	return c
}

// llamaGenDecoder: conv_in latent → base·mult[last]; mid R, A, R; then
// up.{k} for k = 0.. in execution order, level k holding num_res_blocks+1
// blocks to base·mult[last-k], an AttnBlock after each block of up.0, and a
// nearest 2× upsample + conv after every level but the last; norm_out,
// swish, conv_out. c.levels is kept in the same order.
func (l *loader) llamaGenDecoder(cfg *Config, n llamaGenNames) *coder {
	ch, mult := cfg.BaseChannels, cfg.ChannelMult
	last := len(mult) - 1
	blockIn := ch * mult[last]
	c := &coder{convIn: l.conv("decoder.conv_in", cfg.LatentChannels, blockIn, 3)}
	c.mid1 = l.res("decoder."+n.midBlock1, blockIn, blockIn)
	c.midAttn = l.attn("decoder."+n.midAttn, blockIn)
	c.mid2 = l.res("decoder."+n.midBlock2, blockIn, blockIn)
	for k := range mult {
		var lv level
		blockOut := ch * mult[last-k]
		for j := 0; j <= cfg.NumResBlocks; j++ {
			lv.blocks = append(lv.blocks, l.res(fmt.Sprintf("%s.%d.%s.%d", n.up, k, n.block, j), blockIn, blockOut))
			blockIn = blockOut
			if k == 0 {
				lv.attns = append(lv.attns, l.attn(fmt.Sprintf("%s.%d.attn.%d", n.up, k, j), blockIn))
			}
		}
		if k != last {
			u := l.conv(fmt.Sprintf("%s.%d.upsample.conv", n.up, k), blockIn, blockIn, 3)
			lv.resample = &u
		}
		c.levels = append(c.levels, lv)
	}
	c.normOut = l.norm("decoder.norm_out", blockIn)
	c.convOut = l.conv("decoder.conv_out", blockIn, cfg.OutChannels, 3)
	return c
}
