// Package model turns a checkpoint into a runnable chatumm model: it reads
// its config (config.json, or GGUF metadata), recognises its family
// (Chameleon/Anole, Lumina-mGPT, Janus-Pro, Llama — one file each), and ties
// together the decoder, the tokenizer, the family's token protocol, its
// image parts (a VQ-GAN; Janus's understanding tower and generation head)
// and, for GGUF files, block-quantized weights (quantized.go writes and
// reads chatumm's own self-contained GGUF).
//
// A loaded Model is immutable and safe for concurrent use: conversations
// (package chat) each keep their own decoder State.
package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/chatumm/chatumm/model/decoder"
	"github.com/chatumm/chatumm/model/vqgan"
	"github.com/chatumm/chatumm/runtime/fileio"
)

// Config is a checkpoint's configuration as chatumm uses it: the
// decoder's shape (zero Dim: no transformer, a VQ-GAN alone), the family
// that says how the checkpoint speaks, and the VQ-GAN's config.
type Config struct {
	decoder.Config
	ModelType string
	Family    Family
	// TextFirst: a user turn is its text, then its images (config.json
	// "chatumm_user_turn": "text_then_images"). The default, images then
	// text, is what chat templates of the Chameleon family do; a model that
	// reads the question before the picture can look for the object asked
	// about while it reads the picture, so the order is the model's choice
	// and belongs to its config.
	TextFirst bool
	VQ        *vqgan.Config
	// Janus is the rest of a Janus config (nil for other families).
	Janus *JanusConfig
}

type rawConfig struct {
	ModelType      string          `json:"model_type"`
	VocabSize      *int            `json:"vocab_size"`
	HiddenSize     *int            `json:"hidden_size"`
	Intermediate   *int            `json:"intermediate_size"`
	Layers         *int            `json:"num_hidden_layers"`
	Heads          *int            `json:"num_attention_heads"`
	KVHeads        *int            `json:"num_key_value_heads"`
	HeadDim        *int            `json:"head_dim"`
	RMSEps         *float64        `json:"rms_norm_eps"`
	RopeTheta      *float64        `json:"rope_theta"`
	RopeParameters *ropeParameters `json:"rope_parameters"`
	RopeScaling    json.RawMessage `json:"rope_scaling"`
	MaxPos         *int            `json:"max_position_embeddings"`
	SwinNorm       bool            `json:"swin_norm"`
	Tie            *bool           `json:"tie_word_embeddings"`
	AttentionBias  bool            `json:"attention_bias"`
	MLPBias        bool            `json:"mlp_bias"`
	HiddenAct      string          `json:"hidden_act"`
	MoT            bool            `json:"mixture_of_transformers"`
	Architectures  []string        `json:"architectures"`
	ZLossWeight    *float64        `json:"z_loss_weight"`
	UserTurn       string          `json:"chatumm_user_turn"`
	VQ             json.RawMessage `json:"vq_config"`
}

// ropeParameters is how newer transformers serialise rope_theta.
type ropeParameters struct {
	RopeTheta *float64 `json:"rope_theta"`
}

// LoadConfig reads DIR/config.json.
func LoadConfig(dir string) (*Config, error) {
	path := filepath.Join(dir, "config.json")
	data, err := fileio.ReadFile(path, fileio.Config)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no config.json (is this a model directory?)", dir)
		}
		return nil, err
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return c, nil
}

// configLimits bound every size a config declares, so that a hostile or
// broken file fails here instead of sizing allocations: each is several
// times the largest real checkpoint's value (Llama-3 vocabularies are 128k,
// 70B models have 80 layers of width 8192 and MLPs of 28672).
var configLimits = map[string]int{
	"vocab_size":              1 << 21,
	"hidden_size":             1 << 16,
	"intermediate_size":       1 << 18,
	"num_hidden_layers":       1 << 10,
	"num_attention_heads":     1 << 10,
	"num_key_value_heads":     1 << 10,
	"head_dim":                1 << 12,
	"max_position_embeddings": 1 << 24, // the KV cache grows with use, not with this
}

