// Package vqgan is the image tokenizer of Chameleon-family and Janus
// models: the taming-transformers VQ-GAN, or LlamaGen's VQ-16 (Arch), that
// turns an image into a grid of codebook indices (encoder, quant_conv,
// nearest codebook entry) and codes back into pixels (post_quant_conv,
// decoder), on the ops convolutions.
package vqgan

import (
	"encoding/json"
	"fmt"

	"github.com/chatumm/chatumm/runtime/fileio"
)

// MaxResolution caps vq_config.resolution, the side of the square image the
// encoder takes. Chameleon, Anole and Lumina-mGPT train their VQ-GANs at 512;
// preprocessing allocates 3 × resolution² floats and the encoder's first
// feature maps base_channels × resolution², so 2048 (16× Chameleon's pixels,
// a 2 GiB feature map at its 128 channels) is generous, while 16384 would
// need 128 GiB per feature map.
const MaxResolution = 2048

// The work caps of one image, checked at config load (for the resolution)
// and for every decoded grid: the largest feature map a level holds, and
// the attention score matrix (positions² floats) of an attention block.
// Chameleon's 512-pixel image needs 128 MiB and 4 MiB.
const (
	maxFeatureMapBytes = 2 << 30
	maxAttentionBytes  = 1 << 30
)

// Config is the VQ-GAN's shape, accepted in the Hugging Face and in the
// original taming-transformers spelling.
type Config struct {
	Arch           Arch // the layout: taming's (zero value) or LlamaGen's VQ-16
	EmbedDim       int
	NumEmbeddings  int
	LatentChannels int
	DoubleLatent   bool
	Resolution     int
	InChannels     int
	OutChannels    int
	BaseChannels   int
	ChannelMult    []int
	NumResBlocks   int
	AttnResolution []int
	NormGroups     int
}

// GridSize is the side of the latent grid: one code per cell.
func (v *Config) GridSize() int { return v.Resolution >> (len(v.ChannelMult) - 1) }

// ParseConfig reads vq_config; it accepts both spellings of vq_config; a key missing in both
// takes Chameleon's 7B default. A Janus vq_config (model_type "janus_vqgan",
// or a num_patches key) is LlamaGen's VQ-16 instead, with Janus-Pro's
// defaults.
func ParseConfig(data []byte) (*Config, error) { return parseConfig(data, false) }

