// Package vqgan is the image tokenizer of Chameleon-family models: the
// taming-transformers VQ-GAN that turns an image into a grid of codebook
// indices (encoder, quant_conv, nearest codebook entry) and codes back into
// pixels (post_quant_conv, decoder), on the ops convolutions.
package vqgan

import (
	"encoding/json"
	"fmt"
)

// Config is the VQ-GAN's shape, accepted in the Hugging Face and in the
// original taming-transformers spelling.
type Config struct {
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
// takes Chameleon's 7B default.
func ParseConfig(data []byte) (*Config, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	v := &Config{
		EmbedDim: 256, NumEmbeddings: 8192, LatentChannels: 256, Resolution: 512,
		InChannels: 3, OutChannels: 3, BaseChannels: 128, ChannelMult: []int{1, 1, 2, 2, 4},
		NumResBlocks: 2, NormGroups: 32,
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
	pos := func(name string, x, max int) error {
		if x <= 0 || x > max {
			return fmt.Errorf("%s = %d out of range", name, x)
		}
		return nil
	}
	for _, e := range []error{
		pos("embed_dim", v.EmbedDim, 1<<16), pos("num_embeddings", v.NumEmbeddings, 1<<20),
		pos("latent_channels", v.LatentChannels, 1<<16), pos("resolution", v.Resolution, 1<<14),
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
	return v, nil
}