// ParseConfig parses and validates config.json bytes.
func ParseConfig(data []byte) (*Config, error) {
	var r rawConfig
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if r.ModelType == "janus" || r.ModelType == "multi_modality" {
		return parseJanusConfig(data) // a Llama decoder inside (text_config)
	}
	c := &Config{ModelType: r.ModelType}
	switch r.ModelType {
	case "chameleon":
		c.QKNorm = true
	case "llama":
	case "chameleon_vq":
		// A VQ-GAN alone (e.g. a decoder taken with --vq); no transformer.
	case "":
		return nil, fmt.Errorf("model_type missing")
	default:
		return nil, fmt.Errorf("unknown model_type %q (supported: chameleon, llama, janus)", r.ModelType)
	}
	if len(r.VQ) > 0 && string(r.VQ) != "null" {
		vq, err := vqgan.ParseConfig(r.VQ)
		if err != nil {
			return nil, fmt.Errorf("vq_config: %v", err)
		}
		c.VQ = vq
	}
	if r.ModelType == "chameleon_vq" {
		if c.VQ == nil {
			return nil, fmt.Errorf("model_type chameleon_vq without vq_config")
		}
		return c, nil
	}
	need := func(name string, p *int) (int, error) {
		if p == nil {
			return 0, fmt.Errorf("%s missing", name)
		}
		if limit := configLimits[name]; *p <= 0 || *p > limit {
			return 0, fmt.Errorf("%s = %d out of range [1, %d]", name, *p, limit)
		}
		return *p, nil
	}
	var err error
	if c.VocabSize, err = need("vocab_size", r.VocabSize); err != nil {
		return nil, err
	}
	if c.Dim, err = need("hidden_size", r.HiddenSize); err != nil {
		return nil, err
	}
	if c.FFN, err = need("intermediate_size", r.Intermediate); err != nil {
		return nil, err
	}
	if c.Layers, err = need("num_hidden_layers", r.Layers); err != nil {
		return nil, err
	}
	if c.Heads, err = need("num_attention_heads", r.Heads); err != nil {
		return nil, err
	}
	c.KVHeads = c.Heads
	if r.KVHeads != nil {
		if c.KVHeads, err = need("num_key_value_heads", r.KVHeads); err != nil {
			return nil, err
		}
	}
	if c.Heads%c.KVHeads != 0 {
		return nil, fmt.Errorf("num_attention_heads %d is not a multiple of num_key_value_heads %d", c.Heads, c.KVHeads)
	}
	if r.HeadDim != nil {
		if c.HeadDim, err = need("head_dim", r.HeadDim); err != nil {
			return nil, err
		}
	} else {
		if c.Dim%c.Heads != 0 {
			return nil, fmt.Errorf("hidden_size %d is not divisible by num_attention_heads %d", c.Dim, c.Heads)
		}
		c.HeadDim = c.Dim / c.Heads
	}
	if c.HeadDim%2 != 0 {
		return nil, fmt.Errorf("head_dim %d must be even for RoPE", c.HeadDim)
	}
	c.RMSEps = 1e-5
	if r.RMSEps != nil {
		// float32(eps) must stay > 0 too: 1e-75 passes in float64 but is 0
		// in float32, and a zero epsilon divides an all-zero row by zero.
		if !(*r.RMSEps > 0 && *r.RMSEps < 1) || float32(*r.RMSEps) == 0 {
			return nil, fmt.Errorf("rms_norm_eps %v out of range", *r.RMSEps)
		}
		c.RMSEps = float32(*r.RMSEps)
	}
	c.RopeTheta = 10000
	if r.RopeTheta != nil {
		c.RopeTheta = *r.RopeTheta
	} else if r.RopeParameters != nil && r.RopeParameters.RopeTheta != nil {
		c.RopeTheta = *r.RopeParameters.RopeTheta
	}
	if !(c.RopeTheta > 1) || math.IsInf(c.RopeTheta, 0) {
		return nil, fmt.Errorf("rope_theta %v out of range", c.RopeTheta)
	}
	if len(r.RopeScaling) > 0 && string(r.RopeScaling) != "null" {
		return nil, fmt.Errorf("rope_scaling %s is not supported", string(r.RopeScaling))
	}
	c.MaxPos = 4096
	if r.MaxPos != nil {
		if c.MaxPos, err = need("max_position_embeddings", r.MaxPos); err != nil {
			return nil, err
		}
	}
	if r.AttentionBias || r.MLPBias {
		return nil, fmt.Errorf("attention_bias/mlp_bias are not supported")
	}
	if r.HiddenAct != "" && r.HiddenAct != "silu" {
		return nil, fmt.Errorf("hidden_act %q is not supported (only silu)", r.HiddenAct)
	}
	c.SwinNorm = r.SwinNorm
	c.MoT = r.MoT
	c.Family = detectFamily(&r)
	switch r.UserTurn {
	case "", "images_then_text":
	case "text_then_images":
		c.TextFirst = true
	default:
		return nil, fmt.Errorf("chatumm_user_turn %q: want images_then_text or text_then_images", r.UserTurn)
	}
	if r.ModelType == "llama" && (c.SwinNorm || c.MoT) {
		return nil, fmt.Errorf("swin_norm and mixture_of_transformers need model_type chameleon")
	}
	if r.Tie != nil {
		c.TieEmbeddings = *r.Tie
	}
	return c, nil
}