// parseConfig reads vq_config as LlamaGen's when llamaGen is set or the
// config says so.
func parseConfig(data []byte, llamaGen bool) (*Config, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	v := &Config{
		EmbedDim: 256, NumEmbeddings: 8192, LatentChannels: 256, Resolution: 512,
		InChannels: 3, OutChannels: 3, BaseChannels: 128, ChannelMult: []int{1, 1, 2, 2, 4},
		NumResBlocks: 2, NormGroups: 32,
	}
	llamaGen = llamaGen || isLlamaGenConfig(m) // Janus's VQ-16: other defaults and keys
	if llamaGen {
		v = llamaGenDefaults()
	}
	getInt := func(dst *int, names ...string) error {
		for _, n := range names {
			if raw, ok := m[n]; ok {
				if err := json.Unmarshal(raw, dst); err != nil {
					return fmt.Errorf("%s: %v", n, err)
				}
				return nil
			}
		}
		return nil
	}
	getInts := func(dst *[]int, names ...string) error {
		for _, n := range names {
			if raw, ok := m[n]; ok {
				var xs []int
				if err := json.Unmarshal(raw, &xs); err != nil {
					return fmt.Errorf("%s: %v", n, err)
				}
				*dst = xs
				return nil
			}
		}
		return nil
	}
	for _, e := range []error{
		getInt(&v.EmbedDim, "embed_dim"),
		getInt(&v.NumEmbeddings, "num_embeddings", "n_embed"),
		getInt(&v.LatentChannels, "latent_channels", "z_channels"),
		getInt(&v.Resolution, "resolution"),
		getInt(&v.InChannels, "in_channels"),
		getInt(&v.OutChannels, "out_channels", "out_ch"),
		getInt(&v.BaseChannels, "base_channels", "ch"),
		getInts(&v.ChannelMult, "channel_multiplier", "ch_mult"),
		getInt(&v.NumResBlocks, "num_res_blocks"),
		getInts(&v.AttnResolution, "attn_resolutions"),
		getInt(&v.NormGroups, "norm_num_groups"),
	} {
		if e != nil {
			return nil, e
		}
	}
	for _, n := range []string{"double_latent", "double_z"} {
		if raw, ok := m[n]; ok {
			if err := json.Unmarshal(raw, &v.DoubleLatent); err != nil {
				return nil, fmt.Errorf("%s: %v", n, err)
			}
		}
	}
	if llamaGen {
		if err := v.finishLlamaGen(m); err != nil {
			return nil, err
		}
	}
	pos := func(name string, x, max int) error {
		if x <= 0 || x > max {
			return fmt.Errorf("%s = %d out of range [1, %d]", name, x, max)
		}
		return nil
	}
	if v.Resolution > MaxResolution {
		return nil, fmt.Errorf("resolution = %d is more than the %d supported (one %d×%d image would need %s per feature map)",
			v.Resolution, MaxResolution, v.Resolution, v.Resolution,
			fileio.FormatBytes(int64(v.BaseChannels)*int64(v.Resolution)*int64(v.Resolution)*4))
	}
	for _, e := range []error{
		pos("embed_dim", v.EmbedDim, 1<<16), pos("num_embeddings", v.NumEmbeddings, 1<<20),
		pos("latent_channels", v.LatentChannels, 1<<16), pos("resolution", v.Resolution, MaxResolution),
		pos("in_channels", v.InChannels, 16), pos("out_channels", v.OutChannels, 16),
		pos("base_channels", v.BaseChannels, 1<<14), pos("num_res_blocks", v.NumResBlocks, 64),
		pos("norm_num_groups", v.NormGroups, 1<<14), pos("len(channel_multiplier)", len(v.ChannelMult), 10),
	} {
		if e != nil {
			return nil, e
		}
	}
	for _, mult := range v.ChannelMult {
		if err := pos("channel_multiplier entry", mult, 64); err != nil {
			return nil, err
		}
		if (v.BaseChannels*mult)%v.NormGroups != 0 {
			return nil, fmt.Errorf("channels %d not divisible by norm_num_groups %d", v.BaseChannels*mult, v.NormGroups)
		}
	}
	if v.Resolution%(1<<(len(v.ChannelMult)-1)) != 0 {
		return nil, fmt.Errorf("resolution %d not divisible by the downsampling factor %d", v.Resolution, 1<<(len(v.ChannelMult)-1))
	}
	if err := v.checkWork(v.GridSize(), v.GridSize()); err != nil {
		return nil, fmt.Errorf("resolution %d: %v", v.Resolution, err)
	}
	return v, nil
}

// checkWork refuses a rows×cols code grid (an image of rows·f × cols·f
// pixels, f the downsampling factor) whose encoding or decoding would need
// a feature map over maxFeatureMapBytes or attention scores over
// maxAttentionBytes, with the numbers in the error.
func (v *Config) checkWork(rows, cols int) error {
	levels := len(v.ChannelMult)
	f := 1 << (levels - 1)
	for i := range levels {
		// Level i holds maps of its own channels and, at its edges, those of
		// the levels beside it (a resample, the first block).
		mult := max(1, v.ChannelMult[i], v.ChannelMult[max(i-1, 0)], v.ChannelMult[min(i+1, levels-1)])
		side := f >> i // pixels per code at this level, each way
		positions := float64(rows) * float64(side) * float64(cols) * float64(side)
		if bytes := positions * float64(v.BaseChannels*mult) * 4; bytes > maxFeatureMapBytes {
			return fmt.Errorf("a %d×%d image needs a %s feature map (%d channels); at most %s",
				rows*f, cols*f, sizeText(bytes), v.BaseChannels*mult, fileio.FormatBytes(maxFeatureMapBytes))
		}
		// The middle block always has attention, at the deepest level;
		// other levels where attn_resolutions names their square size.
		if i == levels-1 || contains(v.AttnResolution, v.Resolution>>i) {
			if bytes := positions * positions * 4; bytes > maxAttentionBytes {
				return fmt.Errorf("a %d×%d image needs %s of attention scores at %d×%d; at most %s",
					rows*f, cols*f, sizeText(bytes), rows*side, cols*side, fileio.FormatBytes(maxAttentionBytes))
			}
		}
	}
	return nil
}

// sizeText writes a byte count that may be beyond int64.
func sizeText(bytes float64) string {
	if bytes >= 1<<62 {
		return "more than 4 EiB"
	}
	return fileio.FormatBytes(int64(bytes))
}
